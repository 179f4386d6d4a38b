"""Every finished comparison is recorded, shown newest first, and still there after a restart."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.history_model import DECIDED_ROLE, HistoryColumn, HistoryModel
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy

pytestmark = pytest.mark.gui


def _entry(n: int, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "recorded_at": 1_790_000_000.0 + n,
        "product_id": f"SKU-{n}",
        "quantity": n,
        "correlation_id": f"id-{n}",
        "strategy": "best",
        "decided": True,
        "partial": False,
        "error": None,
        "result": {"supplier": f"s{n}", "total_price": 10.0 * n, "currency": "EUR"},
        "cheapest": None,
        "elapsed_ms": 12.5,
    }
    entry.update(changes)
    return entry


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _column(model: Any, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_history_model(qtmodeltester: ModelTester) -> None:
    model = HistoryModel(max_rows=4)
    qtmodeltester.check(model)
    assert model.add_older([_entry(1), _entry(2), {"junk": True}, _entry(3, recorded_at="x")]) == 2
    assert _column(model, HistoryColumn.REQUEST) == ["2 × SKU-2", "1 × SKU-1"]  # newest first
    assert model.add(_entry(4))
    assert not model.add(_entry(4))  # shown once
    assert not model.add({"correlation_id": "no time"})
    undecided = _entry(5, decided=False, error="quorum not reached: required 7, best agreement 2")
    assert model.add(undecided)
    assert model.add(
        _entry(
            6,
            strategy="all",
            result=[{}],
            cheapest={"supplier": "c", "total_price": 1.5, "currency": "USD"},
        )
    )
    assert model.rowCount() == 4  # trimmed to max_rows, oldest dropped
    assert _column(model, HistoryColumn.REQUEST) == [
        "6 × SKU-6",
        "5 × SKU-5",
        "4 × SKU-4",
        "2 × SKU-2",
    ]
    assert model.add_older([_entry(0)]) == 0  # full
    outcomes = _column(model, HistoryColumn.OUTCOME)
    assert outcomes[0] == "c · 1.50 USD"  # ``all``: the cheapest in-stock quote
    assert outcomes[1] == "undecided: quorum not reached: required 7, best agreement 2"
    assert outcomes[2] == "s4 · 40.00 EUR"
    assert model.index(1, HistoryColumn.OUTCOME).data(DECIDED_ROLE) is False
    assert model.index(2, HistoryColumn.OUTCOME).data(DECIDED_ROLE) is True
    assert model.index(0, HistoryColumn.ELAPSED).data() == "12 ms"
    assert "id-5" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_comparisons_are_recorded_shown_and_reloaded_after_a_restart(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    qtmodeltester: ModelTester,
    tmp_path: Path,
) -> None:
    healthy(fleet)
    path = tmp_path / "history.jsonl"
    window = make_window(history_path=path)
    dock = window.findChild(QDockWidget, "historyDock")
    assert dock is not None and dock.windowTitle() == "History"
    assert window.tabifiedDockWidgets(dock)  # a tab next to the Event log, not a new row
    table = window.findChild(QTableView, "historyTable")
    model = table.model()
    qtmodeltester.check(model)
    aloop.until(lambda: window.history.loaded)
    assert model.rowCount() == 0

    set_strategy(window, "best")
    first = compare(aloop, window)
    window.ticket.product_edit.setText("SKU-105")
    window.ticket.quantity_spin.setValue(3)
    set_strategy(window, "first")
    second = compare(aloop, window)
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, outage=True)
    third = compare(aloop, window)
    assert not third.decided

    assert model.rowCount() == 3
    assert _column(model, HistoryColumn.REQUEST) == ["3 × SKU-105", "3 × SKU-105", "10 × SKU-110"]
    assert _column(model, HistoryColumn.STRATEGY) == [third.strategy, "first", "best"]
    outcomes = _column(model, HistoryColumn.OUTCOME)
    assert outcomes[0] == f"undecided: {third.error}"
    assert outcomes[1].startswith(second.winner.supplier + " · ")
    assert outcomes[2].startswith(first.winner.supplier + " · ")
    assert f"{first.winner.quote.total_price:,.2f}" in outcomes[2]
    assert _column(model, HistoryColumn.ELAPSED)[1] == f"{second.elapsed_ms:,.0f} ms"

    aloop.until(lambda: len(_lines(path)) == 3)
    lines = _lines(path)
    assert [line["correlation_id"] for line in lines] == [
        first.correlation_id,
        second.correlation_id,
        third.correlation_id,
    ]
    assert lines[1]["product_id"] == "SKU-105" and lines[1]["quantity"] == 3

    window.close()
    aloop.run(window.aclose())
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, outage=False)

    again = make_window(history_path=path)
    reloaded = again.findChild(QTableView, "historyTable").model()
    aloop.until(lambda: reloaded.rowCount() == 3)
    assert _column(reloaded, HistoryColumn.OUTCOME) == outcomes
    # the row shown at once is stamped when the comparison finished, the file's line when it
    # was written, a few ms later
    for row in range(3):
        shown, stored = model.entry(row), again.history_model.entry(row)
        assert shown.correlation_id == stored.correlation_id
        assert 0 <= stored.recorded_at - shown.recorded_at < 1.0
    fourth = compare(aloop, again)
    assert reloaded.rowCount() == 4
    assert reloaded.index(0, HistoryColumn.OUTCOME).data().startswith(fourth.winner.supplier)
    aloop.until(lambda: len(_lines(path)) == 4)


def test_double_click_puts_a_past_comparison_back_on_the_ticket(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    healthy(fleet)
    window = make_window()
    window.ticket.product_edit.setText("SKU-103")
    window.ticket.quantity_spin.setValue(7)
    set_strategy(window, "majority")
    compare(aloop, window)
    window.ticket.product_edit.setText("SKU-999")
    window.ticket.quantity_spin.setValue(1)
    set_strategy(window, "all")

    window.docks["historyDock"].raise_()
    table = window.findChild(QTableView, "historyTable")
    aloop.until(table.isVisible)
    rect = table.visualRect(table.model().index(0, HistoryColumn.REQUEST))
    # a real double-click: press, release, then the double-click event (QTest sends only that)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.ticket.product_edit.text() == "SKU-103"
    assert window.ticket.quantity_spin.value() == 7
    assert window.ticket.strategy == "majority"


def test_a_damaged_history_file_is_survived(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    path = tmp_path / "history.jsonl"
    path.write_text(
        json.dumps(_entry(1))
        + "\n{not json\n"
        + json.dumps([1, 2])
        + "\n"
        + json.dumps(_entry(2))
        + "\n",
        encoding="utf-8",
    )
    window = make_window(history_path=path)
    model = window.history_model
    aloop.until(lambda: window.history.loaded)
    assert _column(model, HistoryColumn.REQUEST) == ["2 × SKU-2", "1 × SKU-1"]
    assert any("damaged history line" in m for m in window.event_log.messages())
    compare(aloop, window)
    assert model.rowCount() == 3
    aloop.until(lambda: len(path.read_text(encoding="utf-8").splitlines()) == 5)


def test_an_unusable_history_path_is_reported_not_fatal(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    path = tmp_path / "a-directory"
    path.mkdir()
    window = make_window(history_path=path)
    aloop.until(lambda: any("history: cannot read" in m for m in window.event_log.messages()))
    comparison = compare(aloop, window)
    assert window.history_model.rowCount() == 1  # shown even though it cannot be stored
    aloop.until(lambda: any("history: cannot write" in m for m in window.event_log.messages()))
    assert comparison.decided
