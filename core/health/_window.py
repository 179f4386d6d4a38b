"""Rolling health per supplier over a sliding time window: calls and probes, breaker spans.

:class:`HealthWindow` subscribes to a comparator's events. It keeps each supplier's
samples (one per finished call or probe) and breaker transitions for ``keep_s`` seconds in
a :class:`HealthStore`; :meth:`HealthWindow.stats` summarises the last ``window_s``
seconds (error rate, p50/p95/p99 latency) and :meth:`HealthWindow.series` buckets the
samples for a chart. The store is in memory; the history database can take its place
(same three methods) without the window, the monitor or the GUI changing. After a
restart :meth:`HealthWindow.hold` and :meth:`HealthWindow.seed` put what the history
recorded before the live samples (:func:`core.storage.restore_health` does both).
"""

from __future__ import annotations

import bisect
import math
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from core._events import BreakerTransition, CallResult, Event, ProbeCompleted
from core._results import Status

__all__ = [
    "Bucket",
    "HealthStore",
    "HealthWindow",
    "MemoryHealthStore",
    "Sample",
    "WindowStats",
]

KEEP_S = 15 * 60.0
"""how far back samples and transitions are kept (the GUI chart shows 15 minutes)"""
MAX_SAMPLES = 20_000
"""per supplier, whatever the rate of comparisons: memory stays bounded"""


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    """wall-clock seconds"""
    status: Status
    """ok, error, invalid or timeout (the supplier's own)"""
    latency_ms: float | None
    probe: bool
    """a health probe (else a comparison's call)"""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


@dataclass(frozen=True, slots=True)
class WindowStats:
    calls: int
    """calls and probes that finished in the window"""
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    """latency percentiles of the successful ones and the timed-out ones (at their
    latency): a p95 at the supplier's timeout means one call in twenty times out"""

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float
    calls: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None


class HealthStore(Protocol):
    """Where samples and breaker transitions are kept (in memory, or the history database)."""

    def add_sample(self, supplier: str, sample: Sample) -> None: ...

    def add_transition(self, transition: BreakerTransition) -> None: ...

    def samples(self, supplier: str, since: float) -> list[Sample]:
        """Samples at or after ``since``, oldest first."""
        ...

    def transitions(self, supplier: str, since: float) -> list[BreakerTransition]:
        """Transitions at or after ``since``, oldest first, plus the last one before it
        (the state the supplier was in at ``since``)."""
        ...


_STATUSES = (Status.OK, Status.ERROR, Status.INVALID, Status.TIMEOUT)
_CODES = {status: code for code, status in enumerate(_STATUSES)}


class _Series:
    """One supplier's samples as parallel arrays (~24 bytes a sample, not ~200 as objects);
    the oldest are dropped by moving ``start``, and the arrays compacted now and then."""

    __slots__ = ("at", "code", "latency", "start")

    def __init__(self) -> None:
        self.at = array("d")
        self.latency = array("d")  # NaN: none
        self.code = array("b")  # status code × 2, + 1 for a probe
        self.start = 0

    def append(self, sample: Sample) -> None:
        self.at.append(sample.at)
        self.latency.append(math.nan if sample.latency_ms is None else sample.latency_ms)
        self.code.append(_CODES[sample.status] * 2 + sample.probe)

    def drop_before(self, horizon: float, keep_at_most: int) -> None:
        at, start = self.at, self.start
        start = max(start, len(at) - keep_at_most)
        while start < len(at) and at[start] < horizon:
            start += 1
        if start > 1024 and start * 2 > len(at):
            del self.at[:start], self.latency[:start], self.code[:start]
            start = 0
        self.start = start

    def since(self, since: float) -> list[Sample]:
        first = bisect.bisect_left(self.at, since, lo=self.start)
        at, latency, code = self.at, self.latency, self.code
        return [
            Sample(
                at[i],
                _STATUSES[code[i] >> 1],
                None if math.isnan(latency[i]) else latency[i],
                bool(code[i] & 1),
            )
            for i in range(first, len(at))
        ]


