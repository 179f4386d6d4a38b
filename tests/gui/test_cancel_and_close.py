"""Cancel works; closing mid-comparison cancels everything fast and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QTableView
from pytestqt.qtbot import QtBot

from core import Status
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.outcomes_model import STATUS_ROLE
from tests.gui.conftest import AsyncLoop, compare, set_strategy

pytestmark = pytest.mark.gui


def _hang_everyone(fleet: Fleet) -> None:
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=True)


def _start_hanging_comparison(aloop: AsyncLoop, fleet: Fleet, window: MainWindow) -> None:
    _hang_everyone(fleet)
    set_strategy(window, "all")
    window.findChild(QPushButton, "compareButton").click()
    aloop.until(lambda: window.run is not None and window.run.in_flight == len(fleet.suppliers))
    assert window.comparing
    assert window.latency_plot.animating
    assert window.findChild(QPushButton, "cancelButton").isEnabled()
    assert not window.findChild(QPushButton, "compareButton").isEnabled()
    frames = window.latency_plot.frames
    aloop.sleep(0.2)
    assert window.latency_plot.frames - frames >= 4  # ≥ 20 fps while in flight
    assert "0/12 replied" in window.ticket.progress.format()


@pytest.mark.parametrize("how", ["button", "escape"])
def test_cancel_abandons_every_call(
    how: str,
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    qtbot: QtBot,
) -> None:
    window = make_window()
    _start_hanging_comparison(aloop, fleet, window)

    if how == "button":
        window.findChild(QPushButton, "cancelButton").click()
    else:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        qtbot.keyClick(window.ticket.product_edit, Qt.Key.Key_Escape)
    aloop.until(lambda: not window.comparing, timeout=2)

    assert "Cancelled" in window.result.headline.text()
    assert not window.latency_plot.animating
    outcomes = window.findChild(QTableView, "outcomesTable").model()
    assert outcomes.rowCount() == len(fleet.suppliers)
    statuses = {outcomes.index(r, 1).data(STATUS_ROLE) for r in range(outcomes.rowCount())}
    assert statuses == {Status.CANCELLED.value}
    assert any("cancelled by the operator" in m for m in window.event_log.messages())
    assert window.findChild(QPushButton, "compareButton").isEnabled()
    assert not window.findChild(QPushButton, "cancelButton").isEnabled()
    assert window.comparison is None  # no decision was made

    # cancel released everything; the window works on
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=False, hang_rate=0.0, error_rate=0.0)
    assert compare(aloop, window).decided


def test_closing_mid_comparison_cancels_in_under_a_second(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    _start_hanging_comparison(aloop, fleet, window)
    task = window.comparison_task
    assert task is not None

    started = time.perf_counter()
    window.close()
    aloop.run(window.aclose())
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert task.cancelled()
    assert not aloop.pending_tasks()
    assert not window.latency_plot.animating


DRIVER = textwrap.dedent(
    """
    import asyncio, sys, time
    from gui import app

    closed_at = []

    async def on_window(window):
        for supplier in window.fleet.suppliers:
            window.fleet.set_faults(supplier.name, hang=True)
        window.start_comparison()
        while window.run is None or window.run.in_flight < len(window.fleet.suppliers):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        closed_at.append(time.perf_counter())
        window.close()

    code = app.run(None, on_window=on_window)
    sys.stdout.write(f"{code} {time.perf_counter() - closed_at[0]:.3f}\\n")
    """
)


def test_closing_the_app_mid_comparison_exits_cleanly(tmp_path: Path) -> None:
    """The whole app in a subprocess: no pending task, no traceback, no Qt warning."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    env["PYTHONWARNINGS"] = "default"
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", DRIVER],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    code, seconds = done.stdout.split()
    assert code == "0"
    assert float(seconds) < 1.0
    for noise in ("Task was destroyed", "Traceback", "WARNING", "ERROR", "never awaited"):
        assert noise not in done.stderr, done.stderr
