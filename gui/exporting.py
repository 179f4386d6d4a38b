"""Export a comparison as JSON or CSV: the file dialog, and the write off the GUI thread.

The dialog is opened with ``open()`` (never ``exec()``, which would nest an event loop
inside a coroutine under qasync); the chosen path comes back through a callback. The
file itself is written by ``core.export_comparison`` in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QMessageBox, QWidget

from core import Comparison, export_comparison

__all__ = ["FILTERS", "export", "open_export_dialog", "suggested_name", "target_path"]

#: name filter → the suffix that picks the format
FILTERS: dict[str, str] = {"JSON (*.json)": ".json", "CSV, the quotes (*.csv)": ".csv"}


def target_path(chosen: str | Path, name_filter: str = "") -> Path:
    """The file to write: as chosen if it ends in .json or .csv, else with the filter's suffix."""
    path = Path(chosen)
    if path.suffix.lower() in FILTERS.values():
        return path
    return path.with_name(path.name + FILTERS.get(name_filter, ".json"))


def suggested_name(comparison: Comparison, now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    product = re.sub(r"[^A-Za-z0-9._-]+", "_", comparison.product_id)[:40] or "comparison"
    return f"scatterdash-{product}-{stamp}"


async def export(comparison: Comparison, path: Path) -> Path:
    """Write ``comparison`` to ``path`` (``.json`` or ``.csv``) in a worker thread.

    ``OSError`` when the file cannot be written, ``ValueError`` for another suffix.
    """
    return await asyncio.to_thread(export_comparison, comparison, path)


def open_export_dialog(
    parent: QWidget,
    comparison: Comparison,
    directory: Path,
    on_chosen: Callable[[Path], object],
) -> QFileDialog:
    """Ask where to save (window-modal, non-blocking); ``on_chosen(path)`` if accepted."""
    dialog = QFileDialog(parent, "Export result")
    dialog.setObjectName("exportDialog")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilters(list(FILTERS))
    dialog.setDirectory(str(directory))
    dialog.selectFile(suggested_name(comparison))
    dialog.setDefaultSuffix(FILTERS[dialog.selectedNameFilter()].lstrip("."))

    def filter_chosen(name_filter: str) -> None:
        dialog.setDefaultSuffix(FILTERS.get(name_filter, ".json").lstrip("."))

    def file_chosen(path: str) -> None:
        target = target_path(path, dialog.selectedNameFilter())
        if target != Path(path) and target.exists():
            # the dialog asked about the name as typed ("prices.v2"), not the one written
            _confirm_replacing(parent, target, lambda: on_chosen(target))
            return
        on_chosen(target)

    dialog.filterSelected.connect(filter_chosen)
    dialog.fileSelected.connect(file_chosen)
    dialog.open()
    return dialog


def _confirm_replacing(parent: QWidget, target: Path, replace: Callable[[], object]) -> QMessageBox:
    """Ask before replacing ``target`` (window-modal, non-blocking); ``replace()`` on Yes."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Export result",
        f"{target.name} already exists. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("exportReplaceDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def clicked(button: QAbstractButton) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            replace()

    box.buttonClicked.connect(clicked)
    box.open()
    return box
