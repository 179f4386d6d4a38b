"""After a restart the health window starts from what the history recorded (a real
HistoryService on a temporary file), with what it observes meanwhile kept after it."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from pathlib import Path

import pytest

import core
from core import BreakerTransition, ProbeCompleted, Status
from core.health import HealthWindow
from core.health._window import KEEP_S
from core.storage import (
    ComparisonRecord,
    HistoryDatabase,
    HistoryRecorder,
    HistoryService,
    OutcomeRecord,
    restore_health,
)
from core.storage._health import RESTART_REASON
from tests.support.scripted import ScriptedFleet, hang, healthy, status


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _outcome(position: int, supplier: str, status: str, latency: float | None, arrival: float,
             error: str | None = None) -> OutcomeRecord:  # fmt: skip
    return OutcomeRecord(position, supplier, status, latency, arrival, position, error, None)


def _comparison(cid: str, recorded_at: float, elapsed_ms: float, *outcomes: OutcomeRecord) -> (
    ComparisonRecord
):  # fmt: skip
    return ComparisonRecord(
        correlation_id=cid,
        recorded_at=recorded_at,
        product_id="SKU-1",
        quantity=1,
        strategy="all",
        decided=False,
        partial=True,
        error=None,
        winner=None,
        total_price=None,
        currency=None,
        elapsed_ms=elapsed_ms,
        deadline_s=2.0,
        source="window",
        document={},
        outcomes=outcomes,
    )


def _write(database: HistoryDatabase, now: float) -> None:
    """Rows around the health window ``[now - KEEP_S, now)`` of supplier ``a`` (and others)."""
    for at, latency in (
        (now - KEEP_S - 1, 999.0),  # just too old
        (now - KEEP_S + 1, 100.0),
        *((now - 50 + 5 * i, 10.0 * (i + 1)) for i in range(10)),
        (now + 1, 777.0),  # after the restart: the window sees that one live
    ):
        database.add_probe(ProbeCompleted("a", "ok", latency, None, "closed", at))
    database.add_probe(ProbeCompleted("zeta", "ok", 5.0, None, "closed", now - 10))  # gone
    for old, new, at in (
        ("closed", "open", now - 2000),  # long before: the next one says the state then
        ("open", "closed", now - KEEP_S - 60),
        ("closed", "open", now - KEEP_S - 30),  # the state when the window starts
        ("open", "half-open", now - 800),
        ("half-open", "closed", now - 790),
        ("closed", "open", now - 100),
        ("open", "half-open", now + 2),  # live
    ):
        database.add_transition(BreakerTransition("a", old, new, "r", at))
    # the comparison took 2 s and finished 100 s ago: it started 102 s ago
    database.add_comparison(
        _comparison(
            "recent",
            now - 100,
            2000.0,
            _outcome(0, "a", "ok", 300.0, 500.0),
            _outcome(
                1, "b", "timeout", 1000.0, 1000.0, "no reply within the supplier timeout (1 s)"
            ),
            _outcome(2, "c", "timeout", 2000.0, 2000.0, "comparison deadline reached (2 s)"),
            _outcome(3, "d", "cancelled", 40.0, 700.0, "cancelled"),
            _outcome(4, "e", "circuit_open", None, 0.0, "not called: circuit open"),
        )
    )
    database.add_comparison(
        _comparison("old", now - KEEP_S - 5, 10.0, _outcome(0, "a", "error", 3.0, 3.0, "HTTP 500"))
    )
    database.add_comparison(_comparison("live", now + 3, 10.0, _outcome(0, "a", "ok", 3.0, 3.0)))


async def _history(path: Path, now: float) -> HistoryService:
    service = HistoryService(path)
    service.submit(lambda db: _write(db, now))
    return service


async def test_a_fresh_window_gets_the_last_15_minutes_of_samples_and_breaker_spans(
    tmp_path: Path,
) -> None:
    now = float(int(time.time()))
    service = await _history(tmp_path / "history.sqlite3", now)
    window = HealthWindow(60.0, clock=FakeClock(now))
    breakers = {name: "closed" for name in "abcde"}
    restoring = restore_health(window, service, breakers)
    assert restoring is not None and window.holding
    restored = await restoring
    await service.aclose()
    assert not window.holding

    probes = [s for s in window.store.samples("a", -math.inf) if s.probe]
    assert [s.at for s in probes] == [now - KEEP_S + 1, *(now - 50 + 5 * i for i in range(10))]
    calls = [s for s in window.store.samples("a", -math.inf) if not s.probe]
    # wall clock: recorded_at (when it finished) - elapsed + the arrival offset
    assert [(s.at, s.status, s.latency_ms) for s in calls] == [(now - 101.5, Status.OK, 300.0)]
    own = window.store.samples("b", -math.inf)
    assert [(s.at, s.status, s.latency_ms) for s in own] == [(now - 101.0, Status.TIMEOUT, 1000.0)]
    # the deadline's timeouts, cancelled and never-called say nothing about a supplier
    assert window.store.samples("c", -math.inf) == window.store.samples("d", -math.inf) == []
    assert window.store.samples("e", -math.inf) == []
    assert window.store.samples("zeta", -math.inf) == []  # not a supplier of this config
    assert restored == 13

    stats = window.stats("a")  # the last 60 s: the ten recent probes
    assert (stats.calls, stats.errors, stats.p50_ms, stats.p95_ms) == (10, 0, 55.0, 95.5)
    buckets = window.series("a", span_s=KEEP_S, bucket_s=15.0)
    assert sum(b.calls for b in buckets) == 12
    assert buckets[-1].p95_ms is not None

    spans = [(t.old, t.new, t.at - now) for t in window.transitions("a", now - KEEP_S)]
    assert spans == [
        ("closed", "open", -KEEP_S - 30),
        ("open", "half-open", -800),
        ("half-open", "closed", -790),
        ("closed", "open", -100),
        ("open", "closed", 0.0),  # the new breaker is closed: the open span ends now
    ]
    assert window.transitions("a", now - KEEP_S)[-1].reason == RESTART_REASON


async def test_samples_that_arrive_during_the_read_come_after_the_history(tmp_path: Path) -> None:
    now = float(int(time.time()))
    service = await _history(tmp_path / "history.sqlite3", now)
    window = HealthWindow(60.0, clock=FakeClock(now))
    gate = threading.Event()
    service.submit(lambda db: gate.wait(30))  # the history thread is busy: the read waits
    restoring = restore_health(window, service, {"a": "closed"})
    assert restoring is not None
    task = asyncio.create_task(restoring)
    window.observe(ProbeCompleted("a", "ok", 42.0, None, "closed", now + 0.5))
    window.observe(BreakerTransition("a", "closed", "open", "live", now + 0.75))
    assert window.store.samples("a", -math.inf) == []  # held until the history is in
    gate.set()
    assert await task == 12
    await service.aclose()
    samples = window.store.samples("a", -math.inf)
    assert len(samples) == 13
    assert samples[-1].at == now + 0.5 and samples[-1].latency_ms == 42.0
    assert [s.at for s in samples] == sorted(s.at for s in samples)
    assert window.stats("a", now + 1).calls == 11
    transitions = window.transitions("a", now - 200)
    assert [(t.new, t.at - now) for t in transitions] == [
        ("closed", -790),
        ("open", -100),
        ("closed", 0.0),
        ("open", 0.75),
    ]
    window.observe(ProbeCompleted("a", "ok", 43.0, None, "closed", now + 2))  # no more held
    assert window.store.samples("a", now + 1)[-1].latency_ms == 43.0


async def test_a_cancelled_read_lets_live_samples_through(tmp_path: Path) -> None:
    now = float(int(time.time()))
    service = await _history(tmp_path / "history.sqlite3", now)
    window = HealthWindow(60.0, clock=FakeClock(now))
    gate = threading.Event()
    service.submit(lambda db: gate.wait(30))
    restoring = restore_health(window, service, {"a": "closed"})
    assert restoring is not None
    task = asyncio.create_task(restoring)
    window.observe(ProbeCompleted("a", "ok", 42.0, None, "closed", now + 0.5))
    await asyncio.sleep(0)  # the task is waiting for the history thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()
    await service.aclose()
    assert not window.holding
    assert [s.latency_ms for s in window.store.samples("a", -math.inf)] == [42.0]


async def test_with_history_off_nothing_is_read_or_held(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    service = HistoryService(path)
    assert await service.call(lambda db: 1, 0) == 0  # the open failed: history off
    assert not service.available
    window = HealthWindow(60.0)
    assert restore_health(window, service, {"a": "closed"}) is None
    assert not window.holding
    window.observe(ProbeCompleted("a", "ok", 1.0, None, "closed", time.time()))
    assert window.stats("a").calls == 1
    await service.aclose()


async def test_restored_calls_match_the_live_samples_of_real_comparisons(tmp_path: Path) -> None:
    """The same comparisons seen live and read back after a 'restart': the same samples,
    at the same wall-clock moments (a wrong time base is off by the suppliers' delays)."""
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet(
        {
            "slow": healthy(delay=0.3),
            "fast": healthy(),
            "broken": status(500, delay=0.1),
            "stuck": hang(),  # its own timeout: counted
            "late": hang(),  # cut by the comparison's deadline: not counted
        }
    ) as fleet:
        config = fleet.config(
            supplier_options={"stuck": {"timeout": 0.2}, "late": {"timeout": 5.0}}
        )
        service = HistoryService(path)
        live = HealthWindow(60.0)
        async with core.PriceComparator(config) as comparator:
            HistoryRecorder(service, source="window").attach(comparator.events)
            comparator.events.subscribe(live.observe)
            for _ in range(2):
                await comparator.compare("SKU-1", 1, strategy="all", timeout=0.5)
            comparator.events.emit(ProbeCompleted("fast", "ok", 3.5, None, "closed", time.time()))
            breakers = {name: b.state.value for name, b in comparator.breakers.items()}
        restarted = HealthWindow(60.0)
        restoring = restore_health(restarted, service, breakers)
        assert restoring is not None
        assert await restoring == 9
        await service.aclose()

    assert live.store.samples("late", -math.inf) == []
    for name in ("slow", "fast", "broken", "stuck", "late"):
        seen = live.store.samples(name, -math.inf)
        back = restarted.store.samples(name, -math.inf)
        assert [(s.status, s.latency_ms, s.probe) for s in back] == [
            (s.status, s.latency_ms, s.probe) for s in seen
        ], name
        for was, restored in zip(seen, back, strict=True):
            assert restored.at == pytest.approx(was.at, abs=0.05), name
