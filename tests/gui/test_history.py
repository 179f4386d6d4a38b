"""Every finished comparison is recorded, shown newest first and still there after a restart;
the History panel filters, opens a past comparison as it was and replays it; an undecided
comparison gets a stale-fallback suggestion."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDockWidget, QLabel, QLineEdit, QPushButton, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from core import Comparison, Status
from core.fleet import Fleet
from core.storage import HistoryDatabase
from gui.main_window import MainWindow
from gui.models.history_model import DECIDED_ROLE, HistoryColumn, HistoryEntry, HistoryModel
from tests.gui.conftest import AsyncLoop, compare, healthy, recorded_count, set_strategy

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


def test_history_model_replace(qtmodeltester: ModelTester) -> None:
    model = HistoryModel(max_rows=2)
    qtmodeltester.check(model)
    model.add(_entry(1))
    model.replace([HistoryEntry.from_dict(_entry(n)) for n in (9, 8, 7)])  # type: ignore[misc]
    assert _column(model, HistoryColumn.REQUEST) == ["9 × SKU-9", "8 × SKU-8"]
    assert not model.add(_entry(9)) and model.add(_entry(1))


def test_comparisons_are_recorded_shown_and_reloaded_after_a_restart(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    qtmodeltester: ModelTester,
    tmp_path: Path,
) -> None:
    healthy(fleet)
    path = tmp_path / "history.sqlite3"
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

    aloop.until(lambda: recorded_count(path) == 3)
    window.close()
    aloop.run(window.aclose())
    database = HistoryDatabase.open(path)
    stored = database.find(second.correlation_id)
    listed = database.comparisons()
    database.close()
    assert [s.correlation_id for s in listed] == [
        third.correlation_id,
        second.correlation_id,
        first.correlation_id,
    ]
    assert {s.source for s in listed} == {"window"}
    assert stored is not None and stored.document == second.to_dict()
    assert stored.summary.product_id == "SKU-105" and stored.summary.quantity == 3
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, outage=False)

    again = make_window(history_path=path)
    reloaded = again.findChild(QTableView, "historyTable").model()
    aloop.until(lambda: reloaded.rowCount() == 3)
    assert _column(reloaded, HistoryColumn.OUTCOME) == outcomes
    for row in range(3):
        shown, stored_row = model.entry(row), again.history_model.entry(row)
        assert shown.correlation_id == stored_row.correlation_id
        assert abs(stored_row.recorded_at - shown.recorded_at) < 1.0
    fourth = compare(aloop, again)
    assert reloaded.rowCount() == 4
    assert reloaded.index(0, HistoryColumn.OUTCOME).data().startswith(fourth.winner.supplier)
    aloop.until(lambda: recorded_count(path) == 4)


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


def _history_warnings(window: MainWindow) -> list[str]:
    return [m for m in window.event_log.messages() if "history off" in m]


def test_a_corrupt_history_database_is_survived(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"SQLite format 3\x00 but then garbage " * 300)
    window = make_window(history_path=path)
    aloop.until(lambda: _history_warnings(window))
    assert "corrupt" in _history_warnings(window)[0] and str(path) in _history_warnings(window)[0]
    first = compare(aloop, window)
    second = compare(aloop, window)
    assert first.decided and second.decided
    assert window.history_model.rowCount() == 2  # shown even though they cannot be stored
    assert len(_history_warnings(window)) == 1  # one warning, not one per comparison
    assert path.read_bytes().startswith(b"SQLite format 3\x00 but then garbage")


def test_an_unusable_history_path_is_reported_not_fatal(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    path = tmp_path / "a-directory"
    path.mkdir()
    window = make_window(history_path=path)
    aloop.until(lambda: _history_warnings(window))
    comparison = compare(aloop, window)
    assert window.history_model.rowCount() == 1
    assert comparison.decided and len(_history_warnings(window)) == 1


def _panel_widget(window: MainWindow, kind: type[Any], name: str) -> Any:
    widget = window.history_panel.findChild(kind, name)
    assert widget is not None, name
    return widget


def _three_comparisons(aloop: AsyncLoop, window: MainWindow) -> list[Comparison]:
    done = []
    for product, strategy in (("SKU-101", "best"), ("SKU-102", "all"), ("SKU-101", "first")):
        window.ticket.product_edit.setText(product)
        set_strategy(window, strategy)
        done.append(compare(aloop, window))
    aloop.until(lambda: recorded_count(window.history.path) == 3)
    return done


def test_the_history_view_filters_by_product_supplier_date_and_correlation_id(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    best, every, first = _three_comparisons(aloop, window)
    model = window.history_model
    panel = window.history_panel

    def ids() -> list[str]:
        return [model.entry(row).correlation_id for row in range(model.rowCount())]

    _panel_widget(window, QLineEdit, "historyProductFilter").setText("SKU-101")
    aloop.until(lambda: ids() == [first.correlation_id, best.correlation_id])
    _panel_widget(window, QLineEdit, "historySupplierFilter").setText("nobody")
    aloop.until(lambda: ids() == [])
    panel.supplier_filter.setText(fleet.suppliers[0].name)
    aloop.until(lambda: ids() == [first.correlation_id, best.correlation_id])
    panel.product_filter.clear()
    _panel_widget(window, QLineEdit, "historySearch").setText(every.correlation_id[9:20])
    aloop.until(lambda: ids() == [every.correlation_id])
    panel.search.clear()
    aloop.until(lambda: len(ids()) == 3)
    panel.set_since(QDate.currentDate().addDays(1))
    aloop.until(lambda: ids() == [])
    # a comparison that does not pass the filters is recorded, not shown
    fourth = compare(aloop, window)
    assert ids() == []
    panel.set_since(QDate.currentDate())
    aloop.until(lambda: ids()[:1] == [fourth.correlation_id] and len(ids()) == 4)


def test_a_past_comparison_opens_as_it_was_and_replays_under_another_strategy(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    best, every, _first = _three_comparisons(aloop, window)
    window.docks["historyDock"].raise_()
    window.history_panel.select_row(2)  # the oldest: ``best``
    open_button = _panel_widget(window, QPushButton, "historyOpenButton")
    assert open_button.isEnabled()
    open_button.click()
    aloop.until(
        lambda: (
            window.comparison is not None
            and window.comparison.correlation_id == best.correlation_id
            and window.result.tables_current
        )
    )
    assert window.comparison.to_dict() == best.to_dict()
    assert window.result.fields["correlation"].text() == best.correlation_id
    assert window.result.quotes.rowCount() == len(best.quotes)
    recorded = {r.name: r.latency_ms for r in best.suppliers if r.status is Status.OK}
    drawn = window.latency_plot.bar_lengths()
    assert drawn.keys() >= recorded.keys()
    for name, latency in recorded.items():
        assert drawn[name] == pytest.approx(latency, abs=0.01)
    assert window.latency.title.text().startswith("Recorded ")

    _panel_widget(window, QComboBox, "historyReplayStrategy").setCurrentText("first")
    _panel_widget(window, QPushButton, "historyReplayButton").click()
    aloop.until(lambda: window.comparison is not None and window.comparison.strategy == "first")
    replayed = window.comparison
    # the replay goes by the recorded arrival order, not by latency: calls start a little
    # apart, so a supplier with a longer latency can still have answered first
    database = HistoryDatabase.open(window.history.path)
    stored = database.find(best.correlation_id)
    database.close()
    assert stored is not None
    in_stock = {
        r.name for r in best.suppliers if r.status is Status.OK and r.reply and r.reply.in_stock
    }
    arrived_first = min(
        (o for o in stored.outcomes if o.supplier in in_stock), key=lambda o: o.arrival_order
    ).supplier
    assert replayed.winner is not None and replayed.winner.supplier == arrived_first
    assert replayed.elapsed_ms <= best.elapsed_ms
    assert window.latency.title.text().startswith("Replay — first (recorded as best)")
    assert any(
        f"replay of {best.correlation_id} under first" in m for m in window.event_log.messages()
    )
    assert window.latency_plot.winner_row() == window.latency_plot.names.index(arrived_first)
    assert every.decided


def test_an_undecided_comparison_gets_a_stale_fallback_suggestion(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    healthy(fleet)
    window = make_window()
    set_strategy(window, "best")
    good = compare(aloop, window)
    assert good.winner is not None
    note = window.result.findChild(QLabel, "fallbackSuggestion")
    assert note is not None and not note.isVisible()
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, outage=True)
    started = time.time()
    undecided = compare(aloop, window)
    assert not undecided.decided and undecided.result is None
    aloop.until(note.isVisible)
    assert "Stale fallback — not the result" in note.text()
    assert good.winner.supplier in note.text() and good.correlation_id in note.text()
    offered = window.fallback_note.fallback
    assert offered is not None and offered.correlation_id == good.correlation_id
    assert 0 <= offered.age_s <= time.time() - started + 60
    assert window.comparison is undecided and window.result.winner_row() is None
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, outage=False)
    compare(aloop, window)
    assert not note.isVisible()


def test_the_window_imports_an_old_history_jsonl_once(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], history_dir: Path
) -> None:
    """The JSON Lines file the window used to keep (Qt's app data directory) is imported
    into the database in the data directory, once."""
    from PySide6.QtCore import QStandardPaths

    location = QStandardPaths.StandardLocation.AppDataLocation
    legacy = Path(QStandardPaths.writableLocation(location)) / "history.jsonl"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    lines = [_entry(1, recorded_at=now - 60), _entry(2, recorded_at=now - 30)]
    legacy.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    window = make_window(history_path=None)  # the default: SCATTERDASH_DATA_DIR
    aloop.until(lambda: window.history_model.rowCount() == 2)
    assert window.history.path == history_dir / "history.sqlite3"
    assert _column(window.history_model, HistoryColumn.REQUEST) == ["2 × SKU-2", "1 × SKU-1"]
    window.close()
    aloop.run(window.aclose())
    again = make_window(history_path=None)
    aloop.until(lambda: again.history.loaded)
    assert again.history_model.rowCount() == 2  # not imported twice


def test_a_comparison_started_while_the_history_is_read_keeps_the_view(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Open, then Compare before the read is back: the live comparison is what is shown
    (and exported), not the recorded one that came back after it started."""
    healthy(fleet)
    window = make_window()
    first = compare(aloop, window)
    entry = window.history_model.entry(0)
    assert entry is not None and entry.correlation_id == first.correlation_id
    reading, gate = asyncio.Event(), asyncio.Event()
    find = window.history.find

    async def slow_find(correlation_id: str) -> Any:
        reading.set()
        await gate.wait()
        return await find(correlation_id)

    monkeypatch.setattr(window.history, "find", slow_find)
    opening = window.history_browser.open(entry)
    aloop.until(reading.is_set)
    live = window.start_comparison()
    assert live is not None
    gate.set()
    aloop.until(lambda: opening.done() and live.done())
    assert opening.result() is None
    assert window.comparison is live.result()
    assert any("a comparison started" in m for m in window.event_log.messages())
