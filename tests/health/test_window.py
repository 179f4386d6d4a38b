"""Rolling statistics over a sliding time window, on a fake clock."""

from __future__ import annotations

import core
from core import BreakerTransition, CallResult, ProbeCompleted, Status, SupplierResult
from core.health import HealthWindow, MemoryHealthStore


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def probe(at: float, latency: float | None, status: str = "ok") -> ProbeCompleted:
    error = None if status == "ok" else "boom"
    return ProbeCompleted("acme", status, latency, error, "closed", at)


def call(status: Status, latency: float, *, own_timeout: bool = False) -> CallResult:
    error = None if status is Status.OK else "x"
    result: SupplierResult[object] = SupplierResult(
        "acme", status, latency, None, error, own_timeout
    )
    return CallResult("c", result, 0.0)


def test_stats_cover_only_the_time_window_not_the_last_n() -> None:
    clock = FakeClock()
    window = HealthWindow(60.0, clock=clock)
    t0 = clock.now
    for i in range(100):  # old and slow: outside the window by the time we look
        window.observe(probe(t0 + i * 0.1, 900.0))
    for i in range(1, 101):
        window.observe(probe(t0 + 100 + i * 0.1, float(i)))
    window.observe(probe(t0 + 110, None, "error"))
    clock.now = t0 + 111
    stats = window.stats("acme")
    assert (stats.calls, stats.errors) == (101, 1)
    assert stats.error_rate == 1 / 101
    assert stats.p50_ms == 50.5
    assert stats.p95_ms == 95.05
    assert stats.p99_ms == 99.01
    clock.now = t0 + 200  # 90 s later: nothing left in the window
    assert window.stats("acme") == core.WindowStats(0, 0, None, None, None)


def test_calls_count_like_the_breaker_counts_them() -> None:
    clock = FakeClock()
    window = HealthWindow(60.0, clock=clock)
    window.observe(call(Status.OK, 10.0))
    window.observe(call(Status.ERROR, 5.0))
    window.observe(call(Status.TIMEOUT, 2000.0, own_timeout=True))
    window.observe(call(Status.TIMEOUT, 300.0))  # the comparison's deadline: says nothing
    window.observe(call(Status.CANCELLED, 3.0))
    window.observe(call(Status.CIRCUIT_OPEN, 0.0))
    stats = window.stats("acme")
    # the error's 5 ms says nothing about speed (a refused port is fast); a timeout's does
    assert (stats.calls, stats.errors, stats.p50_ms) == (3, 2, 1005.0)


def test_series_buckets_the_last_span_with_empty_buckets_kept() -> None:
    clock = FakeClock()
    window = HealthWindow(60.0, clock=clock)
    t0 = clock.now
    window.observe(probe(t0 + 1, 10.0))
    window.observe(probe(t0 + 2, 30.0))
    window.observe(probe(t0 + 25, None, "timeout"))
    clock.now = t0 + 30
    buckets = window.series("acme", span_s=30, bucket_s=10)
    assert [b.start for b in buckets] == [t0, t0 + 10, t0 + 20]
    assert [(b.calls, b.errors) for b in buckets] == [(2, 0), (0, 0), (1, 1)]
    assert buckets[0].p50_ms == 20.0 and buckets[1].p50_ms is None


def test_the_store_forgets_what_is_older_than_it_keeps_but_not_the_state_then() -> None:
    store = MemoryHealthStore(keep_s=100.0)
    window = HealthWindow(60.0, store=store, clock=FakeClock())
    t0 = 1_000_000.0
    window.observe(probe(t0, 1.0))
    window.observe(BreakerTransition("acme", "closed", "open", "r", t0))
    window.observe(BreakerTransition("acme", "open", "half-open", "r", t0 + 10))
    window.observe(BreakerTransition("acme", "half-open", "closed", "r", t0 + 11))
    window.observe(probe(t0 + 500, 2.0))
    window.observe(BreakerTransition("acme", "closed", "open", "r", t0 + 500))
    assert [s.latency_ms for s in store.samples("acme", 0)] == [2.0]
    # at t0 + 450 the supplier was closed: the transition that says so is kept
    kept = window.transitions("acme", t0 + 450)
    assert [(t.old, t.new) for t in kept] == [("half-open", "closed"), ("closed", "open")]


