"""A per-destination circuit breaker with Resilience4j-like semantics.

Why not a library: pybreaker, aiobreaker and purgatory count consecutive failures only;
none has a count-based failure-rate window with a minimum number of calls, a fixed number
of half-open trial calls, or operator states. This one is small, has no I/O and no timers:
time comes from an injectable clock and ``open → half-open`` happens when the state is
next looked at (the GUI looks every second, a scatter looks before every call).

States::

    closed ──(N consecutive failures, or failure rate ≥ R over the last W calls, ≥ M calls)──▶ open
    open ──(after open_seconds)──▶ half-open
    half-open ──(all K trial calls succeed)──▶ closed
    half-open ──(any trial call fails)──▶ open

Operator states: ``forced-open`` (never call), ``forced-closed`` (always call, never trip),
``disabled`` (taken out of service: never called). ``reset()`` returns to a clean closed.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable

from core._config import BreakerSettings
from core._events import BreakerTransition

__all__ = ["BreakerState", "CircuitBreaker", "Outcome"]


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"
    FORCED_OPEN = "forced-open"
    FORCED_CLOSED = "forced-closed"
    DISABLED = "disabled"


class Outcome(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"
    """cancelled, or cut off by the comparison's deadline: says nothing about the supplier"""


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_transition: Callable[[BreakerTransition], object] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or BreakerSettings()
        self._clock = clock
        self._on_transition = on_transition
        self._state = BreakerState.CLOSED
        self._window: deque[bool] = deque(maxlen=self.settings.window_size)  # True = failure
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._trials_left = 0
        self._trial_successes = 0
        self._generation = 0

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.settings.open_seconds
        ):
            self._to_half_open()
        return self._state

    def seconds_until_half_open(self) -> float | None:
        """For an open breaker, the time left before it lets trial calls through."""
        if self.state is not BreakerState.OPEN:
            return None
        return max(0.0, self._opened_at + self.settings.open_seconds - self._clock())

    @property
    def generation(self) -> int:
        """Changes with every transition: a call records the generation it started in."""
        return self._generation

    @property
    def window(self) -> tuple[int, int]:
        """(calls, failures) in the rolling window."""
        return len(self._window), sum(self._window)

    # -- calls ---------------------------------------------------------------------------

    def try_acquire(self) -> bool:
        """May a call go out now? In half-open, each yes uses up one trial call."""
        state = self.state
        if state in (BreakerState.CLOSED, BreakerState.FORCED_CLOSED):
            return True
        if state is BreakerState.HALF_OPEN and self._trials_left > 0:
            self._trials_left -= 1
            return True
        return False

    def record(self, outcome: Outcome, *, generation: int | None = None) -> None:
        """Report how an acquired call ended.

        With the ``generation`` the call was acquired in, a call that outlived a transition
        (started closed, ended after open → half-open, say) is not counted: it neither
        used a trial permit nor says anything about the state the breaker is in now.
        """
        if generation is not None and generation != self._generation:
            return
        state = self._state
        if state is BreakerState.HALF_OPEN:
            self._record_trial(outcome)
            return
        if outcome is Outcome.IGNORED or state not in (
            BreakerState.CLOSED,
            BreakerState.FORCED_CLOSED,
        ):
            return
        failed = outcome is Outcome.FAILURE
        self._window.append(failed)
        self._consecutive_failures = self._consecutive_failures + 1 if failed else 0
        if state is BreakerState.CLOSED and failed:
            self._maybe_trip()

    def _maybe_trip(self) -> None:
        settings = self.settings
        if self._consecutive_failures >= settings.consecutive_failures:
            self._to_open(f"{self._consecutive_failures} consecutive failures")
            return
        calls, failures = self.window
        if calls >= settings.minimum_calls and failures / calls >= settings.failure_rate:
            self._to_open(f"failure rate {failures}/{calls} over the last {calls} calls")

    def _record_trial(self, outcome: Outcome) -> None:
        if outcome is Outcome.IGNORED:
            self._trials_left += 1  # the trial said nothing: let another one through
        elif outcome is Outcome.FAILURE:
            self._to_open("a half-open trial call failed")
        else:
            self._trial_successes += 1
            if self._trial_successes >= self.settings.half_open_calls:
                self._to(BreakerState.CLOSED, f"{self._trial_successes} trial calls succeeded")

    # -- operator actions ----------------------------------------------------------------

    def force_open(self) -> None:
        self._to(BreakerState.FORCED_OPEN, "forced open by operator")

    def force_closed(self) -> None:
        self._to(BreakerState.FORCED_CLOSED, "forced closed by operator")

    def disable(self) -> None:
        self._to(BreakerState.DISABLED, "disabled by operator")

    def enable(self) -> None:
        if self._state is BreakerState.DISABLED:
            self._to(BreakerState.CLOSED, "enabled by operator")

    def reset(self) -> None:
        self._to(BreakerState.CLOSED, "reset by operator")

    # -- transitions ---------------------------------------------------------------------

    def _to_open(self, reason: str) -> None:
        self._opened_at = self._clock()
        self._to(BreakerState.OPEN, reason)

    def _to_half_open(self) -> None:
        self._trials_left = self.settings.half_open_calls
        self._trial_successes = 0
        self._to(BreakerState.HALF_OPEN, f"{self.settings.open_seconds:g} s open elapsed")

    def _to(self, new: BreakerState, reason: str) -> None:
        old = self._state
        self._state = new
        self._generation += 1
        if new in (BreakerState.CLOSED, BreakerState.FORCED_CLOSED, BreakerState.DISABLED):
            self._window.clear()
            self._consecutive_failures = 0
        if old is new:
            return
        if self._on_transition is not None:
            self._on_transition(
                BreakerTransition(self.name, old.value, new.value, reason, time.time())
            )
