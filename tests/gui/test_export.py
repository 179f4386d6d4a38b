"""File → Export result…: the last comparison as JSON or CSV, written off the GUI thread."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

import gui.exporting
from core.fleet import Fleet
from gui.exporting import FILTERS, target_path
from gui.main_window import MainWindow
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy

pytestmark = pytest.mark.gui


def _run_export(aloop: AsyncLoop, window: MainWindow, path: Path) -> Path | None:
    task = window.export_result(path)
    assert task is not None
    aloop.until(task.done)
    return task.result()


def test_target_path_takes_the_suffix_from_the_name_or_the_filter() -> None:
    json_filter, csv_filter = FILTERS
    assert target_path("/x/result.CSV", json_filter) == Path("/x/result.CSV")
    assert target_path("/x/result", csv_filter) == Path("/x/result.csv")
    assert target_path("/x/result", json_filter) == Path("/x/result.json")
    assert target_path("/x/result.txt", "") == Path("/x/result.txt.json")


def test_export_json_and_csv_off_the_gui_thread(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    healthy(fleet)
    window = make_window()
    action = window.export_action
    assert action.shortcut() == QKeySequence("Ctrl+E")
    assert not action.isEnabled()  # nothing to export yet
    assert window.export_result(tmp_path / "nothing.json") is None

    threads: list[str] = []
    original = gui.exporting.export_comparison

    def spy(comparison: Any, path: Path) -> Path:
        threads.append(threading.current_thread().name)
        return original(comparison, path)

    monkeypatch.setattr(gui.exporting, "export_comparison", spy)
    set_strategy(window, "all")
    comparison = compare(aloop, window)
    assert action.isEnabled()

    written = _run_export(aloop, window, tmp_path / "result.json")
    assert written == tmp_path / "result.json"
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["correlation_id"] == comparison.correlation_id
    assert (data["product_id"], data["quantity"]) == (comparison.product_id, comparison.quantity)
    assert data["strategy"] == "all"
    assert len(data["suppliers"]) == len(fleet.suppliers)

    written = _run_export(aloop, window, tmp_path / "result.csv")
    assert written is not None
    with written.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [row["supplier"] for row in rows] == [q.supplier for q in comparison.quotes]
    assert [row["supplier"] for row in rows if row["winner"] == "True"] == [
        comparison.winner.supplier
    ]
    assert threads and all(name != threading.main_thread().name for name in threads)
    messages = window.event_log.messages()
    assert any(m.startswith("export: exported") and "result.json" in m for m in messages)
    assert any(m.startswith("export: exported") and "result.csv" in m for m in messages)


def test_export_failures_are_reported_in_the_event_log(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    window = make_window()
    compare(aloop, window)
    assert _run_export(aloop, window, tmp_path / "result.xml") is None
    assert _run_export(aloop, window, tmp_path / "missing" / "dir" / "result.json") is None
    errors = [m for m in window.event_log.messages() if m.startswith("export: cannot export")]
    assert len(errors) == 2
    assert "export as .json or .csv" in errors[1]
    assert "No such file or directory" in errors[0]
    assert compare(aloop, window).decided  # and the app works on


def test_export_dialog_is_opened_not_executed(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    window = make_window()
    comparison = compare(aloop, window)
    window.export_action.trigger()  # returns at once: the dialog is window-modal, not exec()'d
    dialog = window.findChild(QFileDialog, "exportDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert comparison.product_id in dialog.selectedFiles()[0]
    csv_filter = next(name for name, suffix in FILTERS.items() if suffix == ".csv")
    dialog.selectNameFilter(csv_filter)
    dialog.filterSelected.emit(csv_filter)  # what choosing it in the combo box does
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile("chosen")
    dialog.accept()
    expected = tmp_path / "chosen.csv"
    aloop.until(expected.exists)
    aloop.until(lambda: any("chosen.csv" in m for m in window.event_log.messages()))
    assert expected.read_text(encoding="utf-8").startswith("winner,supplier")
    assert QApplication.activeModalWidget() is None


def test_a_dotted_name_asks_before_replacing_the_file_it_becomes(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    """The dialog asks about "prices.v2"; the file written is "prices.v2.json"."""
    healthy(fleet)
    window = make_window()
    compare(aloop, window)
    existing = tmp_path / "prices.v2.json"
    existing.write_text("OLD", encoding="utf-8")
    window.export_action.trigger()
    dialog = window.findChild(QFileDialog, "exportDialog")
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile("prices.v2")
    dialog.accept()
    box = window.findChild(QMessageBox, "exportReplaceDialog")
    assert box is not None and box.isVisible()
    assert existing.read_text(encoding="utf-8") == "OLD"  # nothing written before the answer
    box.button(QMessageBox.StandardButton.Yes).click()
    aloop.until(lambda: existing.read_text(encoding="utf-8").startswith("{"))


def test_a_failed_export_leaves_the_file_it_was_to_replace(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    healthy(fleet)
    window = make_window()
    set_strategy(window, "all")
    compare(aloop, window)
    target = tmp_path / "result.csv"
    target.write_text("OLD", encoding="utf-8")

    def disk_full(self: Any, row: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerow", disk_full)
    assert _run_export(aloop, window, target) is None
    assert target.read_text(encoding="utf-8") == "OLD"
    assert not list(tmp_path.glob(".result.csv.*"))  # no temporary left behind
    assert "Export failed" in window.statusBar().currentMessage()


def test_what_export_saves_is_what_is_shown(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow]
) -> None:
    """A new comparison hides the last one: Export waits for the new one's end (and a
    cancelled one leaves nothing to export)."""
    healthy(fleet)
    window = make_window()
    compare(aloop, window)
    assert window.export_action.isEnabled()
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=True)
    shown = window.run
    task = window.start_comparison()
    assert task is not None
    aloop.until(lambda: window.run is not shown)  # the new one has started
    assert not window.export_action.isEnabled() and window.comparison is None
    assert window.cancel_comparison()
    aloop.until(task.done)
    assert not window.export_action.isEnabled()
    assert window.export_result(Path("/nonexistent/x.json")) is None