class MemoryHealthStore:
    """The last ``keep_s`` seconds of samples and transitions per supplier, in memory."""

    def __init__(self, keep_s: float = KEEP_S, max_samples: int = MAX_SAMPLES) -> None:
        self.keep_s = keep_s
        self._max = max_samples
        self._samples: dict[str, _Series] = {}
        self._transitions: dict[str, deque[BreakerTransition]] = {}

    def add_sample(self, supplier: str, sample: Sample) -> None:
        series = self._samples.get(supplier)
        if series is None:
            series = self._samples[supplier] = _Series()
        series.append(sample)
        series.drop_before(sample.at - self.keep_s, self._max)

    def add_transition(self, transition: BreakerTransition) -> None:
        kept = self._transitions.get(transition.supplier)
        if kept is None:
            kept = self._transitions[transition.supplier] = deque()
        kept.append(transition)
        horizon = transition.at - self.keep_s
        while len(kept) > 1 and kept[1].at < horizon:  # the oldest still says the state then
            kept.popleft()

    def samples(self, supplier: str, since: float) -> list[Sample]:
        series = self._samples.get(supplier)
        return series.since(since) if series is not None else []

    def transitions(self, supplier: str, since: float) -> list[BreakerTransition]:
        kept = self._transitions.get(supplier, ())
        start = bisect.bisect_left(kept, since, key=lambda t: t.at)
        return list(kept)[max(0, start - 1) :]

    def forget(self, supplier: str) -> None:
        self._samples.pop(supplier, None)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _summarise(samples: Iterable[Sample]) -> tuple[int, int, list[float]]:
    calls = errors = 0
    latencies = []
    for sample in samples:
        calls += 1
        if not sample.ok:
            errors += 1
        if sample.latency_ms is not None and sample.status in _TIMED:
            latencies.append(sample.latency_ms)
    latencies.sort()
    return calls, errors, latencies


_TIMED = (Status.OK, Status.TIMEOUT)
"""whose latency says how slow the supplier is (an error is often fast: a refused port)"""


def counted(result_status: Status, own_timeout: bool) -> bool:
    """Whether a call's result says anything about the supplier (as its breaker counts)."""
    if result_status in (Status.OK, Status.ERROR, Status.INVALID):
        return True
    return result_status is Status.TIMEOUT and own_timeout


class HealthWindow:
    """Subscribe :meth:`observe` to a comparator's events; read :meth:`stats` and :meth:`series`."""

    def __init__(
        self,
        window_s: float = 60.0,
        *,
        store: HealthStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window_s = window_s
        self.store: HealthStore = store if store is not None else MemoryHealthStore()
        self.clock = clock
        self._held: list[tuple[str, Sample] | BreakerTransition] | None = None
        """what was observed since :meth:`hold`, for :meth:`seed` to add after the older"""

    def observe(self, event: Event) -> None:
        if isinstance(event, ProbeCompleted):
            sample = Sample(event.at, Status(event.status), event.latency_ms, probe=True)
            self._add_sample(event.supplier, sample)
        elif isinstance(event, CallResult):
            result = event.result
            if counted(result.status, result.own_timeout):
                sample = Sample(self.clock(), result.status, result.latency_ms, probe=False)
                self._add_sample(result.name, sample)
        elif isinstance(event, BreakerTransition):
            if self._held is None:
                self.store.add_transition(event)
            else:
                self._held.append(event)

    def _add_sample(self, supplier: str, sample: Sample) -> None:
        if self._held is None:
            self.store.add_sample(supplier, sample)
        else:
            self._held.append((supplier, sample))

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold(self) -> float:
        """Keep what is observed from now on aside until :meth:`seed`, so that older
        samples can still go first (the store keeps each supplier's in time order).
        Returns the moment holding began: what is seeded must be older. Call it before the
        window observes anything."""
        if self._held is None:
            self._held = []
        return self.clock()

    def seed(
        self,
        samples: Mapping[str, Iterable[Sample]],
        transitions: Iterable[BreakerTransition] = (),
    ) -> None:
        """Add older samples and transitions (each supplier's oldest first), then what was
        held since :meth:`hold`; holding ends. ``seed({})`` just ends holding."""
        held, self._held = self._held or [], None
        for supplier, older in samples.items():
            for sample in older:
                self.store.add_sample(supplier, sample)
        for transition in transitions:
            self.store.add_transition(transition)
        for item in held:
            if isinstance(item, BreakerTransition):
                self.store.add_transition(item)
            else:
                self.store.add_sample(*item)

    def stats(self, supplier: str, now: float | None = None) -> WindowStats:
        now = self.clock() if now is None else now
        calls, errors, latencies = _summarise(self.store.samples(supplier, now - self.window_s))
        return WindowStats(
            calls,
            errors,
            percentile(latencies, 50),
            percentile(latencies, 95),
            percentile(latencies, 99),
        )

    def series(
        self, supplier: str, *, span_s: float, bucket_s: float, now: float | None = None
    ) -> list[Bucket]:
        """The last ``span_s`` seconds in buckets of ``bucket_s``, oldest first (empty ones too)."""
        now = self.clock() if now is None else now
        count = max(1, round(span_s / bucket_s))
        first = now - count * bucket_s
        groups: list[list[Sample]] = [[] for _ in range(count)]
        for sample in self.store.samples(supplier, first):
            index = min(count - 1, int((sample.at - first) / bucket_s))
            groups[index].append(sample)
        buckets = []
        for index, group in enumerate(groups):
            calls, errors, latencies = _summarise(group)
            buckets.append(
                Bucket(
                    first + index * bucket_s,
                    calls,
                    errors,
                    percentile(latencies, 50),
                    percentile(latencies, 95),
                )
            )
        return buckets

    def transitions(self, supplier: str, since: float) -> list[BreakerTransition]:
        return self.store.transitions(supplier, since)
