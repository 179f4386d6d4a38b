"""Errors are shown and survived; layout is remembered; both palettes render."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

import pytest
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QComboBox, QDockWidget, QSpinBox
from pytestqt.qtbot import QtBot

from core import BreakerState, Defaults, Status
from core.fleet import Fleet
from gui import MainWindow, theme
from gui.errors import install_hooks
from gui.main_window import DEFAULT_SIZE
from gui.session import BreakerAction
from gui.widgets.ticket import TicketPanel
from tests.gui.conftest import AsyncLoop, compare, healthy

pytestmark = pytest.mark.gui


def _boom() -> None:
    raise RuntimeError("boom in a slot")


@pytest.mark.qt_no_exception_capture
def test_errors_are_logged_shown_and_survived(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    healthy(fleet)
    window = make_window()
    uninstall = install_hooks(aloop.loop)
    try:
        QTimer.singleShot(0, _boom)  # an exception in a slot: sys.excepthook
        aloop.until(lambda: any("boom in a slot" in m for m in window.event_log.messages()))

        async def failing() -> None:
            raise ValueError("boom in a task")

        task = aloop.loop.create_task(failing())  # never awaited: the loop's handler
        aloop.until(task.done)
        del task
        gc.collect()
        aloop.until(lambda: any("boom in a task" in m for m in window.event_log.messages()))

        window.tasks.spawn(failing(), name="background job")  # ours: logged when it fails
        aloop.until(lambda: sum("boom in a task" in m for m in window.event_log.messages()) == 2)
    finally:
        uninstall()
    errors = [
        window.event_log.topLevelItem(i)
        for i in range(window.event_log.topLevelItemCount())
        if window.event_log.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == "error"
    ]
    assert len(errors) >= 3
    assert compare(aloop, window).decided  # the app keeps running


def test_layout_and_ticket_are_remembered(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    first = make_window()
    first.resize(1300, 820)
    first.docks["eventLogDock"].hide()
    first.findChild(QComboBox, "strategyCombo").setCurrentIndex(1)
    first.ticket.product_edit.setText("SKU-112")
    first.findChild(QSpinBox, "quantitySpin").setValue(42)
    first.close()
    assert QSettings().value("mainWindow/geometry") is not None

    second = make_window()
    assert (second.width(), second.height()) == (1300, 820)
    assert not second.findChild(QDockWidget, "eventLogDock").isVisible()
    assert second.ticket.strategy == "first"
    assert second.ticket.product_edit.text() == "SKU-112"
    assert second.findChild(QSpinBox, "quantitySpin").value() == 42
    second.reset_layout()
    assert second.findChild(QDockWidget, "eventLogDock").isVisible()


def test_window_has_every_named_control(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    for name in (
        "destinationsTable",
        "latencyPlot",
        "productEdit",
        "quantitySpin",
        "strategyCombo",
        "quorumSpin",
        "minResponsesSpin",
        "timeoutSpin",
        "compareButton",
        "cancelButton",
        "quotesTable",
        "statusBar",
    ):
        assert window.findChild(object, name) is not None, name
    combo = window.findChild(QComboBox, "strategyCombo")
    assert [combo.itemText(i) for i in range(combo.count())] == ["all", "first", "majority", "best"]
    assert [combo.itemData(i) for i in range(combo.count())] == ["all", "first", "majority", "best"]
    assert combo.currentData() == fleet.config.defaults.strategy


def test_dark_palette(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], qapp: QApplication
) -> None:
    original = qapp.palette()
    dark = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#17181a"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.Button, "#2b2c2f"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
    ):
        dark.setColor(role, QColor(color))
    try:
        qapp.setPalette(dark)
        healthy(fleet)
        window = make_window()
        assert theme.is_dark(window.palette())
        compare(aloop, window)
        background = window.latency_plot.backgroundBrush().color()
        assert background.lightness() < 60
        assert (
            theme.breaker_swatch(BreakerState.OPEN, True).fill
            != theme.breaker_swatch(BreakerState.OPEN, False).fill
        )
        assert theme.outcome_color(Status.OK, True) != theme.outcome_color(Status.OK, False)
        assert not window.grab().isNull()
    finally:
        qapp.setPalette(original)
        aloop.run(asyncio.sleep(0))


def test_a_saved_geometry_qt_cannot_read_gives_the_default_size(
    make_window: Callable[..., MainWindow],
) -> None:
    QSettings().setValue("mainWindow/geometry", QByteArray(b"not a geometry at all"))
    window = make_window()
    assert (window.width(), window.height()) == DEFAULT_SIZE


def test_ctrl_r_resets_the_selected_breaker_from_the_table(
    make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = make_window()
    name = window.session.supplier_names[2]
    window.apply_breaker_action(name, BreakerAction.FORCE_OPEN)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.destinations.select(name)
    table = window.destinations.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.session.comparator.breakers[name].state is BreakerState.CLOSED


def test_closing_with_a_history_filter_still_pending_starts_nothing(
    aloop: AsyncLoop, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    window.history_panel.product_filter.setText("SKU")  # applied after a short delay
    window.close()
    aloop.run(window.aclose())
    assert not window.history_panel._filter_timer.isActive()


def test_the_ticket_keeps_the_values_it_is_given(qtbot: QtBot) -> None:
    """A quantity the engine takes and a config's timeout are not silently rounded."""
    ticket = TicketPanel(Defaults(timeout=0.25), 12)
    qtbot.addWidget(ticket)
    assert ticket.ticket().timeout == 0.25
    ticket.fill("SKU-1", 5_000_000, "best")
    assert ticket.ticket().quantity == 5_000_000
