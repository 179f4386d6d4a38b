"""The health monitor probes real suppliers on 127.0.0.1 through their circuit breakers."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import aiohttp.web
import pytest

import core
from core.fleet import Fleet
from tests.fleet._helpers import quick
from tests.fleet.conftest import MakeFleet
from tests.health._helpers import Recorder, probe_of, transition_to

FAST_HEALTH = {"interval": 0.05, "jitter": 0.2}
QUICK_BREAKER = {
    "consecutive_failures": 2,
    "window_size": 10,
    "minimum_calls": 10,
    "open_seconds": 0.3,
    "half_open_calls": 2,
}


def probing_config(fleet: Fleet, **health: Any) -> core.Config:
    data = fleet.config.model_dump(exclude={"source"})
    data["health"] = {**FAST_HEALTH, **health}
    data["breaker"] = QUICK_BREAKER
    return core.parse_config(data, "<probing test>")


def monitor_tasks() -> list[asyncio.Task[Any]]:
    """The monitor's tasks still around (the fleet's own server tasks are not ours)."""
    return [
        t
        for t in asyncio.all_tasks()
        if t.get_name() == "health monitor" or t.get_name().startswith("probe ")
    ]


async def test_probes_open_the_breaker_of_a_broken_supplier_and_close_it_once_healed(
    make_fleet: MakeFleet,
) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    async with core.PriceComparator(probing_config(fleet)) as comparator:
        seen = Recorder(comparator.events)
        comparator.start_health_monitor()
        first = await seen.next(probe_of("acme"))
        assert (first.status, first.state, first.error) == ("ok", "closed", None)
        assert first.latency_ms is not None and first.latency_ms > 0

        fleet.set_faults("acme", outage=True)
        opened = await seen.next(transition_to("acme", "open"))
        assert opened.old == "closed" and "2 consecutive failures" in opened.reason
        open_index = seen.events.index(opened)
        failed = seen.events[open_index + 1]  # the probe that tripped it ends after it
        assert probe_of("acme", "error")(failed) and failed.state == "open"
        assert "refused" in (failed.error or "")

        # open: not probed until the wait is over; then the next probe is the trial
        trial_time = await seen.next(transition_to("acme", "half-open"))
        half_open_index = seen.events.index(trial_time)
        assert not [
            e for e in seen.events[open_index + 2 : half_open_index] if probe_of("acme")(e)
        ], "a supplier whose breaker is open was probed"
        trial = await seen.next(probe_of("acme"))
        assert (trial.status, trial.state) == ("error", "open")  # still broken: open again

        fleet.set_faults("acme", outage=False)
        closed = await seen.next(transition_to("acme", "closed"), timeout=15)
        assert closed.old == "half-open"
        assert comparator.breakers["acme"].state is core.BreakerState.CLOSED
        # globex was healthy all along: probed, never tripped
        assert seen.of(core.ProbeCompleted, "globex")
        assert not seen.of(core.BreakerTransition, "globex")
        assert monitor_tasks()
    assert not monitor_tasks(), "the monitor left tasks behind"


async def test_pausing_stops_new_probes_and_resuming_starts_them_again(
    make_fleet: MakeFleet,
) -> None:
    fleet = await make_fleet([quick("acme")])
    async with core.PriceComparator(probing_config(fleet)) as comparator:
        seen = Recorder(comparator.events)
        monitor = comparator.start_health_monitor()
        await seen.next(probe_of("acme"))
        monitor.pause()
        assert monitor.paused
        await asyncio.sleep(0.1)  # a probe already in flight may still finish
        served = fleet.requests_served["acme"]
        await asyncio.sleep(0.4)  # 8 intervals: proving an absence needs time to pass
        assert fleet.requests_served["acme"] == served
        monitor.resume()
        await seen.next(probe_of("acme"))
        assert fleet.requests_served["acme"] > served


async def test_a_one_shot_comparison_sends_no_probe(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    async with core.PriceComparator(probing_config(fleet)) as comparator:
        await comparator.compare("SKU-123", 4)
        await asyncio.sleep(0.3)  # six probe intervals
        assert comparator.health_monitor is None
    assert fleet.requests_served == {"acme": 1, "globex": 1}


async def test_a_probe_asks_for_the_probe_product_with_quantity_one(
    make_fleet: MakeFleet,
) -> None:
    fleet = await make_fleet([quick("acme")])
    config = probing_config(fleet, probe_product="PING-1")
    async with core.PriceComparator(config) as comparator:
        seen = Recorder(comparator.events)
        bodies: list[bytes] = []
        begin = comparator.transport.begin

        def spy(endpoint: core.Endpoint, body: bytes, **kwargs: Any) -> Any:
            bodies.append(body)
            return begin(endpoint, body, **kwargs)

        comparator.transport.begin = spy  # type: ignore[method-assign]
        monitor = core.HealthMonitor(comparator)
        event = await monitor.probe("acme")
        assert event is not None and event.status == "ok"
        assert seen.events == [event]  # a probe is no comparison: no CallSent / CallResult
        asked = json.loads(bodies[0])
        assert (asked["product_id"], asked["quantity"]) == ("PING-1", 1)
        assert fleet.requests_served["acme"] == 1
        await monitor.aclose()


async def test_an_open_or_disabled_breaker_refuses_the_probe(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet([quick("acme")])
    async with core.PriceComparator(probing_config(fleet)) as comparator:
        monitor = core.HealthMonitor(comparator)
        for act in (
            comparator.breakers["acme"].force_open,
            comparator.breakers["acme"].disable,
        ):
            act()
            assert await monitor.probe("acme") is None
        assert fleet.requests_served["acme"] == 0
        await monitor.aclose()


async def test_jitter_keeps_intervals_apart_within_bounds(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet([quick("acme")])
    async with core.PriceComparator(probing_config(fleet)) as comparator:
        monitor = core.HealthMonitor(
            comparator,
            core.HealthSettings(interval=10.0, jitter=0.2),
            rng=random.Random(7),
        )
        intervals = [monitor._next_interval() for _ in range(200)]
        assert min(intervals) >= 8.0 and max(intervals) <= 12.0
        assert len({round(i, 3) for i in intervals}) > 150  # drawn, not fixed
        await monitor.aclose()


async def test_a_health_url_is_probed_with_a_get(make_fleet: MakeFleet) -> None:
    answers = [200, 503]
    seen_methods: list[str] = []

    async def health(request: aiohttp.web.Request) -> aiohttp.web.Response:
        seen_methods.append(request.method)
        return aiohttp.web.Response(status=answers.pop(0), text="ok")

    app = aiohttp.web.Application()
    app.router.add_get("/healthz", health)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        fleet = await make_fleet([quick("acme")])
        data = fleet.config.model_dump(exclude={"source"})
        data["suppliers"][0]["health_url"] = f"http://127.0.0.1:{port}/healthz"
        async with core.PriceComparator(core.parse_config(data)) as comparator:
            monitor = core.HealthMonitor(comparator)
            good = await monitor.probe("acme")
            bad = await monitor.probe("acme")
            await monitor.aclose()
        assert good is not None and good.status == "ok"
        assert bad is not None and (bad.status, bad.error) == (
            "error",
            "HTTP 503 Service Unavailable",
        )
        assert seen_methods == ["GET", "GET"]
        assert fleet.requests_served["acme"] == 0  # no quote request
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("health", "message"),
    [
        ({"interval": 0}, "health.interval"),
        ({"jitter": 1.5}, "health.jitter"),
        ({"probe_product": ""}, "health.probe_product"),
        ({"every": 3}, "health.every"),
    ],
)
def test_a_bad_health_section_is_one_line_naming_the_key(
    health: dict[str, Any], message: str
) -> None:
    data = {"health": health, "suppliers": [{"name": "a", "url": "http://127.0.0.1:1/q"}]}
    with pytest.raises(core.ConfigError) as caught:
        core.parse_config(data, "s.toml")
    text = str(caught.value)
    assert text.startswith(f"s.toml: {message}") and "\n" not in text


def test_a_health_url_must_be_http() -> None:
    data = {"suppliers": [{"name": "a", "url": "http://h/q", "health_url": "ftp://h/x"}]}
    with pytest.raises(core.ConfigError, match=r"suppliers\[0\]\.health_url"):
        core.parse_config(data, "s.toml")


async def test_a_hanging_supplier_raises_a_slow_alert_through_real_probes(
    make_fleet: MakeFleet,
) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    data = probing_config(fleet).model_dump(exclude={"source"})
    data["suppliers"][0]["timeout"] = 0.2
    data["breaker"] = {"consecutive_failures": 100, "minimum_calls": 100, "window_size": 100}
    config = core.parse_config(data)
    fleet.set_faults("acme", hang=True)
    async with core.PriceComparator(config) as comparator:
        window = core.HealthWindow(60.0)
        alerts: list[core.health.Alert] = []
        watcher = core.health.HealthAlerts(config, window, alerts.append)
        slow = asyncio.Event()

        def observe(event: core.Event) -> None:
            window.observe(event)
            watcher.observe(event)
            watcher.check()  # the window's timer does this every 250 ms
            if alerts:
                slow.set()

        comparator.events.subscribe(observe)
        comparator.start_health_monitor()
        async with asyncio.timeout(10):
            await slow.wait()
        assert [(a.supplier, a.kind) for a in alerts] == [("acme", "slow")]
        assert "reached its timeout (200 ms)" in alerts[0].message
        assert watcher.slow == {"acme"}
        stats = window.stats("acme")
        assert stats.p95_ms is not None and stats.p95_ms >= 200.0
        assert comparator.breakers["acme"].state is core.BreakerState.CLOSED
