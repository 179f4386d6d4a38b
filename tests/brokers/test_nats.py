"""NATS against the real server: the wire contract, stray and late replies, no
responders, and responders sharing one supplier's work in a queue group."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import nats
import nats.aio.client
import nats.aio.msg
import pytest

import core
from tests.brokers._support import QUICK, broker_supplier, config, responders, unique
from tests.brokers.test_amqp import quote_for
from tests.support.ports import accepts, free_port

pytestmark = pytest.mark.broker


@asynccontextmanager
async def wire_adapter(
    url: str,
    subject: str,
    answer: Callable[[nats.aio.client.Client, nats.aio.msg.Msg], Awaitable[None]],
) -> AsyncIterator[list[nats.aio.msg.Msg]]:
    """A supplier adapter written from the wire contract and nats-py alone."""
    received: list[nats.aio.msg.Msg] = []
    client = await nats.connect(url)

    async def on_message(message: nats.aio.msg.Msg) -> None:
        received.append(message)
        await answer(client, message)

    try:
        await client.subscribe(subject, queue="adapter", cb=on_message)
        await client.flush()
        yield received
    finally:
        await client.close()


def _reply_headers(message: nats.aio.msg.Msg) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Correlation-Id": (message.headers or {})["Correlation-Id"],
    }


async def test_an_adapter_written_from_the_wire_contract_alone(nats_url: str) -> None:
    subject = unique("wire")

    async def answer(client: nats.aio.client.Client, message: nats.aio.msg.Msg) -> None:
        body = quote_for(json.loads(message.data), "wire")
        await client.publish(message.reply, body, headers=_reply_headers(message))

    cfg = config([broker_supplier("wire", "nats", nats_url, subject)])
    async with wire_adapter(nats_url, subject, answer) as received:
        async with core.PriceComparator(cfg) as comparator:
            first = await comparator.compare("SKU-100", 5)
            second = await comparator.compare("SKU-100", 5)
    assert first.decided and second.decided
    assert first.winner is not None and first.winner.quote.total_price == 20.0
    ids = [(m.headers or {}).get("Correlation-Id") for m in received]
    assert len(set(ids)) == 2 and all(ids)
    assert all(
        i and i.startswith(c.correlation_id) for i, c in zip(ids, (first, second), strict=True)
    )
    inboxes = {m.reply.rpartition(".")[0] for m in received}
    assert len(inboxes) == 1, "one inbox subscription per process"


async def test_duplicate_unknown_and_late_replies_are_dropped_and_counted(nats_url: str) -> None:
    subject = unique("dup")
    late: list[tuple[nats.aio.client.Client, nats.aio.msg.Msg]] = []

    async def answer(client: nats.aio.client.Client, message: nats.aio.msg.Msg) -> None:
        request = json.loads(message.data)
        if request["product_id"] == "LATE":
            late.append((client, message))  # answered after the call timed out, below
            return
        body = quote_for(request, "dup")
        await client.publish(message.reply, body, headers=_reply_headers(message))
        await client.publish(message.reply, body, headers=_reply_headers(message))
        inbox = message.reply.rpartition(".")[0]
        await client.publish(f"{inbox}.unknown-id", body)

    cfg = config([broker_supplier("dup", "nats", nats_url, subject, timeout=0.3)])
    async with wire_adapter(nats_url, subject, answer) as _:
        async with core.PriceComparator(cfg) as comparator:
            transport = comparator.transports.brokers[0]
            comparison = await comparator.compare("SKU-100", 1)
            timed_out = await comparator.compare("LATE", 1)
            client, message = late[0]
            body = quote_for({"product_id": "LATE", "quantity": 1}, "dup")
            await client.publish(message.reply, body, headers=_reply_headers(message))
            # one more round trip through the server: everything sent before has arrived
            again = await comparator.compare("SKU-100", 1)
            dropped = transport.dropped_replies  # type: ignore[attr-defined]
    assert comparison.decided and again.decided
    assert timed_out.suppliers[0].status is core.Status.TIMEOUT
    assert 3 <= dropped <= 5  # duplicate + unknown, the late one (+ maybe the last strays)


async def test_a_subject_nobody_serves_is_an_immediate_error(nats_url: str) -> None:
    cfg = config([broker_supplier("ghost", "nats", nats_url, unique("nobody"))], timeout=20.0)
    async with core.PriceComparator(cfg) as comparator:
        started = time.perf_counter()
        comparison = await comparator.compare("SKU-100", 1)
        elapsed = time.perf_counter() - started
    result = comparison.suppliers[0]
    assert result.status is core.Status.ERROR
    assert result.error == "no responders on the subject"
    assert elapsed < 5


async def test_two_responders_share_one_suppliers_work(nats_url: str) -> None:
    sim = {**QUICK, "latency_ms": 20.0}
    cfg = config([broker_supplier("shared", "nats", nats_url, unique("shared"), sim)])
    async with responders(cfg, copies=2) as pair:
        async with core.PriceComparator(cfg) as comparator:
            outcomes = await asyncio.gather(
                *(comparator.compare("SKU-100", n) for n in range(1, 41))
            )
    assert all(o.decided for o in outcomes)
    served = [r.supplier.requests_served for r in pair]
    assert sum(served) == 40
    assert min(served) > 0, served


async def test_a_supplier_whose_name_has_spaces_is_served_by_its_responders(
    nats_url: str,
) -> None:
    cfg = config([broker_supplier("Acme Books", "nats", nats_url, unique("spaces"), QUICK)])
    async with responders(cfg, copies=2) as pair:
        async with core.PriceComparator(cfg) as comparator:
            outcomes = await asyncio.gather(*(comparator.compare("SKU-100", n) for n in (1, 2)))
    assert all(o.decided for o in outcomes)
    assert sum(r.supplier.requests_served for r in pair) == 2  # one group: each once


def _nats_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["nats-server", "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not accepts(port):
        assert server.poll() is None and time.monotonic() < deadline, "nats-server did not start"
        time.sleep(0.02)  # a port to poll, no event to await
    return server


async def test_a_server_lost_mid_comparison_fails_the_calls_then_reconnects() -> None:
    if shutil.which("nats-server") is None:
        pytest.fail("nats-server not found (Debian package nats-server)")
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    subject = unique("lost")
    arrived = asyncio.Event()

    async def answer(client: nats.aio.client.Client, message: nats.aio.msg.Msg) -> None:
        request = json.loads(message.data)
        if request["product_id"] == "HANG":
            arrived.set()
            return
        body = quote_for(request, "lost")
        await client.publish(message.reply, body, headers=_reply_headers(message))

    server = _nats_server(port)
    cfg = config(
        [broker_supplier("lost", "nats", url, subject)], timeout=60.0, supplier_timeout=60.0
    )
    try:
        async with core.PriceComparator(cfg) as comparator:
            async with wire_adapter(url, subject, answer):
                assert (await comparator.compare("SKU-100", 1)).decided
                running = asyncio.create_task(comparator.compare("HANG", 1))
                await arrived.wait()
                started = time.perf_counter()
                server.kill()
                server.wait()
                cut = await running
                failed_after = time.perf_counter() - started
                state = comparator.connection_state("lost")
            server = _nats_server(port)
            async with wire_adapter(url, subject, answer):
                after = await comparator.compare("SKU-100", 1)
                state_after = comparator.connection_state("lost")
    finally:
        server.kill()
        server.wait()
    assert cut.suppliers[0].status is core.Status.ERROR
    assert cut.suppliers[0].error == "broker connection lost"
    assert failed_after < 30
    assert state == "disconnected"
    assert after.decided, after.error
    assert state_after == "connected"
