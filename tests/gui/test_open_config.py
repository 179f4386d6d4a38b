"""File → Open config…: a good config replaces the session; a bad one changes nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMessageBox, QTableView

import gui.main_window
from core import SupplierConfig
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.session import Session
from tests.gui.conftest import (
    AsyncLoop,
    compare,
    hang_a_comparison,
    healthy,
    record_instances,
    set_strategy,
)

pytestmark = pytest.mark.gui


def _toml(suppliers: Iterable[SupplierConfig], extra: str = "") -> str:
    text = '[defaults]\ntimeout = 4.0\nstrategy = "all"\n' + extra
    for supplier in suppliers:
        text += f'\n[[suppliers]]\nname = "{supplier.name}"\nurl = "{supplier.url}"\n'
    return text


def _open(aloop: AsyncLoop, window: MainWindow, path: Path) -> bool:
    task = window.open_config(path)
    assert task is not None
    aloop.until(task.done)
    return task.result()


def _error_box(window: MainWindow) -> QMessageBox:
    boxes = [
        box for box in window.findChildren(QMessageBox, "configErrorDialog") if box.isVisible()
    ]
    assert len(boxes) == 1
    return boxes[0]


def test_a_good_config_replaces_the_running_session(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window()
    assert window.open_config_action.shortcut() == QKeySequence("Ctrl+O")
    assert window.findChild(QDockWidget, "fleetDock").isVisible()
    chosen = fleet.config.suppliers[:4]
    path = tmp_path / "four.toml"
    path.write_text(_toml(chosen), encoding="utf-8")

    hang_a_comparison(aloop, fleet, window)
    running, old = window.comparison_task, window.session

    # through the dialog, as the operator does it: it is opened, not exec()'d
    window.open_config_action.trigger()
    dialog = window.findChild(QFileDialog, "openConfigDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    dialog.selectFile(str(path))
    dialog.accept()
    aloop.until(lambda: window.session is not old and not window._replacing)

    assert running is not None and running.cancelled()
    assert old.closed
    assert any("another config was opened" in m for m in window.event_log.messages())
    assert any(m == f"config: opened {path}: 4 suppliers" for m in window.event_log.messages())
    names = tuple(supplier.name for supplier in chosen)
    assert window.session.supplier_names == names
    table = window.findChild(QTableView, "destinationsTable").model()
    assert [table.index(row, 0).data() for row in range(table.rowCount())] == list(names)
    assert window.latency_plot.names == names
    assert window.ticket.quorum_spin.maximum() == 4
    assert window.ticket.timeout_spin.value() == 4.0
    assert window.health_text() == "4/4 healthy"
    assert "4 suppliers" in window.windowTitle() and str(path) in window.windowTitle()
    # the demo-fleet controls only apply to the embedded fleet
    assert "fleetDock" not in window.docks and window.fleet_panel is None
    dock = window.findChild(QDockWidget, "fleetDock")
    assert dock is None or not dock.isVisible()
    assert "Demo fleet" not in [a.text() for a in window.view_menu.actions()]
    assert not window.export_action.isEnabled()
    assert "No comparison yet" in window.result.headline.text()

    healthy(fleet)
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=False)
    set_strategy(window, "all")
    comparison = compare(aloop, window)
    assert tuple(result.name for result in comparison.suppliers) == names
    assert comparison.decided
    assert window.export_action.isEnabled()
    assert window.history_model.rowCount() == 1


def test_a_bad_config_is_a_dialog_and_the_session_runs_on(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    healthy(fleet)
    monkeypatch.delenv("SCATTERDASH_TEST_UNSET_KEY", raising=False)
    window = make_window()
    session = window.session
    first = fleet.config.suppliers[0]
    bad: dict[str, tuple[str | None, str]] = {
        "missing.toml": (None, "cannot read config"),
        "broken.toml": ("[defaults\n", "invalid TOML"),
        "unknown.toml": (_toml([first], "colour = 3\n"), "defaults.colour: unknown key"),
        "url.toml": ('[[suppliers]]\nname = "x"\nurl = "ftp://nowhere"\n', "suppliers[0].url"),
        "twice.toml": (_toml([first, first]), "suppliers[1].name: duplicate supplier name"),
        "nokey.toml": (
            _toml([first]) + 'api_key_env = "SCATTERDASH_TEST_UNSET_KEY"\n',
            "api_key_env: environment variable SCATTERDASH_TEST_UNSET_KEY is not set",
        ),
    }
    for name, (content, expected) in bad.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content, encoding="utf-8")
        assert not _open(aloop, window, path), name
        box = _error_box(window)
        assert box.icon() == QMessageBox.Icon.Critical
        assert box.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
        assert "\n" not in box.text()
        assert box.text().startswith(str(path)), box.text()
        assert expected in box.text(), box.text()
        assert any(expected in m for m in window.event_log.messages())
        box.button(QMessageBox.StandardButton.Ok).click()
        aloop.until(lambda: not window.findChildren(QMessageBox, "configErrorDialog"))
        assert window.session is session and not session.closed

    assert "fleetDock" in window.docks
    assert compare(aloop, window).decided


def test_launching_with_an_unset_api_key_variable_is_one_line_and_exit_2(
    fleet: Fleet, tmp_path: Path
) -> None:
    path = tmp_path / "nokey.toml"
    path.write_text(
        _toml(fleet.config.suppliers[:1]) + 'api_key_env = "SCATTERDASH_TEST_UNSET_KEY"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "SCATTERDASH_TEST_UNSET_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"scatterdash: {path}: suppliers[0].api_key_env: ")
    assert "SCATTERDASH_TEST_UNSET_KEY is not set" in done.stderr


def test_closing_while_a_config_is_being_opened_closes_both_sessions(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    old = window.session
    built = record_instances(monkeypatch, gui.main_window, "Session")  # the next ones
    hang_a_comparison(aloop, fleet, window)
    path = tmp_path / "two.toml"
    path.write_text(_toml(fleet.config.suppliers[:2]), encoding="utf-8")

    task = window.open_config(path)
    assert task is not None
    aloop.until(lambda: built)  # read and built; now being swapped in
    window.close()
    aloop.run(window.aclose())

    assert task.done()
    assert old.closed
    assert len(built) == 1 and built[0].closed


def test_an_open_cancelled_before_the_swap_closes_the_unused_session(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opening: list[asyncio.Task[bool]] = []
    built: list[Session] = []

    class CancelSoon(Session):
        """Built, then the open is cancelled while it waits for the running comparison."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)
            asyncio.get_running_loop().call_soon(opening[0].cancel)

    window = make_window()
    old = window.session
    monkeypatch.setattr(
        gui.main_window, "Session", CancelSoon
    )  # the next sessions the window builds
    hang_a_comparison(aloop, fleet, window)
    path = tmp_path / "two.toml"
    path.write_text(_toml(fleet.config.suppliers[:2]), encoding="utf-8")

    task = window.open_config(path)
    assert task is not None
    opening.append(task)
    aloop.until(task.done)
    assert task.cancelled()
    assert window.session is old and not old.closed and not window._replacing
    aloop.until(lambda: built and built[0].closed)


