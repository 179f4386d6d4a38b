"""Stand-in broker suppliers for bench_brokers.py: one queue/subject/topic per supplier,
fixed delays, all on one connection per broker so their own CPU stays small.

    python tests/bench/bench_broker_suppliers.py amqp|nats|kafka URL PREFIX DELAYS_JSON READY_FILE

Supplier i serves ``PREFIX.i`` and answers every request after ``DELAYS[i]`` seconds with
the same quote as bench_suppliers.py; READY_FILE is written once every one is served.
Written from the wire contract with the client libraries directly (not Scatterdash).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from bench_suppliers import quote

JSON = "application/json"


def answer(body: bytes) -> bytes:
    return json.dumps(quote(json.loads(body))).encode()


async def amqp(url: str, prefix: str, delays: list[float], ready: Path) -> None:
    import aio_pika

    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=False)
    underlay = await channel.get_underlay_channel()
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def reply(message: Any) -> None:
        properties = aio_pika.Message(
            b"", content_type=JSON, correlation_id=message.correlation_id
        ).properties
        task = loop.create_task(
            underlay.basic_publish(
                answer(message.body),
                routing_key=message.reply_to,
                properties=properties,
                wait=False,
            )
        )
        pending.add(task)
        task.add_done_callback(pending.discard)

    for i, delay in enumerate(delays):
        queue = await channel.declare_queue(f"{prefix}.{i}", auto_delete=True)

        async def on_message(message: Any, delay: float = delay) -> None:
            loop.call_later(delay, reply, message)

        await queue.consume(on_message, no_ack=True)
    ready.write_text("ready")  # noqa: ASYNC240 - once, before serving
    await asyncio.Future()


async def nats_(url: str, prefix: str, delays: list[float], ready: Path) -> None:
    import nats

    client = await nats.connect(url)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def reply(message: Any) -> None:
        headers = {"Content-Type": JSON, **(message.headers or {})}
        task = loop.create_task(
            client.publish(message.reply, answer(message.data), headers=headers)
        )
        pending.add(task)
        task.add_done_callback(pending.discard)

    for i, delay in enumerate(delays):

        async def on_message(message: Any, delay: float = delay) -> None:
            loop.call_later(delay, reply, message)

        await client.subscribe(f"{prefix}.{i}", cb=on_message)
    await client.flush()
    ready.write_text("ready")  # noqa: ASYNC240 - once, before serving
    await asyncio.Future()


async def kafka(url: str, prefix: str, delays: list[float], ready: Path) -> None:
    import aiokafka
    import aiokafka.admin

    topics = [f"{prefix}.{i}" for i in range(len(delays))]
    admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=url)
    await admin.start()
    await admin.create_topics([aiokafka.admin.NewTopic(t, 1, 1) for t in topics])
    await admin.close()
    consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=url, fetch_max_wait_ms=5)
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=url, linger_ms=0)
    await consumer.start()
    await producer.start()
    partitions = [aiokafka.TopicPartition(t, 0) for t in topics]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for partition in partitions:
        await consumer.position(partition)
    delay_of = dict(zip(topics, delays, strict=True))
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def reply(record: Any) -> None:
        headers = dict(record.headers)
        task = loop.create_task(
            producer.send(
                headers["reply-topic"].decode(),
                answer(record.value),
                headers=[
                    ("correlation-id", headers["correlation-id"]),
                    ("content-type", b"application/json"),
                ],
            )
        )
        pending.add(task)
        task.add_done_callback(pending.discard)

    ready.write_text("ready")  # noqa: ASYNC240 - once, before serving
    while True:
        batches = await consumer.getmany(timeout_ms=1000)
        for records in batches.values():
            for record in records:
                loop.call_later(delay_of[record.topic], reply, record)


def main() -> None:
    kind, url, prefix, delays, ready = sys.argv[1:6]
    serve = {"amqp": amqp, "nats": nats_, "kafka": kafka}[kind]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(url, prefix, json.loads(delays), Path(ready)))


if __name__ == "__main__":
    main()
