"""Every transition of the circuit breaker, on a fake clock."""

from __future__ import annotations

import pytest

from core import BreakerSettings, BreakerState, BreakerTransition, CircuitBreaker, Outcome

S, F, IGN = Outcome.SUCCESS, Outcome.FAILURE, Outcome.IGNORED


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def transitions() -> list[BreakerTransition]:
    return []


@pytest.fixture
def breaker(clock: Clock, transitions: list[BreakerTransition]) -> CircuitBreaker:
    return CircuitBreaker("acme", BreakerSettings(), clock=clock, on_transition=transitions.append)


def run(breaker: CircuitBreaker, *outcomes: Outcome) -> None:
    for outcome in outcomes:
        assert breaker.try_acquire()
        breaker.record(outcome)


def test_five_consecutive_failures_open_it(
    breaker: CircuitBreaker, transitions: list[BreakerTransition]
) -> None:
    run(breaker, F, F, F, F)
    assert breaker.state is BreakerState.CLOSED
    run(breaker, F)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.try_acquire()
    assert [(t.old, t.new) for t in transitions] == [("closed", "open")]
    assert "5 consecutive failures" in transitions[0].reason


def test_a_success_resets_the_consecutive_count(breaker: CircuitBreaker) -> None:
    run(breaker, F, F, F, F, S, F, F, F, F)
    assert breaker.state is BreakerState.CLOSED


def test_failure_rate_needs_the_minimum_number_of_calls(breaker: CircuitBreaker) -> None:
    run(breaker, S, F, S, F, S, F, S, F, S)  # 9 calls, 44 %
    assert breaker.state is BreakerState.CLOSED
    run(breaker, F)  # 10 calls, 50 %
    assert breaker.state is BreakerState.OPEN


def test_failure_rate_counts_only_the_last_twenty_calls(breaker: CircuitBreaker) -> None:
    run(breaker, *([F, S, S, S] * 5))  # 25 % over 20
    run(breaker, *([S] * 20))  # old failures have left the window
    assert breaker.window == (20, 0)
    run(breaker, *([F, S] * 5))  # 5 failures in the last 20: 25 %
    assert breaker.state is BreakerState.CLOSED


def test_ignored_outcomes_do_not_count(breaker: CircuitBreaker) -> None:
    run(breaker, *([IGN] * 30))
    assert breaker.window == (0, 0)
    assert breaker.state is BreakerState.CLOSED


def test_open_becomes_half_open_after_the_cool_down(breaker: CircuitBreaker, clock: Clock) -> None:
    run(breaker, F, F, F, F, F)
    clock.now += 29.9
    assert breaker.state is BreakerState.OPEN
    assert breaker.seconds_until_half_open() == pytest.approx(0.1)
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.seconds_until_half_open() is None


def half_open(breaker: CircuitBreaker, clock: Clock) -> None:
    run(breaker, F, F, F, F, F)
    clock.now += 30
    assert breaker.state is BreakerState.HALF_OPEN


def test_half_open_lets_three_trials_through_and_closes_when_all_succeed(
    breaker: CircuitBreaker, clock: Clock, transitions: list[BreakerTransition]
) -> None:
    half_open(breaker, clock)
    assert [breaker.try_acquire() for _ in range(4)] == [True, True, True, False]
    breaker.record(S)
    breaker.record(S)
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record(S)
    assert breaker.state is BreakerState.CLOSED
    assert [t.new for t in transitions] == ["open", "half-open", "closed"]
    assert breaker.window == (0, 0)


def test_any_failed_trial_reopens(breaker: CircuitBreaker, clock: Clock) -> None:
    half_open(breaker, clock)
    run(breaker, S, F)
    assert breaker.state is BreakerState.OPEN
    assert breaker.seconds_until_half_open() == pytest.approx(30)


def test_an_ignored_trial_gives_its_permit_back(breaker: CircuitBreaker, clock: Clock) -> None:
    half_open(breaker, clock)
    assert breaker.try_acquire()
    breaker.record(IGN)
    run(breaker, S, S, S)
    assert breaker.state is BreakerState.CLOSED


def test_forced_open_never_calls(breaker: CircuitBreaker, clock: Clock) -> None:
    breaker.force_open()
    clock.now += 3600
    assert breaker.state is BreakerState.FORCED_OPEN
    assert not breaker.try_acquire()


def test_forced_closed_always_calls_and_never_trips(breaker: CircuitBreaker) -> None:
    breaker.force_closed()
    run(breaker, *([F] * 30))
    assert breaker.state is BreakerState.FORCED_CLOSED
    assert breaker.window == (20, 20)


def test_disabled_is_not_called_until_enabled(breaker: CircuitBreaker) -> None:
    breaker.disable()
    assert not breaker.try_acquire()
    breaker.enable()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.try_acquire()


def test_reset_closes_and_forgets(
    breaker: CircuitBreaker, transitions: list[BreakerTransition]
) -> None:
    run(breaker, F, F, F, F, F)
    breaker.reset()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.window == (0, 0)
    assert transitions[-1].reason == "reset by operator"
    breaker.reset()  # no transition: already closed
    assert len(transitions) == 2


def test_numbers_come_from_the_settings(clock: Clock) -> None:
    settings = BreakerSettings(consecutive_failures=2, open_seconds=1.0, half_open_calls=1)
    breaker = CircuitBreaker("x", settings, clock=clock)
    run(breaker, F, F)
    assert breaker.state is BreakerState.OPEN
    clock.now += 1.0
    run(breaker, S)
    assert breaker.state is BreakerState.CLOSED


def test_a_call_that_outlived_a_transition_is_not_counted(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    assert breaker.try_acquire()
    slow_call = breaker.generation
    run(breaker, F, F, F, F, F)  # other calls trip it meanwhile
    clock.now += 30
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record(S, generation=slow_call)  # it used no trial permit: it must not close it
    breaker.record(IGN, generation=slow_call)  # nor hand out an extra trial
    assert [breaker.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert breaker.state is BreakerState.HALF_OPEN
