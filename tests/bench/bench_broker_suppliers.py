"""Stand-in broker suppliers for bench_brokers.py: one queue/subject/topic per supplier,
all on one connection per broker so their own CPU stays small.

    python tests/bench/bench_broker_suppliers.py amqp|nats|kafka URL PREFIX MEDIANS_MS_JSON READY_FILE

Supplier i serves ``PREFIX.i`` and answers every request with the same quote as
bench_suppliers.py, after the delay bench_suppliers.request_delay draws for supplier i
(median ``MEDIANS_MS[i]``) and the request's correlation id: the very delays an HTTP
supplier draws for the same request. READY_FILE is written once every one is served.
Written from the wire contract with the client libraries directly (not Scatterdash).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from bench_suppliers import quote, request_delay

JSON = "application/json"


def delay_and_answer(median_ms: float, index: int, body: bytes) -> tuple[float, bytes]:
    """The delay in seconds supplier ``index`` waits before replying, and its reply."""
    request = json.loads(body)
    delay = request_delay(median_ms, index, request["correlation_id"])
    return delay, json.dumps(quote(request)).encode()


async def amqp(url: str, prefix: str, medians: list[float], ready: Path) -> None:
    import aio_pika

    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=False)
    underlay = await channel.get_underlay_channel()
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def reply(message: Any, answer: bytes) -> None:
        properties = aio_pika.Message(
            b"", content_type=JSON, correlation_id=message.correlation_id
        ).properties
        task = loop.create_task(
            underlay.basic_publish(
                answer,
                routing_key=message.reply_to,
                properties=properties,
                wait=False,
            )
        )
        pending.add(task)
        task.add_done_callback(pending.discard)

    for i, median in enumerate(medians):
        queue = await channel.declare_queue(f"{prefix}.{i}", auto_delete=True)

        async def on_message(message: Any, i: int = i, median: float = median) -> None:
            delay, answer = delay_and_answer(median, i, message.body)
            loop.call_later(delay, reply, message, answer)

        await queue.consume(on_message, no_ack=True)
    ready.write_text("ready")  # noqa: ASYNC240 - once, before serving
    await asyncio.Future()


async def nats_(url: str, prefix: str, medians: list[float], ready: Path) -> None:
    import nats

    client = await nats.connect(url)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def reply(message: Any, answer: bytes) -> None:
        headers = {"Content-Type": JSON, **(message.headers or {})}
        task = loop.create_task(client.publish(message.reply, answer, headers=headers))
        pending.add(task)
        task.add_done_callback(pending.discard)

    for i, median in enumerate(medians):

        async def on_message(message: Any, i: int = i, median: float = median) -> None:
            delay, answer = delay_and_answer(median, i, message.data)
            loop.call_later(delay, reply, message, answer)

        await client.subscribe(f"{prefix}.{i}", cb=on_message)
    await client.flush()
    ready.write_text("ready")  # noqa: ASYNC240 - once, before serving
    await asyncio.Future()


async def kafka(url: str, prefix: str, medians: list[float], ready: Path) -> None:
    import aiokafka
    import aiokafka.admin

    topics = [f"{prefix}.{i}" for i in range(len(medians))]
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
    index_of = {topic: i for i, topic in enumerate(topics)}
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def reply(record: Any, answer: bytes) -> None:
        headers = dict(record.headers)
        task = loop.create_task(
            producer.send(
                headers["reply-topic"].decode(),
                answer,
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
                i = index_of[record.topic]
                delay, answer = delay_and_answer(medians[i], i, record.value)
                loop.call_later(delay, reply, record, answer)


def main() -> None:
    kind, url, prefix, medians, ready = sys.argv[1:6]
    serve = {"amqp": amqp, "nats": nats_, "kafka": kafka}[kind]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(url, prefix, json.loads(medians), Path(ready)))


if __name__ == "__main__":
    main()
