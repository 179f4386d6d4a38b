"""Kafka transport through aiokafka: request-reply over topics.

A request goes to the supplier's topic with headers ``correlation-id`` and
``reply-topic``; the adapter replies to that topic with the same ``correlation-id``. One
reply topic per transport (per broker per running Scatterdash), created once when the
first call connects and deleted on close; its consumer is assigned its partition and
positioned at the end of the log before the first request leaves, so no reply is missed.

aiokafka reconnects by itself; a call whose reply never comes ends at its timeout. Its
``stop()`` can hang once the broker is gone, so closing is bounded.

``serve`` is the other side: an adapter in the consumer group named after the supplier.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import aiokafka
import aiokafka.admin
import aiokafka.errors

from core._errors import TransportError
from core.transports._base import Endpoint
from core.transports._broker import JSON, BrokerState, Handler, Waiters, check_reply

__all__ = ["KafkaTransport", "serve"]

log = logging.getLogger("scatterdash.kafka")

CORRELATION_HEADER = "correlation-id"
REPLY_TOPIC_HEADER = "reply-topic"
CLOSE_TIMEOUT_S = 2.0
START_TIMEOUT_S = 10.0
#: the Tansu broker completes a group join after about half the session timeout
SESSION_TIMEOUT_MS = 6000
#: how long the broker may hold a fetch with nothing new: every reply waits up to this
#: long when the broker does not answer a fetch as soon as data arrives (Tansu)
FETCH_WAIT_MS = 5
REQUEST_PARTITIONS = 4
"""partitions of a supplier topic an adapter creates: up to this many adapters share it"""


def _header(headers: Any, name: str) -> str | None:
    for key, value in headers or ():
        if key.lower() == name and value is not None:
            return bytes(value).decode("utf-8", "replace")
    return None


async def _bounded(step: Any, what: str) -> bool:
    """Run a closing step for at most CLOSE_TIMEOUT_S; False if it failed or hung."""
    try:
        await asyncio.wait_for(step, CLOSE_TIMEOUT_S)
    except (TimeoutError, aiokafka.errors.KafkaError, OSError) as exc:
        log.debug("%s: %s", what, exc or type(exc).__name__)
        return False
    return True


async def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Create ``topic`` unless it exists."""
    admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await asyncio.wait_for(admin.start(), START_TIMEOUT_S)
        await admin.create_topics([aiokafka.admin.NewTopic(topic, partitions, 1)])
    except aiokafka.errors.TopicAlreadyExistsError:
        pass
    finally:  # a start cut short (a timeout, the call cancelled) closes what it opened
        await _bounded(admin.close(), "admin close")


async def _delete_topic(bootstrap: str, topic: str) -> None:
    admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await asyncio.wait_for(admin.start(), CLOSE_TIMEOUT_S)
        await asyncio.wait_for(admin.delete_topics([topic]), CLOSE_TIMEOUT_S)
    except (TimeoutError, aiokafka.errors.KafkaError, OSError) as exc:
        log.debug("reply topic not deleted: %s", exc or type(exc).__name__)
    finally:
        await _bounded(admin.close(), "admin close")


