"""Kafka against a Tansu broker: the wire contract, one reply topic per process, and
responders sharing one supplier's work in a consumer group."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiokafka
import aiokafka.admin
import pytest

import core
from core.transports import Endpoint, kafka
from core.transports.kafka import CLOSE_TIMEOUT_S as KAFKA_CLOSE_TIMEOUT_S
from core.transports.kafka import KafkaTransport
from tests.brokers._support import QUICK, broker_supplier, config, responders, unique
from tests.brokers.test_amqp import quote_for
from tests.support.tansu import start_tansu, stop

pytestmark = pytest.mark.broker


async def _topics(url: str) -> set[str]:
    admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=url)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


@asynccontextmanager
async def wire_adapter(url: str, topic: str) -> AsyncIterator[list[aiokafka.ConsumerRecord]]:
    """A supplier adapter written from the wire contract and aiokafka alone: it declares
    its topic, reads requests, replies to ``reply-topic`` with the ``correlation-id``."""
    admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=url)
    await admin.start()
    await admin.create_topics([aiokafka.admin.NewTopic(topic, 1, 1)])
    await admin.close()
    consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=url, fetch_max_wait_ms=5)
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=url)
    await consumer.start()
    await producer.start()
    partition = aiokafka.TopicPartition(topic, 0)
    consumer.assign([partition])
    await consumer.seek_to_end(partition)
    await consumer.position(partition)
    received: list[aiokafka.ConsumerRecord] = []

    async def serve() -> None:
        async for record in consumer:
            received.append(record)
            headers = dict(record.headers)
            body = quote_for(json.loads(record.value), "wire")
            await producer.send_and_wait(
                headers["reply-topic"].decode(),
                body,
                headers=[("correlation-id", headers["correlation-id"])],
            )

    task = asyncio.create_task(serve())
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.stop()
        await consumer.stop()


async def test_an_adapter_written_from_the_wire_contract_alone(kafka_url: str) -> None:
    topic = unique("wire")
    cfg = config([broker_supplier("wire", "kafka", kafka_url, topic)])
    async with wire_adapter(kafka_url, topic) as received:
        async with core.PriceComparator(cfg) as comparator:
            comparisons = [await comparator.compare("SKU-100", 5) for _ in range(3)]
            reply_topic = comparator.transports.brokers[0].reply_topic  # type: ignore[attr-defined]
            topics_open = await _topics(kafka_url)
    topics_closed = await _topics(kafka_url)
    assert all(c.decided for c in comparisons)
    assert comparisons[0].winner is not None
    assert comparisons[0].winner.quote.total_price == 20.0
    headers = [dict(r.headers) for r in received]
    assert {h["reply-topic"].decode() for h in headers} == {reply_topic}
    ids = [h["correlation-id"].decode() for h in headers]
    assert len(set(ids)) == 3
    assert all(i.startswith(c.correlation_id) for i, c in zip(ids, comparisons, strict=True))
    # one reply topic for the whole run, never one per request; gone after close
    assert reply_topic in topics_open
    assert reply_topic not in topics_closed


async def test_two_responders_share_one_suppliers_work(kafka_url: str) -> None:
    sim = {**QUICK, "latency_ms": 20.0}
    cfg = config([broker_supplier("shared", "kafka", kafka_url, unique("shared"), sim)])
    async with responders(cfg, copies=2) as pair:
        async with core.PriceComparator(cfg) as comparator:
            outcomes = await asyncio.gather(
                *(comparator.compare("SKU-100", n) for n in range(1, 41))
            )
    assert all(o.decided for o in outcomes), [o.error for o in outcomes if not o.decided]
    served = [r.supplier.requests_served for r in pair]
    assert sum(served) == 40
    assert min(served) > 0, served


async def test_closing_after_the_broker_is_gone_is_bounded(tmp_path: Path) -> None:
    broker, url = start_tansu(tmp_path / "tansu.log")
    try:
        topic = unique("gone")
        cfg = config([broker_supplier("gone", "kafka", url, topic)], timeout=2.0)
        comparator = core.PriceComparator(cfg)
        async with wire_adapter(url, topic):
            assert (await comparator.compare("SKU-100", 1)).decided
        stop(broker)
        # the broker is gone: a call ends at its deadline, closing ends within its bounds
        lost = await comparator.compare("SKU-100", 1)
        started = time.perf_counter()
        await comparator.aclose()
        closing = time.perf_counter() - started
    finally:
        stop(broker)
    assert not lost.decided
    assert lost.suppliers[0].status in (core.Status.TIMEOUT, core.Status.ERROR)
    assert closing < 2 * KAFKA_CLOSE_TIMEOUT_S + 1
    assert comparator.connection_state("gone") == "closed"


async def test_a_request_left_unanswered_by_a_stopped_responder_goes_to_the_next(
    kafka_url: str,
) -> None:
    """Offsets are committed once answered: a responder stopped while it holds a request
    leaves it to the group's next member, which answers it (the caller is still waiting)."""
    topic, group = unique("handover"), unique("group")
    taken = asyncio.Event()
    hold = asyncio.Event()  # never set: the first responder never answers

    async def holding(body: bytes) -> bytes | None:
        taken.set()
        await hold.wait()
        return None

    async def answering(body: bytes) -> bytes | None:
        return quote_for(json.loads(body), "second")

    first_ready = asyncio.Event()
    first = asyncio.create_task(
        kafka.serve(kafka_url, topic, group, holding, ready=first_ready.set)
    )
    transport = KafkaTransport(kafka_url)
    try:
        await asyncio.wait_for(first_ready.wait(), 60)
        request = json.dumps({"product_id": "SKU-1", "quantity": 1}).encode()
        call = asyncio.ensure_future(
            transport.request(
                Endpoint("k", topic), request, correlation_id="handover", max_bytes=10_000
            )
        )
        await asyncio.wait_for(taken.wait(), 30)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        second = asyncio.create_task(kafka.serve(kafka_url, topic, group, answering))
        try:
            reply = json.loads(await asyncio.wait_for(call, 60))
        finally:
            second.cancel()
            await asyncio.gather(second, return_exceptions=True)
    finally:
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        await transport.aclose()
    assert reply["supplier_id"] == "second"
