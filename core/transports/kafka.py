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
import time
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
#: how often a responder commits the offsets of the requests it has answered
COMMIT_EVERY_S = 1.0
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


class _Answered:
    """What a responder may commit: per partition, the offset before which every request
    has been answered. An adapter that stops (or loses a partition) with requests still
    unanswered leaves them to the group's next member instead of committing them away."""

    def __init__(self) -> None:
        self._in_flight: dict[Any, set[int]] = {}
        self._next: dict[Any, int] = {}
        self._committed: dict[Any, int] = {}

    def taken(self, partition: Any, offset: int) -> None:
        self._in_flight.setdefault(partition, set()).add(offset)
        self._next[partition] = max(self._next.get(partition, 0), offset + 1)

    def answered(self, partition: Any, offset: int) -> None:
        self._in_flight.get(partition, set()).discard(offset)

    def to_commit(self, partitions: Any = None) -> dict[Any, int]:
        """The offsets that moved since the last commit (of ``partitions``, default all)."""
        offsets = {}
        for partition in self._next if partitions is None else partitions:
            if partition not in self._next:
                continue
            waiting = self._in_flight.get(partition)
            offset = min(waiting) if waiting else self._next[partition]
            if self._committed.get(partition) != offset:
                offsets[partition] = offset
        return offsets

    def committed(self, offsets: dict[Any, int]) -> None:
        self._committed.update(offsets)

    def forget(self, partitions: Any) -> None:
        for partition in partitions:
            for table in (self._in_flight, self._next, self._committed):
                table.pop(partition, None)


async def _commit(consumer: Any, answered: _Answered, partitions: Any = None) -> None:
    offsets = answered.to_commit(partitions)
    if not offsets:
        return
    try:
        await consumer.commit(offsets)
    except aiokafka.errors.KafkaError as exc:  # a rebalance: the next member answers again
        log.debug("offsets not committed: %s", exc or type(exc).__name__)
        return
    answered.committed(offsets)


class _Rebalance(aiokafka.ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self, consumer: Any, answered: _Answered, ready: Callable[[], None] | None
    ) -> None:
        self._consumer = consumer
        self._answered = answered
        self._ready = ready

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await _commit(self._consumer, self._answered, revoked)
        self._answered.forget(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        # a partition the group never committed: start at its end, and say so to the
        # group, so that a request this member takes and leaves unanswered is not skipped
        # by the next member starting at the end too
        for partition in assigned:
            if await self._consumer.committed(partition) is None:
                position = await self._consumer.position(partition)
                with contextlib.suppress(aiokafka.errors.KafkaError):
                    await self._consumer.commit({partition: position})
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
    ``correlation-id``. Offsets are committed once their requests are answered: what an
    adapter leaves unanswered when it stops goes to another adapter of the group."""
    try:
        await ensure_topic(bootstrap, topic, REQUEST_PARTITIONS)
    except (TimeoutError, aiokafka.errors.KafkaError, OSError) as exc:
        raise TransportError(f"cannot connect to the broker: {exc or type(exc).__name__}") from None
    consumer = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=1000,
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    tasks: set[asyncio.Task[None]] = set()
    answered = _Answered()

    async def answer(partition: Any, record: Any) -> None:
        try:
            reply = await handler(record.value or b"")
            reply_topic = _header(record.headers, REPLY_TOPIC_HEADER)
            wire_id = _header(record.headers, CORRELATION_HEADER)
            if reply is not None and reply_topic:
                headers = [("content-type", JSON.encode())]
                if wire_id is not None:
                    headers.append((CORRELATION_HEADER, wire_id.encode()))
                with contextlib.suppress(aiokafka.errors.KafkaError):
                    await producer.send(reply_topic, reply, headers=headers)
        except Exception:  # a bug in the handler: this request only, and commits go on
            log.exception("cannot answer a request")
        answered.answered(partition, record.offset)  # not reached when cancelled

    try:
        await asyncio.wait_for(producer.start(), START_TIMEOUT_S)
        await asyncio.wait_for(consumer.start(), START_TIMEOUT_S)
        consumer.subscribe([topic], listener=_Rebalance(consumer, answered, ready))
        commit_at = 0.0
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            for partition, records in batches.items():
                for record in records:
                    answered.taken(partition, record.offset)
                    task = asyncio.create_task(answer(partition, record))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            if time.monotonic() >= commit_at:
                commit_at = time.monotonic() + COMMIT_EVERY_S
                await _commit(consumer, answered)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):  # what was answered, not what was cut off
            await asyncio.wait_for(_commit(consumer, answered), CLOSE_TIMEOUT_S)
        await _bounded(consumer.stop(), "consumer stop")
        await _bounded(producer.stop(), "producer stop")
