"""A supplier with ``verify = false`` is warned about in the Event log and stays flagged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.models.destinations_model import Column
from tests.gui.conftest import AsyncLoop, compare, healthy

pytestmark = pytest.mark.gui

DECORATION = Qt.ItemDataRole.DecorationRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole


def _flagged(window: MainWindow) -> list[str]:
    model = window.destinations_model
    return [
        model.name(row)
        for row in range(model.rowCount())
        if model.index(row, Column.NAME).data(DECORATION) is not None
    ]


def _warning(window: MainWindow) -> QWidget:
    warning = window.statusBar().findChild(QWidget, "tlsWarning")
    assert warning is not None
    return warning


def _core_warned(window: MainWindow, name: str) -> bool:
    """The Event log holds core's warning that ``name``'s certificate is not verified."""
    expected = f": TLS verification is OFF for supplier {name}"
    return any(message.endswith(expected) for message in window.event_log.messages())


def test_tls_verification_off_is_visible(
    aloop: AsyncLoop, fleet: Fleet, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    healthy(fleet)
    target = fleet.config.suppliers[2]
    suppliers = tuple(
        s.model_copy(update={"verify": False}) if s is target else s for s in fleet.config.suppliers
    )
    window = make_window(fleet.config.model_copy(update={"suppliers": suppliers}))

    # core's warning, logged while the window built the comparator, is in the Event log
    # (whichever core module logs it: the source column is the logger's name)
    assert _core_warned(window, target.name), window.event_log.messages()
    log = window.event_log
    levels = {
        log.topLevelItem(i).text(2): log.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
        for i in range(log.topLevelItemCount())
    }
    assert levels[f"TLS verification is OFF for supplier {target.name}"] == "warning"
    # and a hint that stays: an icon and tooltip on the row, a note in the status bar
    assert _flagged(window) == [target.name]
    row = window.destinations_model.row_of(target.name)
    tip = window.destinations_model.index(row, Column.NAME).data(TOOLTIP)
    assert "TLS verification is OFF" in tip and target.name in tip
    warning = _warning(window)
    assert warning.isVisible()
    assert target.name in warning.findChild(QLabel, "tlsWarningLabel").text()
    assert "TLS verification is OFF" in warning.toolTip()
    compare(aloop, window)
    window.refresh_health(full=True)
    assert _flagged(window) == [target.name] and warning.isVisible()

    # another config: the hint follows it
    other = fleet.config.suppliers[5]
    path = tmp_path / "unverified.toml"
    path.write_text(
        f'[[suppliers]]\nname = "{other.name}"\nurl = "{other.url}"\nverify = false\n'
        f'\n[[suppliers]]\nname = "{target.name}"\nurl = "{target.url}"\n',
        encoding="utf-8",
    )
    task = window.open_config(path)
    assert task is not None
    aloop.until(task.done)
    assert task.result()
    assert _core_warned(window, other.name), window.event_log.messages()
    assert _flagged(window) == [other.name]
    assert other.name in warning.findChild(QLabel, "tlsWarningLabel").text()
    assert warning.isVisible()

    path.write_text(f'[[suppliers]]\nname = "{other.name}"\nurl = "{other.url}"\n', "utf-8")
    task = window.open_config(path)
    assert task is not None
    aloop.until(task.done)
    assert task.result()
    assert _flagged(window) == []
    assert not warning.isVisible()
