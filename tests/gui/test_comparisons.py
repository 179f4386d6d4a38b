"""Comparisons run from the ticket against the real demo fleet over loopback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QSpinBox,
    QStatusBar,
    QTableView,
)
from pytestqt.qtbot import QtBot

from core import Status
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.quotes_model import WINNER_ROLE
from gui.session import Ticket
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy

pytestmark = pytest.mark.gui


def _rows(table: QTableView) -> list[tuple[str, bool]]:
    model = table.model()
    return [
        (model.index(row, 0).data(), bool(model.index(row, 0).data(WINNER_ROLE)))
        for row in range(model.rowCount())
    ]


@pytest.mark.parametrize("strategy", ["all", "first", "majority", "best"])
def test_each_strategy_fills_the_quotes_table_and_marks_the_winner(
    strategy: str, aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    set_strategy(window, strategy)

    comparison = compare(aloop, window)

    assert comparison.strategy == strategy
    assert comparison.decided, comparison.error
    assert comparison.winner is not None
    table = window.findChild(QTableView, "quotesTable")
    rows = _rows(table)
    assert sorted(name for name, _ in rows) == sorted(q.supplier for q in comparison.quotes)
    assert len(rows) >= 1
    if strategy in ("all", "best", "majority"):
        assert len(rows) >= len(fleet.suppliers) // 2
    assert [name for name, winner in rows if winner] == [comparison.winner.supplier]
    assert comparison.winner.supplier in window.result.headline.text()
    assert window.result.fields["winner"].text().startswith(comparison.winner.supplier)
    # the plot marks the same supplier and every bar is frozen at its final latency
    names = window.session.supplier_names
    assert window.latency_plot.winner_row() == names.index(comparison.winner.supplier)
    assert not window.latency_plot.animating
    lengths = window.latency_plot.bar_lengths()
    for result in comparison.suppliers:
        if result.status is not Status.CIRCUIT_OPEN and result.latency_ms is not None:
            assert lengths[result.name] == pytest.approx(result.latency_ms, abs=0.01)
    # per-supplier outcomes, in config order
    outcomes = window.findChild(QTableView, "outcomesTable").model()
    assert [outcomes.index(r, 1).data() for r in range(outcomes.rowCount())] == [
        result.status.value.replace("_", " ") for result in comparison.suppliers
    ]
    progress = window.ticket.progress.format()
    replied = sum(1 for result in comparison.suppliers if result.status is Status.OK)
    assert progress.startswith(f"{replied}/{len(comparison.suppliers)} replied")


def test_quotes_table_sorts_by_total_and_can_resort(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    set_strategy(window, "all")
    comparison = compare(aloop, window)
    table = window.findChild(QTableView, "quotesTable")
    model = table.model()
    totals = [model.index(r, 1).data(Qt.ItemDataRole.UserRole + 2) for r in range(model.rowCount())]
    assert totals == sorted(totals)
    assert totals == [q.quote.total_price for q in comparison.quotes]
    table.sortByColumn(5, Qt.SortOrder.AscendingOrder)  # latency
    latencies = [model.index(r, 5).data(Qt.ItemDataRole.UserRole + 2) for r in range(len(totals))]
    assert latencies == sorted(latencies)


def test_keyboard_compare_and_majority_quorum(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    healthy(fleet)
    window = make_window()
    quorum = window.findChild(QSpinBox, "quorumSpin")
    set_strategy(window, "best")
    assert not quorum.isEnabled()
    set_strategy(window, "majority")
    assert quorum.isEnabled()
    quorum.setValue(len(fleet.suppliers) + 1)  # more than can ever agree: undecided
    assert quorum.value() == len(fleet.suppliers)  # capped at the supplier count

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    combo = window.findChild(QComboBox, "strategyCombo")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    aloop.until(lambda: window.comparison is not None and not window.comparing)
    comparison = window.comparison
    assert comparison is not None
    assert comparison.strategy == "majority"
    if not comparison.decided:  # all 12 at the exact same price is possible, but rare
        assert comparison.error is not None
        assert "Undecided" in window.result.headline.text()
        assert "quorum not reached" in window.result.headline.text()
        assert not _rows(window.findChild(QTableView, "quotesTable")) or all(
            not winner for _, winner in _rows(window.findChild(QTableView, "quotesTable"))
        )


def test_a_bad_ticket_is_reported_not_raised(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    window.ticket.product_edit.setText("   ")
    window.ticket.compare_button.click()
    aloop.until(lambda: not window.comparing)
    assert "product id" in window.result.headline.text()
    assert any("product id" in line for line in window.event_log.messages())
    assert window.ticket.compare_button.isEnabled()
    # and the app carries on
    window.ticket.product_edit.setText("SKU-101")
    assert compare(aloop, window).product_id == "SKU-101"


def test_status_bar_summarises_fleet_health(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    status = window.findChild(QStatusBar, "statusBar")
    assert status is window.statusBar()
    compare(aloop, window)
    window.refresh_health(full=True)
    assert window.health_text() == "12/12 healthy"
    label = status.findChild(QLabel, "healthLabel")
    assert "12/12 healthy" in label.text()


def test_result_panel_names_a_comparison_not_started_from_the_ticket(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=True)  # it stays running until cancelled
    window = make_window()
    window.ticket.product_edit.setText("SKU-110")
    task = window.tasks.spawn(window.session.compare(Ticket("SKU-105", 3, "all", timeout=30.0)))
    aloop.until(lambda: "Comparing 3 × SKU-105…" in window.result.headline.text())
    assert "SKU-110" not in window.result.headline.text()
    task.cancel()
    aloop.until(task.done)
