"""The Kafka transport's link to its broker when a start is cut short or its reply reader
stops: with a fake aiokafka (no broker can be made to fail this way on cue)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiokafka.errors
import pytest

from core.transports import Endpoint, kafka
from core.transports.kafka import CORRELATION_HEADER, KafkaTransport

ENDPOINT = Endpoint("k", "quotes.k")


class FakeBroker:
    """Replies to every request on the newest consumer's reply topic."""

    def __init__(self) -> None:
        self.consumers: list[FakeConsumer] = []
        self.producers: list[FakeProducer] = []
        self.starting = asyncio.Event()
        self.start_gate = asyncio.Event()
        self.start_gate.set()


class FakeConsumer:
    def __init__(self, broker: FakeBroker) -> None:
        self.records: asyncio.Queue[Any] = asyncio.Queue()
        self.stopped = False
        broker.consumers.append(self)
        self._broker = broker

    async def start(self) -> None:
        self._broker.starting.set()
        await self._broker.start_gate.wait()

    def assign(self, partitions: object) -> None:
        pass

    async def seek_to_end(self, partition: object) -> None:
        pass

    async def position(self, partition: object) -> int:
        return 0

    async def getmany(self, timeout_ms: int) -> dict[str, list[Any]]:
        record = await self.records.get()
        if record is None:
            raise aiokafka.errors.KafkaConnectionError("the broker went away")
        return {"reply-topic": [record]}

    async def stop(self) -> None:
        self.stopped = True


class FakeRecord:
    def __init__(self, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.value = value
        self.headers = headers


class FakeProducer:
    def __init__(self, broker: FakeBroker) -> None:
        self.stopped = False
        broker.producers.append(self)
        self._broker = broker

    async def start(self) -> None:
        pass

    async def send(self, topic: str, body: bytes, headers: list[tuple[str, bytes]]) -> Any:
        wire_id = dict(headers)[CORRELATION_HEADER]
        self._broker.consumers[-1].records.put_nowait(
            FakeRecord(b'{"ok": true}', [(CORRELATION_HEADER, wire_id)])
        )
        delivered = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered

    async def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> FakeBroker:
    fake = FakeBroker()

    async def no_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
        pass

    monkeypatch.setattr(kafka, "ensure_topic", no_topic)
    monkeypatch.setattr(kafka, "_delete_topic", no_topic)
    monkeypatch.setattr(kafka.aiokafka, "AIOKafkaConsumer", lambda **_: FakeConsumer(fake))
    monkeypatch.setattr(kafka.aiokafka, "AIOKafkaProducer", lambda **_: FakeProducer(fake))
    return fake


async def ask(transport: KafkaTransport, correlation_id: str) -> bytes:
    return await transport.request(ENDPOINT, b"{}", correlation_id=correlation_id, max_bytes=1000)


async def test_after_the_reply_reader_stops_the_next_call_starts_a_new_link(
    broker: FakeBroker,
) -> None:
    transport = KafkaTransport("127.0.0.1:9")
    try:
        assert await ask(transport, "a") == b'{"ok": true}'
        first = broker.consumers[0]
        first.records.put_nowait(None)  # the reader's fetch fails
        reader = transport._reader
        assert reader is not None
        await asyncio.wait([reader])
        assert transport.state == "disconnected"
        assert await asyncio.wait_for(ask(transport, "b"), 5) == b'{"ok": true}'
        assert len(broker.consumers) == 2 and first.stopped and broker.producers[0].stopped
        assert transport.state == "connected"
    finally:
        await transport.aclose()


async def test_a_call_cancelled_while_connecting_leaves_nothing_running(
    broker: FakeBroker,
) -> None:
    broker.start_gate.clear()
    transport = KafkaTransport("127.0.0.1:9")
    try:
        call = asyncio.ensure_future(ask(transport, "a"))
        await broker.starting.wait()
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        assert broker.consumers[0].stopped
        assert transport.state == "disconnected"
        broker.start_gate.set()
        assert await asyncio.wait_for(ask(transport, "b"), 5) == b'{"ok": true}'
        assert len(broker.consumers) == 2
    finally:
        await transport.aclose()


class FakeGroupConsumer:
    """A consumer group member with one partition: records handed out once, commits kept."""

    def __init__(self, records: list[FakeRecord]) -> None:
        self.partition = "quotes.k-0"
        self.records = records
        self.commits: list[dict[Any, int]] = []
        self.listener: Any = None
        self.handed = asyncio.Event()

    async def start(self) -> None:
        pass

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    async def committed(self, partition: Any) -> int | None:
        return 0

    async def position(self, partition: Any) -> int:
        return 0

    async def getmany(self, timeout_ms: int) -> dict[Any, list[Any]]:
        if not self.handed.is_set():
            await self.listener.on_partitions_assigned([self.partition])
            self.handed.set()
            return {self.partition: self.records}
        await asyncio.sleep(timeout_ms / 1000)  # a fetch with nothing new: its timeout
        return {}

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.commits.append(dict(offsets))

    async def stop(self) -> None:
        pass


async def test_a_handler_that_fails_does_not_hold_back_its_partition_s_commits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [FakeRecord(body, []) for body in (b"boom", b"fine")]
    for offset, record in enumerate(records):
        record.offset = offset  # type: ignore[attr-defined]
    consumer = FakeGroupConsumer(records)
    answered = asyncio.Event()

    async def handler(body: bytes) -> bytes | None:
        if body == b"boom":
            raise RuntimeError("a bug in the adapter")
        answered.set()
        return None

    async def no_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
        pass

    monkeypatch.setattr(kafka, "ensure_topic", no_topic)
    monkeypatch.setattr(kafka.aiokafka, "AIOKafkaConsumer", lambda **_: consumer)
    monkeypatch.setattr(kafka.aiokafka, "AIOKafkaProducer", lambda **_: FakeProducer(FakeBroker()))
    serving = asyncio.create_task(kafka.serve("127.0.0.1:9", "quotes.k", "k", handler))
    await asyncio.wait_for(answered.wait(), 5)
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
    # both taken, both done with (one by failing): the group moves on past both
    assert consumer.commits[-1] == {consumer.partition: 2}
