"""The latency bars survive thousands of in-place updates, each one painted.

Guards the PySide6 pin in pyproject.toml: PySide6 6.12.0 with pyqtgraph 0.14.0 aborts the
process ("none_dealloc: deallocating None") in ``BarGraphItem.boundingRect`` within a
few hundred such updates; 6.10 and 6.11 run clean. Before raising the pin, run this file.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pyqtgraph as pg
import pytest
from pytestqt.qtbot import QtBot

from core import CallResult, CallSent, ComparisonStarted, Status, SupplierResult
from gui.live import LiveRun
from gui.widgets.latency_plot import LatencyPlot

pytestmark = pytest.mark.gui

UPDATES = 3000
SUPPLIERS = 200
STATUSES = (Status.OK, Status.OK, Status.OK, Status.TIMEOUT, Status.ERROR, Status.INVALID)


def _new_run(index: int, names: tuple[str, ...], now: float) -> LiveRun:
    started = ComparisonStarted(f"run-{index}", "best", names, 5.0, now)
    run = LiveRun(started)
    for name in names:
        run.on_sent(CallSent(started.correlation_id, name, now))
    return run


def test_thousands_of_painted_bar_updates(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    painted = [0]
    paint = pg.BarGraphItem.paint

    def counting_paint(self: pg.BarGraphItem, *args: Any) -> None:
        painted[0] += 1
        paint(self, *args)

    monkeypatch.setattr(pg.BarGraphItem, "paint", counting_paint)
    rng = random.Random(7)
    names = tuple(f"supplier-{i:03d}" for i in range(SUPPLIERS))
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.resize(640, 480)
    with qtbot.waitExposed(plot):
        plot.show()

    run_index = 0
    run = _new_run(run_index, names, time.perf_counter())
    plot.follow(run)
    pending = list(names)
    started = time.perf_counter()
    for _ in range(UPDATES):
        # a few results per frame; a fresh comparison once everyone has answered
        for _ in range(rng.randint(0, 2)):
            if not pending:
                break
            name = pending.pop(rng.randrange(len(pending)))
            status = rng.choice(STATUSES)
            result = SupplierResult(name, status, rng.uniform(5.0, 900.0), error=None)
            run.on_result(CallResult(run.correlation_id, result, time.perf_counter()))
        if not pending:
            run_index += 1
            run = _new_run(run_index, names, time.perf_counter())
            plot.follow(run)
            pending = list(names)
        plot.redraw()
        plot.viewport().repaint()  # paint now: boundingRect runs on every update
    elapsed = time.perf_counter() - started

    assert plot.frames >= UPDATES
    assert painted[0] >= UPDATES  # every update was really painted (in-flight bars at least)
    assert run_index >= 1
    # 3000 painted frames of 200 bars: a budget far above the few ms a frame takes
    assert elapsed < 45.0
