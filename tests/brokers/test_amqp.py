"""AMQP against the real RabbitMQ: the wire contract, lost and stray replies, no route, a
connection killed mid-comparison, and responders sharing one queue."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import aio_pika.abc
import aio_pika.exceptions
import pytest

import core
from core.transports.amqp import AmqpTransport, serve
from tests.brokers._support import QUICK, broker_supplier, config, responders, unique

pytestmark = pytest.mark.broker

Reply = Callable[[aio_pika.abc.AbstractIncomingMessage, bytes], Awaitable[None]]


def quote_for(request: dict[str, Any], supplier: str, unit: float = 4.0) -> bytes:
    """A quote as the supplier protocol defines it, built from the request alone."""
    return json.dumps(
        {
            "supplier_id": supplier,
            "product_id": request["product_id"],
            "unit_price": unit,
            "total_price": unit * request["quantity"],
            "currency": "EUR",
            "valid_until": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "in_stock": True,
            "delivery_days": 2,
        }
    ).encode()


@asynccontextmanager
async def wire_adapter(
    url: str,
    queue: str,
    answer: Callable[[Reply, aio_pika.abc.AbstractIncomingMessage], Awaitable[None]],
) -> AsyncIterator[list[aio_pika.abc.AbstractIncomingMessage]]:
    """A supplier adapter written from the README's wire contract and aio-pika alone:
    declare the queue, consume, publish the reply on the default exchange to reply_to
    with the same correlation_id."""
    received: list[aio_pika.abc.AbstractIncomingMessage] = []
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, auto_delete=True)

        async def reply(message: aio_pika.abc.AbstractIncomingMessage, body: bytes) -> None:
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body, content_type="application/json", correlation_id=message.correlation_id
                ),
                routing_key=message.reply_to or "",
            )

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                received.append(message)
                await answer(reply, message)

        await declared.consume(on_message)
        yield received
    finally:
        await connection.close()


async def test_an_adapter_written_from_the_wire_contract_alone(amqp_url: str) -> None:
    queue = unique("wire")

    async def answer(reply: Reply, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        await reply(message, quote_for(json.loads(message.body), "wire"))

    cfg = config([broker_supplier("wire", "amqp", amqp_url, queue)])
    async with wire_adapter(amqp_url, queue, answer) as received:
        async with core.PriceComparator(cfg) as comparator:
            first = await comparator.compare("SKU-100", 5)
            second = await comparator.compare("SKU-100", 5)
    assert first.decided and first.winner is not None and first.winner.quote.total_price == 20.0
    assert second.decided
    ids = [m.correlation_id for m in received]
    assert len(set(ids)) == 2, "a correlation id per (comparison, supplier)"
    for message, comparison in zip(received, (first, second), strict=True):
        # the broker rewrites the pseudo-queue into a routable name for this consumer
        assert message.reply_to and message.reply_to.startswith("amq.rabbitmq.reply-to.")
        assert message.content_type == "application/json"
        assert message.correlation_id and message.correlation_id.startswith(
            comparison.correlation_id
        )
        body = json.loads(message.body)
        assert body["product_id"] == "SKU-100" and body["quantity"] == 5


async def test_duplicate_and_unknown_replies_are_dropped_and_counted(amqp_url: str) -> None:
    queue = unique("dup")

    async def answer(reply: Reply, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        body = quote_for(json.loads(message.body), "dup")
        await reply(message, body)
        await reply(message, body)  # the same reply again
        message.correlation_id = "not-one-of-ours"
        await reply(message, quote_for(json.loads(message.body), "dup", unit=1.0))

    cfg = config([broker_supplier("dup", "amqp", amqp_url, queue)])
    async with wire_adapter(amqp_url, queue, answer):
        async with core.PriceComparator(cfg) as comparator:
            transport = comparator.transports.brokers[0]
            comparison = await comparator.compare("SKU-100", 1)
            # the strays follow the reply on the same channel: one more round trip
            # through the broker and they have arrived
            again = await comparator.compare("SKU-100", 1)
            dropped = transport.dropped_replies  # type: ignore[attr-defined]
    assert comparison.decided and comparison.winner is not None
    assert comparison.winner.quote.unit_price == 4.0
    assert again.decided
    assert 2 <= dropped <= 4  # the first comparison's two strays, maybe the second's


async def test_an_error_reply_is_an_error_with_its_text(amqp_url: str) -> None:
    queue = unique("err")

    async def answer(reply: Reply, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        await reply(message, b'{"error": "out of paper"}')

    cfg = config([broker_supplier("err", "amqp", amqp_url, queue)])
    async with wire_adapter(amqp_url, queue, answer):
        async with core.PriceComparator(cfg) as comparator:
            comparison = await comparator.compare("SKU-100", 1)
    result = comparison.suppliers[0]
    assert result.status is core.Status.ERROR
    assert result.error is not None and "out of paper" in result.error


async def test_a_queue_nobody_serves_is_an_immediate_no_route_error(amqp_url: str) -> None:
    cfg = config([broker_supplier("ghost", "amqp", amqp_url, unique("nobody"))], timeout=20.0)
    async with core.PriceComparator(cfg) as comparator:
        started = time.perf_counter()
        comparison = await comparator.compare("SKU-100", 1)
        elapsed = time.perf_counter() - started
    result = comparison.suppliers[0]
    assert result.status is core.Status.ERROR
    assert result.error is not None and "no route" in result.error.lower()
    assert elapsed < 5, "not a timeout"


async def test_an_unreachable_broker_is_an_error_naming_no_credentials() -> None:
    url = "amqp://scott:tiger-secret@127.0.0.1:1/"
    cfg = config([broker_supplier("down", "amqp", url, "q")])
    async with core.PriceComparator(cfg) as comparator:
        comparison = await comparator.compare("SKU-100", 1)
        state = comparator.connection_state("down")
    result = comparison.suppliers[0]
    assert result.status is core.Status.ERROR
    assert result.error is not None and "cannot connect" in result.error
    assert "tiger-secret" not in json.dumps(comparison.to_dict())
    assert state == "disconnected"


def _close_connection(rabbitmqctl: str, name: str) -> None:
    listing = subprocess.run(
        [rabbitmqctl, "-q", "list_connections", "--no-table-headers", "pid", "client_properties"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pids = [line.split("\t")[0] for line in listing.splitlines() if name in line]
    assert len(pids) == 1, listing
    subprocess.run(
        [rabbitmqctl, "-q", "close_connection", pids[0], "test: broker gone"],
        check=True,
        capture_output=True,
    )


async def test_a_connection_killed_mid_comparison_fails_the_calls_then_reconnects(
    amqp_url: str, rabbitmqctl: str
) -> None:
    queue = unique("kill")
    arrived = asyncio.Event()

    async def answer(reply: Reply, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        request = json.loads(message.body)
        if request["product_id"] == "HANG":
            arrived.set()
            return  # never answered: the call is in flight when the connection dies
        await reply(message, quote_for(request, "kill"))

    cfg = config(
        [broker_supplier("kill", "amqp", amqp_url, queue)], timeout=60.0, supplier_timeout=60.0
    )
    async with wire_adapter(amqp_url, queue, answer):
        async with core.PriceComparator(cfg) as comparator:
            assert (await comparator.compare("SKU-100", 1)).decided
            transport = comparator.transports.brokers[0]
            name = transport.connection_name  # type: ignore[attr-defined]
            running = asyncio.create_task(comparator.compare("HANG", 1))
            await arrived.wait()
            started = time.perf_counter()
            await asyncio.to_thread(_close_connection, rabbitmqctl, name)
            cut = await running
            failed_after = time.perf_counter() - started
            state = comparator.connection_state("kill")
            after = await comparator.compare("SKU-100", 1)
            state_after = comparator.connection_state("kill")
    result = cut.suppliers[0]
    assert result.status is core.Status.ERROR, result
    assert result.error == "broker connection lost"
    assert failed_after < 30, "an error, not the 60 s timeout"
    assert state == "disconnected"
    assert after.decided, after.error
    assert state_after == "connected"


async def test_two_responders_share_one_suppliers_work(amqp_url: str) -> None:
    sim = {**QUICK, "latency_ms": 20.0}
    cfg = config([broker_supplier("shared", "amqp", amqp_url, unique("shared"), sim)])
    async with responders(cfg, copies=2) as pair:
        async with core.PriceComparator(cfg) as comparator:
            outcomes = await asyncio.gather(
                *(comparator.compare("SKU-100", n) for n in range(1, 41))
            )
    assert all(o.decided for o in outcomes)
    served = [r.supplier.requests_served for r in pair]
    assert sum(served) == 40
    assert min(served) > 0, served


async def test_a_channel_error_closes_its_connection_before_the_next_one_opens(
    amqp_url: str,
) -> None:
    """An error on the channel alone (the connection stays up) fails the calls in flight;
    the next call opens a new link, and the old connection must not stay open for good."""
    transport = AmqpTransport(amqp_url)
    try:
        old = await transport._ensure()
        channel_closed = asyncio.Event()
        old.channel.close_callbacks.add(lambda *_: channel_closed.set())
        with pytest.raises(aio_pika.exceptions.ChannelClosed):
            await old.underlay.queue_declare(unique("missing"), passive=True)
        await asyncio.wait_for(channel_closed.wait(), 10)  # the transport's callback too
        assert old.lost and not old.connection.is_closed
        new = await transport._ensure()
        assert new is not old
        assert old.connection.is_closed
        assert transport.state == "connected"
    finally:
        await transport.aclose()
    assert new.connection.is_closed


async def test_a_responder_whose_queue_is_deleted_ends_instead_of_serving_nothing(
    amqp_url: str,
) -> None:
    queue = unique("deleted")
    ready = asyncio.Event()

    async def handler(body: bytes) -> bytes | None:
        return None

    serving = asyncio.create_task(serve(amqp_url, queue, handler, ready=ready.set))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
        with pytest.raises(core.TransportError, match="cancelled the consumer"):
            await asyncio.wait_for(serving, 30)
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