class KafkaTransport:
    kind = "kafka"

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self.reply_topic = f"scatterdash.replies.{uuid.uuid4().hex}"
        self._producer: Any = None
        self._consumer: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._connecting: asyncio.Lock | None = None
        self._waiters = Waiters()
        self._closed = False
        self._topic_created = False
        self.state = BrokerState.IDLE

    @property
    def dropped_replies(self) -> int:
        return self._waiters.dropped

    def _connected(self) -> bool:
        # a reply reader that stopped (the broker gone, an error) means starting over:
        # the producer alone would send requests whose replies nobody reads
        return self._producer is not None and self._reader is not None and not self._reader.done()

    async def _ensure(self) -> Any:
        if self._connected():
            return self._producer
        if self._closed:
            raise TransportError("transport closed")
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if not self._connected():
                if self._closed:
                    raise TransportError("transport closed")
                await self._stop()  # what is left of a link whose reader stopped
                self.state = BrokerState.CONNECTING
                try:
                    await self._start()
                except (TimeoutError, aiokafka.errors.KafkaError, OSError) as exc:
                    self.state = BrokerState.DISCONNECTED
                    await self._stop()
                    raise TransportError(
                        f"cannot connect to the broker: {exc or type(exc).__name__}"
                    ) from None
                except BaseException:  # cancelled: nothing half-started is left running
                    self.state = BrokerState.DISCONNECTED
                    await self._stop()
                    raise
                self.state = BrokerState.CONNECTED
            return self._producer

    async def _start(self) -> None:
        await ensure_topic(self._bootstrap, self.reply_topic, 1)
        self._topic_created = True
        consumer = aiokafka.AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            group_id=None,
            fetch_max_wait_ms=FETCH_WAIT_MS,
        )
        self._consumer = consumer
        await asyncio.wait_for(consumer.start(), START_TIMEOUT_S)
        partition = aiokafka.TopicPartition(self.reply_topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        await asyncio.wait_for(consumer.position(partition), START_TIMEOUT_S)
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=self._bootstrap, linger_ms=0)
        self._producer = producer  # stopped by _stop() even if its start is cut short
        await asyncio.wait_for(producer.start(), START_TIMEOUT_S)
        self._reader = asyncio.create_task(self._read(consumer))

    async def _read(self, consumer: Any) -> None:
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    for record in records:
                        wire_id = _header(record.headers, CORRELATION_HEADER)
                        content_type = _header(record.headers, "content-type")
                        self._waiters.resolve(wire_id, record.value or b"", content_type)
        except Exception as exc:  # the next call starts a new link (_connected)
            log.warning("Kafka reply consumer stopped: %s", exc or type(exc).__name__)
            self.state = BrokerState.DISCONNECTED
            self._waiters.fail_all(TransportError("reply consumer stopped"))

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        producer = await self._ensure()
        wire_id = self._waiters.new_id(correlation_id)
        reply = self._waiters.register(wire_id)
        waiters = self._waiters

        def delivered(future: asyncio.Future[Any]) -> None:
            if not future.cancelled() and future.exception() is not None:
                waiters.fail(wire_id, TransportError(f"send failed: {future.exception()}"))

        try:
            try:
                delivery = await producer.send(
                    endpoint.address,
                    body,
                    headers=[
                        (CORRELATION_HEADER, wire_id.encode()),
                        (REPLY_TOPIC_HEADER, self.reply_topic.encode()),
                        ("content-type", JSON.encode()),
                    ],
                )
            except aiokafka.errors.KafkaError as exc:
                raise TransportError(f"send failed: {exc or type(exc).__name__}") from None
            delivery.add_done_callback(delivered)
            answer = await reply
        finally:
            waiters.discard(wire_id)
            if reply.done() and not reply.cancelled():
                reply.exception()
        return check_reply(answer, max_bytes)

    async def _stop(self) -> bool:
        """Stop the reader, producer and consumer; False if a stop failed or hung (the
        broker is gone, most likely)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        producer, self._producer = self._producer, None
        consumer, self._consumer = self._consumer, None
        steps = []
        if producer is not None:
            steps.append(_bounded(producer.stop(), "producer stop"))
        if consumer is not None:
            steps.append(_bounded(consumer.stop(), "consumer stop"))
        return all(await asyncio.gather(*steps))

    async def aclose(self) -> None:
        """Stop, and delete the reply topic unless the broker seems gone: at most about
        two CLOSE_TIMEOUT_S when it is."""
        self._closed = True
        self.state = BrokerState.CLOSED
        self._waiters.fail_all(TransportError("transport closed"))
        clean = await self._stop()
        if self._topic_created:
            self._topic_created = False
            if clean:
                await _delete_topic(self._bootstrap, self.reply_topic)
            else:
                log.warning(
                    "Kafka reply topic %s left behind: broker unreachable", self.reply_topic
                )


class _Assigned(aiokafka.ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, ready: Callable[[], None] | None) -> None:
        self._ready = ready

    async def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self._ready is not None and assigned:
            ready, self._ready = self._ready, None
            ready()


async def serve(
    bootstrap: str,
    topic: str,
    group: str,
    handler: Handler,
    *,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``topic`` (created here when missing) in consumer group ``group`` until
    cancelled: each request's reply goes to its ``reply-topic`` with its
    ``correlation-id``."""
    try:
        await ensure_topic(bootstrap, topic, REQUEST_PARTITIONS)
    except (TimeoutError, aiokafka.errors.KafkaError, OSError) as exc:
        raise TransportError(f"cannot connect to the broker: {exc or type(exc).__name__}") from None
    consumer = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="latest",
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=1000,
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    tasks: set[asyncio.Task[None]] = set()

    async def answer(record: Any) -> None:
        reply = await handler(record.value or b"")
        reply_topic = _header(record.headers, REPLY_TOPIC_HEADER)
        wire_id = _header(record.headers, CORRELATION_HEADER)
        if reply is None or not reply_topic:
            return
        headers = [("content-type", JSON.encode())]
        if wire_id is not None:
            headers.append((CORRELATION_HEADER, wire_id.encode()))
        with contextlib.suppress(aiokafka.errors.KafkaError):
            await producer.send(reply_topic, reply, headers=headers)

    try:
        await asyncio.wait_for(producer.start(), START_TIMEOUT_S)
        await asyncio.wait_for(consumer.start(), START_TIMEOUT_S)
        consumer.subscribe([topic], listener=_Assigned(ready))
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    task = asyncio.create_task(answer(record))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _bounded(consumer.stop(), "consumer stop")
        await _bounded(producer.stop(), "producer stop")