def test_the_demo_fleet_tab_returns_after_a_layout_saved_without_it(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    first = make_window()
    path = tmp_path / "two.toml"
    path.write_text(_toml(fleet.config.suppliers[:2]), encoding="utf-8")
    assert _open(aloop, first, path)
    first.close()  # saves a layout without the Demo fleet dock

    second = make_window()  # on the embedded fleet again
    dock = second.findChild(QDockWidget, "fleetDock")
    assert dock is not None and not dock.isFloating()
    assert second.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert {d.objectName() for d in second.tabifiedDockWidgets(dock)} == {"resultDock"}


def test_the_plot_keeps_nothing_of_the_old_config_s_comparison(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    """Its bars and winner marker would stand beside the new config's names."""
    healthy(fleet)
    window = make_window()
    set_strategy(window, "best")
    assert compare(aloop, window).decided
    assert window.latency_plot.winner_row() is not None
    path = tmp_path / "three.toml"
    path.write_text(_toml(fleet.config.suppliers[-3:]), encoding="utf-8")
    assert _open(aloop, window, path)
    assert window.latency_plot.winner_row() is None
    assert window.latency_plot.bar_lengths() == {}
    assert window.latency_plot.run is None and not window.latency_plot.animating
    assert compare(aloop, window).decided  # and the new config's comparison is drawn
    assert set(window.latency_plot.bar_lengths()) == set(window.session.supplier_names)
    assert window.latency_plot.winner_row() is not None