class Watched:
    """Alerts on one supplier, "acme", with this timeout, fed on a fake clock."""

    def __init__(self, timeout: float) -> None:
        config = core.parse_config(
            {"suppliers": [{"name": "acme", "url": "http://127.0.0.1:1/q", "timeout": timeout}]}
        )
        self.clock = FakeClock()
        self.window = HealthWindow(60.0, clock=self.clock)
        self.alerts: list[core.health.Alert] = []
        self.watcher = core.health.HealthAlerts(
            config, self.window, self.alerts.append, clock=self.clock
        )

    def feed(self, event: core.Event) -> None:
        self.window.observe(event)
        self.watcher.observe(event)


def test_alerts_when_a_breaker_opens_and_once_when_p95_reaches_the_timeout() -> None:
    watched = Watched(timeout=1.0)
    clock, alerts, watcher, feed = watched.clock, watched.alerts, watched.watcher, watched.feed

    feed(BreakerTransition("acme", "closed", "open", "5 consecutive failures", clock.now))
    assert [(a.kind, a.message) for a in alerts] == [
        ("breaker-open", "acme: circuit breaker opened (5 consecutive failures)")
    ]
    for _ in range(18):
        feed(probe(clock.now, 20.0))
    watcher.check()
    assert len(alerts) == 1 and not watcher.slow
    for _ in range(2):  # 2 of 20 at the timeout: the p95 is there
        feed(probe(clock.now, 1000.4, "timeout"))
    watcher.check()
    watcher.check()
    assert [a.kind for a in alerts] == ["breaker-open", "slow"]
    assert alerts[-1].message.startswith("acme: p95 latency ")
    assert "reached its timeout (1000 ms)" in alerts[-1].message
    feed(probe(clock.now, 1000.4, "timeout"))  # still slow: no second alert
    watcher.check()
    assert len(alerts) == 2 and watcher.slow == {"acme"}
    clock.now += 61  # the slow minute has left the window
    feed(probe(clock.now, 20.0))
    watcher.check()
    assert not watcher.slow and len(alerts) == 2


def test_the_store_stays_bounded_in_time_and_count() -> None:
    store = MemoryHealthStore(keep_s=10.0, max_samples=500)
    t0 = 1_000_000.0
    for i in range(5000):  # 100 a second for 50 s
        store.add_sample("acme", core.health.Sample(t0 + i / 100, Status.OK, float(i), i % 2 == 0))
    kept = store.samples("acme", 0)
    assert len(kept) == 500  # 10 s would be 1000: the count cap is lower
    assert kept[-1] == core.health.Sample(t0 + 49.99, Status.OK, 4999.0, False)
    assert [s.at for s in kept] == sorted(s.at for s in kept)
    assert store.samples("acme", t0 + 49.5)[0].latency_ms == 4950.0
    store.add_sample("acme", core.health.Sample(t0 + 100, Status.TIMEOUT, None, True))
    assert store.samples("acme", 0) == [core.health.Sample(t0 + 100, Status.TIMEOUT, None, True)]


def test_calls_cut_off_by_their_own_timeout_a_little_early_count_as_at_the_timeout() -> None:
    """One timer run cuts off every call falling due within a millisecond, so their
    latency can be just under the timeout: the supplier is slow all the same."""
    watched = Watched(timeout=0.2)
    for _ in range(20):
        watched.feed(call(Status.TIMEOUT, 199.1, own_timeout=True))
    watched.watcher.check()
    assert [a.kind for a in watched.alerts] == ["slow"] and watched.watcher.slow == {"acme"}
