"""Calls leave in batches: a strategy that decides while they are still leaving spares the rest."""

from __future__ import annotations

import asyncio

import core
from core import CircuitBreaker, Destination, ScatterGather, Status
from core._engine import SEND_BATCH
from core._strategies import FirstStrategy, Judging

JUDGING: Judging[str] = Judging(
    usable=lambda reply: True,
    rank=lambda result: result.reply or "",
    agreement=lambda reply: reply,
    unavailable=lambda: core.NoAvailableSupplierError("x"),
)


async def test_first_decided_in_the_first_batch_leaves_the_others_uncalled() -> None:
    never = asyncio.Event()
    called: list[str] = []

    async def instant(request: str, correlation_id: str) -> str:
        called.append("instant")
        return "cheap"

    async def silent(request: str, correlation_id: str) -> str:
        called.append("silent")
        await never.wait()
        return "late"

    names = ["instant"] + [f"silent-{i}" for i in range(3 * SEND_BATCH - 1)]
    destinations = [
        Destination(name, instant if name == "instant" else silent, 5.0, CircuitBreaker(name))
        for name in names
    ]
    events: core.Emitter[core.Event] = core.Emitter()
    sent: list[str] = []
    events.subscribe(lambda e: sent.append(e.supplier) if isinstance(e, core.CallSent) else None)
    outcome = await ScatterGather(destinations, events).scatter(
        "req", FirstStrategy(JUDGING), timeout=5.0
    )

    assert outcome.decision.winner is not None and outcome.decision.winner.name == "instant"
    assert len(called) == len(sent) == SEND_BATCH  # one batch left, the others never did
    uncalled = [r for r in outcome.results if r.name not in sent]
    assert len(uncalled) == 2 * SEND_BATCH
    assert all(r.status is Status.CANCELLED and r.latency_ms is None for r in uncalled)
    assert uncalled[0].error == "not called: the strategy had decided"
    cancelled = [r for r in outcome.results if r.name in sent and r.name != "instant"]
    assert all(r.latency_ms is not None for r in cancelled)


def test_an_emitter_says_whether_anyone_listens() -> None:
    events: core.Emitter[core.Event] = core.Emitter()
    assert not events.listened  # the engine then builds no CallSent / CallResult at all
    unsubscribe = events.subscribe(lambda e: None)
    assert events.listened
    unsubscribe()
    assert not events.listened
