"""Calls leave in batches: a strategy that decides while they are still leaving spares the rest."""

from __future__ import annotations

import asyncio

import pytest

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


async def test_each_call_is_cut_off_at_its_own_timeout_by_one_shared_timer() -> None:
    never = asyncio.Event()

    async def hang(request: str, correlation_id: str) -> str:
        await never.wait()
        return "late"

    async def in_200_ms(request: str, correlation_id: str) -> str:
        await asyncio.sleep(0.2)
        return "ok"

    destinations = [
        Destination("short", hang, 0.05, CircuitBreaker("short")),
        Destination("answers", in_200_ms, 1.0, CircuitBreaker("answers")),
        Destination("long", hang, 0.5, CircuitBreaker("long")),
    ]
    outcome = await ScatterGather(destinations).scatter(
        "req", core.AllStrategy(JUDGING), timeout=3.0
    )
    short, answers, long = outcome.results
    assert (short.status, answers.status, long.status) == (
        Status.TIMEOUT,
        Status.OK,
        Status.TIMEOUT,
    )
    assert short.own_timeout and long.own_timeout and not outcome.partial
    assert short.latency_ms is not None and 49 <= short.latency_ms < 150
    assert long.latency_ms is not None and 499 <= long.latency_ms < 650
    assert short.error == "no reply within the supplier timeout (0.05 s)"
    assert 499 <= outcome.elapsed_ms < 650  # decided when the last own timeout passed


@pytest.mark.parametrize("observed", [False, True])
async def test_a_strategy_that_waits_for_all_sends_at_once_unless_observed(observed: bool) -> None:
    called: list[str] = []
    started_when_first_result: list[int] = []

    async def instant(request: str, correlation_id: str) -> str:
        called.append(request)
        await asyncio.sleep(0)  # its reply comes in the loop's next turn
        return "cheap"

    class Recording(core.AllStrategy[str]):
        def _take(self, result: core.SupplierResult[str]) -> bool:
            if not started_when_first_result:
                started_when_first_result.append(len(called))
            return super()._take(result)

    names = [f"s{i}" for i in range(3 * SEND_BATCH)]
    engine = ScatterGather([Destination(n, instant, 5.0, CircuitBreaker(n)) for n in names])
    if observed:  # the window: each call costs its observers' work too
        engine.events.subscribe(lambda event: None)
    outcome = await engine.scatter("req", Recording(JUDGING), timeout=5.0)
    assert all(r.status is Status.OK for r in outcome.results)
    assert started_when_first_result == [SEND_BATCH if observed else len(names)]
