"""Configs of broker suppliers and simulated responders serving them, for the broker tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import core
from core.fleet._broker_responder import BrokerResponder

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
NATS_URL = "nats://127.0.0.1:4222"
PLACE = {"amqp": "queue", "nats": "subject", "kafka": "topic"}

#: quick, steady simulated suppliers: a and b agree on the list price, c is 10 % cheaper
QUICK = {"latency_ms": 2.0, "latency_spread": 0.0, "noise": 0.0, "stock": 1.0}
TRIO = {"a": {**QUICK}, "b": {**QUICK}, "c": {**QUICK, "markup": -0.1}}


def unique(prefix: str) -> str:
    """A queue/subject/topic name no other test (or engineer) uses."""
    return f"test.{prefix}.{uuid.uuid4().hex[:10]}"


def broker_supplier(
    name: str, kind: str, url: str, place: str, sim: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "transport": kind, "broker": url, PLACE[kind]: place}
    if sim is not None:
        entry["sim"] = sim
    return {**entry, **extra}


def config(suppliers: list[dict[str, Any]], **defaults: Any) -> core.Config:
    return core.parse_config(
        {"defaults": {"timeout": 10.0, "supplier_timeout": 8.0, **defaults}, "suppliers": suppliers}
    )


def trio(kind: str, url: str, **defaults: Any) -> core.Config:
    return config(
        [broker_supplier(n, kind, url, unique(f"{kind}-{n}"), sim) for n, sim in TRIO.items()],
        **defaults,
    )


@asynccontextmanager
async def responders(
    cfg: core.Config, *names: str, copies: int = 1, **options: Any
) -> AsyncIterator[list[BrokerResponder]]:
    """``copies`` simulated responders for each named supplier, serving until the block
    ends; entered once every one consumes."""
    started: list[BrokerResponder] = []
    tasks: list[asyncio.Task[None]] = []
    ready: list[asyncio.Event] = []
    for name in names or tuple(s.name for s in cfg.suppliers):
        for _ in range(copies):
            responder = BrokerResponder(cfg, name, **options)
            event = asyncio.Event()
            started.append(responder)
            ready.append(event)
            tasks.append(asyncio.create_task(responder.serve(event.set)))
    try:
        waiting = asyncio.gather(*(e.wait() for e in ready))
        done, _ = await asyncio.wait([waiting, *tasks], timeout=30, return_when="FIRST_COMPLETED")
        if waiting not in done:
            waiting.cancel()
            for task in done:
                task.result()  # a responder that failed: its error
            raise TimeoutError("responders not ready within 30 s")
        yield started
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
