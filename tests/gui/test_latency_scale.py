"""The latency axis keeps its scale from one comparison to the next; a new run is drawn whole."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from core import CallResult, CallSent, ComparisonStarted, Status, SupplierResult
from gui.live import LiveRun
from gui.widgets.latency_plot import LatencyPlot

pytestmark = pytest.mark.gui

NAMES = ("acme", "globex", "initech")


def finished_run(correlation_id: str, slowest_ms: float) -> LiveRun:
    now = time.perf_counter()
    run = LiveRun(ComparisonStarted(correlation_id, "all", NAMES, 5.0, now))
    for name in NAMES:
        run.on_sent(CallSent(correlation_id, name, now))
    for name, latency in zip(NAMES, (slowest_ms / 4, slowest_ms / 2, slowest_ms), strict=True):
        result = SupplierResult(name, Status.OK, latency, "q")
        run.on_result(CallResult(correlation_id, result, now))
    return run


def axis_end_ms(plot: LatencyPlot) -> float:
    (_, high), _ = plot.getPlotItem().getViewBox().viewRange()
    return float(high)


def test_the_next_comparison_starts_on_the_last_ones_scale(qtbot: QtBot) -> None:
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.follow(finished_run("c1", 180.0))
    plot.finish()
    assert 200 <= axis_end_ms(plot) < 210  # 180 ms × 1.08 → 200 ms, 2 % padding

    plot.follow(finished_run("c2", 90.0))  # starts where c1 ended, not back at 100 ms
    assert 200 <= axis_end_ms(plot) < 210
    plot.finish()
    plot.follow(finished_run("c3", 60.0))  # c2 used 97 of 200 ms: more than 40 %
    assert 200 <= axis_end_ms(plot) < 210


def test_a_scale_the_last_comparison_hardly_used_shrinks(qtbot: QtBot) -> None:
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.follow(finished_run("c1", 900.0))
    plot.finish()
    assert 1000 <= axis_end_ms(plot) < 1030
    plot.follow(finished_run("c2", 30.0))
    plot.finish()
    plot.follow(finished_run("c3", 30.0))  # c2 used 32 of 1000 ms
    assert 100 <= axis_end_ms(plot) < 105


def test_a_run_followed_without_drawing_is_drawn_whole_by_the_first_frame(qtbot: QtBot) -> None:
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.follow(finished_run("c1", 80.0))
    assert plot.bar_lengths() == {"acme": 20.0, "globex": 40.0, "initech": 80.0}
    plot.follow(finished_run("c2", 40.0), draw_now=False)  # as the window does at a start
    assert plot.bar_lengths()["initech"] == 80.0  # the last run's bars, for one frame
    qtbot.waitUntil(lambda: plot.bar_lengths() == {"acme": 10.0, "globex": 20.0, "initech": 40.0})
    assert not plot.animating  # done: the timer stopped after that frame
