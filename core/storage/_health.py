"""The health window's last minutes after a restart, read back from the history.

The history records every probe, every breaker transition and every comparison's
per-supplier outcomes. :func:`restore_health` reads the last ``KEEP_S`` seconds of them on
the history thread (:func:`read_recent_health`) and seeds a :class:`HealthWindow` with them,
before what the window observed meanwhile (it holds that from the start).

Time: ``Sample.at``, ``BreakerTransition.at`` and ``ProbeCompleted.at`` are wall-clock
seconds (``time.time()``), and so are the ``at`` of the ``probes`` and
``breaker_transitions`` tables and a comparison's ``recorded_at`` (when it finished). The
moment of a call is not stored: the window stamps a call's sample when its result arrives,
and an outcome keeps ``arrival_ms``, milliseconds after the comparison started (measured
with ``perf_counter``, which has its own zero). So a call's sample is at
``recorded_at - elapsed_ms / 1000 + arrival_ms / 1000`` (never after ``recorded_at``).
"""

from __future__ import annotations

from collections.abc import Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from core._engine import OWN_TIMEOUT_REASON
from core._events import BreakerTransition
from core._results import Status
from core.health._window import KEEP_S, HealthWindow, Sample, counted
from core.storage._database import HistoryDatabase
from core.storage._records import HistorySummary, OutcomeRecord
from core.storage._service import HistoryService

__all__ = ["RESTART_REASON", "RecentHealth", "call_sample", "read_recent_health", "restore_health"]

RESTART_REASON = "the breaker started anew"
"""the reason of the transition that ends a restored history in the breaker's state now"""

_SAMPLED = frozenset((Status.OK, Status.ERROR, Status.INVALID, Status.TIMEOUT))


def _status(value: str) -> Status | None:
    try:
        return Status(value)
    except ValueError:  # not one this version knows
        return None


@dataclass(frozen=True, slots=True)
class RecentHealth:
    samples: dict[str, list[Sample]]
    """each supplier's calls and probes, oldest first"""
    transitions: list[BreakerTransition]
    """oldest first, with each supplier's last one before the span"""


def call_sample(summary: HistorySummary, outcome: OutcomeRecord) -> Sample | None:
    """The sample the window took of this outcome's call (``None``: it took none)."""
    status = _status(outcome.status)
    if status is None:
        return None
    own_timeout = status is Status.TIMEOUT and (outcome.error or "").startswith(OWN_TIMEOUT_REASON)
    if not counted(status, own_timeout):
        return None
    at = summary.recorded_at
    if summary.elapsed_ms is not None and outcome.arrival_ms is not None:
        at = min(at, at + (outcome.arrival_ms - summary.elapsed_ms) / 1000.0)
    return Sample(at, status, outcome.latency_ms, probe=False)


def read_recent_health(
    database: HistoryDatabase,
    since: float,
    until: float,
    suppliers: Collection[str] | None = None,
) -> RecentHealth:
    """Samples and transitions from ``since`` until before ``until`` (wall-clock seconds),
    of ``suppliers`` only if given. Runs on the history thread."""
    samples: dict[str, list[Sample]] = {}

    def add(supplier: str, sample: Sample) -> None:
        if suppliers is None or supplier in suppliers:
            samples.setdefault(supplier, []).append(sample)

    for probe in database.probes(since=since, until=until):
        status = _status(probe.status)
        if status is not None and status in _SAMPLED:
            add(probe.supplier, Sample(probe.at, status, probe.latency_ms, probe=True))
    for summary, outcome in database.outcome_rows(since, until):
        sample = call_sample(summary, outcome)
        if sample is not None and sample.at >= since:
            add(outcome.supplier, sample)
    for series in samples.values():
        series.sort(key=lambda sample: sample.at)
    transitions = [
        t
        for t in database.transitions(since=since, until=until)
        if suppliers is None or t.supplier in suppliers
    ]
    return RecentHealth(samples, transitions)


def _ended_now(
    transitions: list[BreakerTransition], breakers: Mapping[str, str], at: float
) -> list[BreakerTransition]:
    """``transitions`` and, for each supplier whose last one left it in another state than
    its breaker is in now, one more at ``at`` (a restarted breaker starts closed)."""
    last = {t.supplier: t for t in transitions}
    now = [
        BreakerTransition(name, t.new, breakers[name], RESTART_REASON, at)
        for name, t in last.items()
        if name in breakers and t.new != breakers[name]
    ]
    return transitions + now


def restore_health(
    window: HealthWindow, service: HistoryService, breakers: Mapping[str, str]
) -> Coroutine[Any, Any, int] | None:
    """Seed ``window`` with the last ``KEEP_S`` seconds on record, for the suppliers of
    ``breakers`` (name → its breaker's state now); ``None`` when history is off.

    The window holds what it observes from this call on (call it before the window
    observes anything); the returned coroutine, which must be awaited, reads the history
    on its thread, seeds the window and ends the holding, even if cancelled. Returns how
    many samples were restored.
    """
    if not service.available:
        return None
    until = window.hold()
    return _seed(window, service, until - KEEP_S, until, dict(breakers))


async def _seed(
    window: HealthWindow,
    service: HistoryService,
    since: float,
    until: float,
    breakers: dict[str, str],
) -> int:
    recent = RecentHealth({}, [])
    try:
        recent = await service.call(
            lambda db: read_recent_health(db, since, until, breakers), recent
        )
    finally:
        window.seed(recent.samples, _ended_now(recent.transitions, breakers, until))
    return sum(len(series) for series in recent.samples.values())
