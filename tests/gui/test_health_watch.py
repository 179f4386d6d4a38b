"""Live health in the window: the health view on a fake clock, probing, alerts, pausing."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from core import BreakerState, BreakerTransition, Config, HealthWindow, ProbeCompleted
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.destinations_model import Column
from gui.sparkline import FAILED
from gui.widgets.health_view import HealthView
from tests.gui.conftest import AsyncLoop, healthy
from tests.gui.conftest import destination_cell as _cell

pytestmark = pytest.mark.gui

VICTIM = "northwind"
T0 = 1_800_000_000.0


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _fifteen_minutes(window: HealthWindow) -> None:
    """acme: fine, then down from 6 to 4 minutes ago (open, a failed trial, open, closed)."""
    for second in range(0, 900, 5):
        at = T0 - 900 + second
        down = T0 - 360 <= at < T0 - 240
        if down:
            window.observe(ProbeCompleted("acme", "error", 0.4, "connection refused", "open", at))
        else:
            window.observe(ProbeCompleted("acme", "ok", 20.0 + second / 30, None, "closed", at))
    for old, new, at in (
        ("closed", "open", T0 - 360),
        ("open", "half-open", T0 - 330),
        ("half-open", "open", T0 - 329),
        ("open", "half-open", T0 - 250),
        ("half-open", "closed", T0 - 240),
    ):
        window.observe(BreakerTransition("acme", old, new, "r", at))


def test_the_health_view_draws_the_last_15_minutes_from_a_fake_clock(
    qtbot: QtBot, tmp_path: Path
) -> None:
    clock = FakeClock(T0)
    window = HealthWindow(60.0, clock=clock)
    _fifteen_minutes(window)
    view = HealthView(clock=clock)
    qtbot.addWidget(view)
    view.resize(900, 320)
    view.show()
    view.set_source(window, ("acme", "globex"))
    assert view.supplier == "acme"

    chart = view.chart
    x, p50 = chart.p50.getData()
    assert len(x) == 60 and math.isclose(x[0], -14.875) and math.isclose(x[-1], -0.125)
    # the four buckets of the outage have no latency: gaps in the curves
    gaps = [round(float(v), 3) for v, y in zip(x, p50, strict=True) if np.isnan(y)]
    assert gaps == [-5.875, -5.625, -5.375, -5.125, -4.875, -4.625, -4.375, -4.125]
    assert float(np.nanmax(chart.p95.getData()[1])) > float(np.nanmin(p50))
    failed_x = sorted(round(float(v), 3) for v in chart.failures.getData()[0])
    assert failed_x == gaps
    opened = chart.span_minutes(BreakerState.OPEN)
    assert [(round(a, 3), round(b, 3)) for a, b in opened] == [
        (-6.0, -5.5),
        (-5.483, -4.167),
    ]
    assert [(round(a, 3), round(b, 3)) for a, b in chart.span_minutes(BreakerState.HALF_OPEN)] == [
        (-5.5, -5.483),
        (-4.167, -4.0),
    ]
    assert view.stats_label.text().startswith("last 60 s: p50 ")
    assert "errors 0/12 (0%)" in view.stats_label.text()
    image = view.grab()
    assert image.width() >= 900 and image.save(str(tmp_path / "health.png"))

    # five minutes later, redrawn in place: the same items, everything moved left
    items = (chart.p50, chart.p95, chart.spans[BreakerState.OPEN])
    clock.now += 300
    view.redraw()
    assert (chart.p50, chart.p95, chart.spans[BreakerState.OPEN]) == items
    assert [round(a, 3) for a, _ in chart.span_minutes(BreakerState.OPEN)] == [-11.0, -10.483]
    assert view.stats_label.text() == "no calls or probes in the last 60 s"
    view.show_supplier("globex")
    assert view.supplier == "globex" and chart.span_minutes(BreakerState.OPEN) == []


def _probing(fleet: Fleet) -> Config:
    config = fleet.config
    breaker = config.breaker.model_copy(update={"open_seconds": 0.5, "half_open_calls": 1})
    health = config.health.model_copy(update={"interval": 0.1})
    return config.model_copy(update={"breaker": breaker, "health": health})


def test_probes_open_a_breaker_with_an_alert_and_close_it_with_no_comparison(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    messages: list[str] = []
    monkeypatch.setattr(
        QSystemTrayIcon, "showMessage", lambda _self, _title, text, *_: messages.append(text)
    )
    healthy(fleet)
    window = make_window(_probing(fleet), probing=True)
    assert window.session.probing
    assert window.health_watch.probing_label.text() == "probing every 0.1 s"

    fleet.set_faults(VICTIM, outage=True)
    aloop.until(lambda: any(a.supplier == VICTIM for a in window.health_watch.alerts), 10)
    alert = next(a for a in window.health_watch.alerts if a.supplier == VICTIM)
    assert alert.kind == "breaker-open"
    assert alert.message.startswith(f"{VICTIM}: circuit breaker opened (")
    assert alert.message in window.health_watch.alert_label.text()
    assert any(alert.message in m for m in window.event_log.messages())
    assert messages and messages[0] == alert.message  # the tray said it too
    aloop.until(lambda: _cell(window, VICTIM, Column.BREAKER) != "closed", 5)
    assert VICTIM in window.health_label.text()  # the status bar names who is down
    assert window.comparison is None  # the probes did it all
    aloop.until(lambda: _cell(window, "bluepeak-supply", Column.SUCCESS) == "100 %", 5)
    assert _cell(window, "bluepeak-supply", Column.LAST).endswith(" ms")

    # the trend column fills as probes come back; the victim's ends in failures
    aloop.until(lambda: FAILED in _cell(window, VICTIM, Column.TREND), 5)
    assert _cell(window, "bluepeak-supply", Column.TREND).strip("·") != ""

    fleet.set_faults(VICTIM, outage=False)
    aloop.until(lambda: window.session.comparator.breakers[VICTIM].state is BreakerState.CLOSED)
    aloop.until(lambda: _cell(window, VICTIM, Column.BREAKER) == "closed", 5)


def test_pausing_probing_from_the_window(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window(_probing(fleet), probing=True)
    action = window.health_watch.pause_action
    assert action.objectName() == "pauseProbingAction" and action.isEnabled()
    action.trigger()
    monitor = window.session.comparator.health_monitor
    assert monitor is not None and monitor.paused and not window.session.probing
    assert window.health_watch.probing_label.text() == "probing paused"
    assert window.health_view.pause_button.defaultAction() is action
    action.trigger()
    assert not monitor.paused
    assert window.health_watch.probing_label.text() == "probing every 0.1 s"


def test_selecting_a_destination_shows_its_health(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    assert window.health_watch.probing_label.text() == "probing off"
    assert not window.health_watch.pause_action.isEnabled()
    window.destinations.select(VICTIM)
    assert window.health_view.supplier == VICTIM


def test_the_sparkline_scales_p95_and_marks_failures_and_silence() -> None:
    from core.health import Bucket
    from gui.sparkline import sparkline

    buckets = [
        Bucket(0, 3, 0, 10.0, 10.0),
        Bucket(30, 0, 0, None, None),
        Bucket(60, 4, 1, 50.0, 110.0),
        Bucket(90, 2, 2, None, None),
        Bucket(120, 5, 0, 40.0, 60.0),
    ]
    assert sparkline(buckets) == "▁·█✕▅"
    assert sparkline([Bucket(0, 0, 0, None, None)] * 3) == ""
    assert sparkline([Bucket(0, 1, 0, 5.0, 5.0)] * 2) == "▁▁"
    assert sparkline([Bucket(0, 0, 0, None, None), *buckets]) == " ▁·█✕▅"
    assert sparkline([Bucket(0, 0, 0, None, None)] * 3 + buckets[:1]) == "   ▁"  # all blank


def test_opening_another_config_moves_probing_to_the_new_suppliers(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    from core.fleet._toml import dump_config

    healthy(fleet)
    window = make_window(_probing(fleet), probing=True)
    old = window.session
    path = tmp_path / "other.toml"
    path.write_text(dump_config(_probing(fleet)))
    task = window.open_config(path)
    assert task is not None
    aloop.until(task.done, 10)
    assert task.result() is True
    assert window.session is not old and old.closed
    assert old.comparator.health_monitor is not None
    assert not old.comparator.health_monitor.running  # stopped with its comparator
    assert window.session.probing
    assert window.session.config.health.interval == 0.1  # [health] survived the TOML
    seen: list[ProbeCompleted] = []
    window.session.subscribe(lambda e: seen.append(e) if isinstance(e, ProbeCompleted) else None)
    aloop.until(lambda: seen, 5)
