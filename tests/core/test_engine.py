"""The generic engine with an in-memory transport: ordering, deadlines, events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

import core
from core import CircuitBreaker, Destination, ScatterGather, Status, SupplierResult
from core._strategies import FirstStrategy, Judging, MajorityStrategy

Call = Callable[[str, str], Awaitable[str]]

JUDGING: Judging[str] = Judging(
    usable=lambda reply: reply != "sold-out",
    rank=lambda result: result.reply or "",
    agreement=lambda reply: reply,
    unavailable=lambda: core.NoAvailableSupplierError("x"),
)


def after(delay: float, reply: str) -> Call:
    async def call(request: str, correlation_id: str) -> str:
        await asyncio.sleep(delay)
        return reply

    return call


def failing(error: Exception) -> Call:
    async def call(request: str, correlation_id: str) -> str:
        raise error

    return call


def engine(
    calls: dict[str, Call], timeout: float = 1.0, events: core.Emitter[core.Event] | None = None
) -> ScatterGather[str, str]:
    return ScatterGather(
        [Destination(name, call, timeout, CircuitBreaker(name)) for name, call in calls.items()],
        events,
    )


async def test_each_destination_ends_with_exactly_one_result_in_order() -> None:
    sg = engine(
        {"c": after(0.02, "x"), "a": failing(core.TransportError("refused")), "b": after(0, "y")}
    )
    outcome = await sg.scatter("req", core.AllStrategy(JUDGING), timeout=1.0)
    assert [r.name for r in outcome.results] == ["c", "a", "b"]
    assert [r.status for r in outcome.results] == [Status.OK, Status.ERROR, Status.OK]
    assert all(isinstance(r.latency_ms, float) for r in outcome.results)


async def test_decision_cancels_stragglers_with_their_elapsed_time() -> None:
    started = asyncio.get_running_loop().time()
    sg = engine({"slow": after(10, "a"), "quick": after(0.01, "b")}, timeout=20)
    outcome = await sg.scatter("req", FirstStrategy(JUDGING), timeout=20)
    assert asyncio.get_running_loop().time() - started < 1
    slow = outcome.results[0]
    assert slow.status is Status.CANCELLED and slow.error == "cancelled: the strategy had decided"
    assert slow.latency_ms is not None and 5 < slow.latency_ms < 1000
    assert outcome.decision.winner is not None and outcome.decision.winner.name == "quick"


async def test_own_timeout_counts_against_the_breaker_and_the_deadline_does_not() -> None:
    sg = engine({"own": after(10, "a")}, timeout=0.05)
    outcome = await sg.scatter("req", core.AllStrategy(JUDGING), timeout=5)
    assert outcome.results[0].status is Status.TIMEOUT and outcome.results[0].own_timeout
    assert sg.destinations[0].breaker.window == (1, 1)
    assert not outcome.partial

    sg = engine({"cut": after(10, "a")}, timeout=5)
    outcome = await sg.scatter("req", core.AllStrategy(JUDGING), timeout=0.05)
    assert outcome.results[0].status is Status.TIMEOUT and not outcome.results[0].own_timeout
    assert sg.destinations[0].breaker.window == (0, 0)
    assert outcome.partial


async def test_unexpected_exceptions_become_errors_not_crashes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sg = engine({"buggy": failing(ZeroDivisionError("oops"))})
    outcome = await sg.scatter("req", core.AllStrategy(JUDGING), timeout=1)
    assert outcome.results[0].status is Status.ERROR
    assert outcome.results[0].error == "internal error: ZeroDivisionError"
    (record,) = [r for r in caplog.records if r.name == "scatterdash.engine"]
    assert record.getMessage() == "call to buggy failed unexpectedly"
    logged = logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]
    assert "ZeroDivisionError: oops" in logged and "in call" in logged  # where it was raised


async def test_observers_see_sent_then_result_and_a_failing_observer_is_harmless() -> None:
    events: core.Emitter[core.Event] = core.Emitter()
    seen: list[tuple[str, str]] = []

    def broken(event: core.Event) -> None:
        raise RuntimeError("observer bug")

    events.subscribe(broken)
    events.subscribe(
        lambda e: (
            seen.append(("sent", e.supplier))
            if isinstance(e, core.CallSent)
            else seen.append(("result", e.result.name))
            if isinstance(e, core.CallResult)
            else None
        )
    )
    sg = engine({"a": after(0.01, "x"), "b": after(0, "y")}, events=events)
    await sg.scatter("req", core.AllStrategy(JUDGING), timeout=1)
    assert seen == [("sent", "a"), ("sent", "b"), ("result", "b"), ("result", "a")]


async def test_majority_default_quorum_counts_only_queried_destinations() -> None:
    sg = engine({"a": after(0, "p"), "b": after(0.01, "p"), "c": after(0, "q"), "d": after(0, "p")})
    sg.destinations[3].breaker.force_open()
    strategy = MajorityStrategy(JUDGING)
    outcome = await sg.scatter("req", strategy, timeout=1)
    assert strategy.quorum == 2  # three queried
    assert outcome.results[3].status is Status.CIRCUIT_OPEN
    assert outcome.decision.winner is not None and outcome.decision.winner.name == "a"


async def test_concurrent_scatters_do_not_mix_results() -> None:
    async def echo(request: str, correlation_id: str) -> str:
        await asyncio.sleep(0.001 * (hash(correlation_id) % 5))
        return f"{request}:{correlation_id}"

    sg = engine({f"s{i}": echo for i in range(5)})
    outcomes = await asyncio.gather(
        *(sg.scatter(f"r{i}", core.AllStrategy(JUDGING), timeout=1) for i in range(20))
    )
    for index, outcome in enumerate(outcomes):
        for result in outcome.results:
            assert result.reply == f"r{index}:{outcome.correlation_id}"


def _result(name: str) -> SupplierResult[str]:
    return SupplierResult(name, Status.OK, 1.0, "x")


@pytest.mark.parametrize("status", list(Status))
def test_status_values_are_the_contract(status: Status) -> None:
    assert status.value in {"ok", "error", "timeout", "invalid", "circuit_open", "cancelled"}


async def test_majority_gives_up_as_soon_as_the_quorum_is_out_of_reach() -> None:
    sg = engine({"a": after(0, "p"), "b": after(0.01, "q"), "c": after(10, "p")}, timeout=20)
    outcome = await sg.scatter("req", MajorityStrategy(JUDGING, quorum=3), timeout=20)
    assert str(outcome.decision.error) == "quorum not reached: required 3, best agreement 1"
    assert outcome.results[2].status is Status.CANCELLED
    assert outcome.elapsed_ms < 5000


async def test_best_stops_waiting_once_min_responses_cannot_be_met() -> None:
    sg = engine(
        {
            "a": failing(core.TransportError("down")),
            "b": failing(core.TransportError("down")),
            "c": after(10, "p"),
        },
        timeout=20,
    )
    outcome = await sg.scatter("req", core.BestStrategy(JUDGING, min_responses=2), timeout=20)
    assert str(outcome.decision.error) == "no valid responses received"
    assert outcome.results[2].status is Status.CANCELLED
    assert outcome.elapsed_ms < 5000
