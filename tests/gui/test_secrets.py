"""An API key read from the environment is sent to its supplier and shown nowhere.

The window runs on the demo fleet with two keyed suppliers (one with the default
``Authorization: Bearer …``, one with its own header), compares, exports JSON and CSV,
records history, goes through errors (HTTP 500, malformed and wrong-shaped replies,
refused connections, a timeout, an open breaker, a refused config), and then every text
an operator or a file could see is searched for the keys: widget texts, titles and
tooltips, every role of every item model, the plot's labels, the Event log, every file
written under the test's directory (history, exports, settings) and every log record at
debug level (as with ``-vv``), and the process's stdout and stderr.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsTextItem,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QTextEdit,
    QWidget,
)

from core import Endpoint
from core.fleet import Fleet
from gui.main_window import MainWindow
from gui.session import Session
from tests.gui.conftest import AsyncLoop, compare, healthy, recorded_count, set_strategy

pytestmark = pytest.mark.gui

BEARER_ENV = "SCATTERDASH_TEST_BEARER_KEY"
HEADER_ENV = "SCATTERDASH_TEST_HEADER_KEY"
ROLES = [*range(15), *range(Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 16)]


def _widget_texts(widget: QWidget) -> Iterator[str]:
    yield widget.windowTitle()
    yield widget.toolTip()
    yield widget.statusTip()
    yield widget.whatsThis()
    yield widget.accessibleName()
    yield widget.accessibleDescription()
    if isinstance(widget, QLabel):
        yield widget.text()
    if isinstance(widget, QLineEdit):
        yield widget.text()
        yield widget.placeholderText()
    if isinstance(widget, QTextEdit):
        yield widget.toPlainText()
    if isinstance(widget, QPlainTextEdit):
        yield widget.toPlainText()
    if isinstance(widget, QAbstractButton):
        yield widget.text()
    if isinstance(widget, QAbstractSpinBox):
        yield widget.text()
    if isinstance(widget, QProgressBar):
        yield widget.text()
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            yield widget.itemText(i)
            yield str(widget.itemData(i))
    if isinstance(widget, QMessageBox):
        yield widget.text()
        yield widget.informativeText()
        yield widget.detailedText()
    for action in widget.actions():
        yield action.text()
        yield action.toolTip()
        yield action.statusTip()


def _model_texts(model: QAbstractItemModel, parent: QModelIndex | None = None) -> Iterator[str]:
    parent = parent or QModelIndex()
    if not parent.isValid():
        for orientation in (Qt.Orientation.Horizontal, Qt.Orientation.Vertical):
            count = model.columnCount() if orientation == Qt.Orientation.Horizontal else 0
            for section in range(count):
                for role in ROLES:
                    yield str(model.headerData(section, orientation, role))
    for row in range(model.rowCount(parent)):
        for column in range(model.columnCount(parent)):
            index = model.index(row, column, parent)
            for role in ROLES:
                yield str(index.data(role))
            if column == 0 and model.rowCount(index) > 0:
                yield from _model_texts(model, index)


def _everything_shown(window: MainWindow) -> Iterator[str]:
    for widget in QApplication.allWidgets():
        yield from _widget_texts(widget)
    models = set(window.findChildren(QAbstractItemModel))
    models.update(view.model() for view in window.findChildren(QAbstractItemView))
    assert window.history_model in models and window.destinations_model in models
    for model in models:
        if model is not None:
            yield from _model_texts(model)
    for item in window.latency_plot.scene().items():
        if isinstance(item, QGraphicsTextItem):
            yield item.toPlainText()
    yield from window.event_log.messages()


def _keyed(fleet: Fleet) -> tuple[Any, str, str]:
    """The demo fleet's config with two keyed suppliers; and their names."""
    first, second, *rest = fleet.config.suppliers
    suppliers = (
        first.model_copy(update={"api_key_env": BEARER_ENV}),
        second.model_copy(update={"api_key_env": HEADER_ENV, "api_key_header": "X-Api-Key"}),
        *rest,
    )
    return fleet.config.model_copy(update={"suppliers": suppliers}), first.name, second.name


def test_api_keys_are_sent_to_their_supplier_and_shown_nowhere(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    keys = ("sk-live-" + secrets.token_hex(16), secrets.token_urlsafe(24))
    monkeypatch.setenv(BEARER_ENV, keys[0])
    monkeypatch.setenv(HEADER_ENV, keys[1])
    caplog.set_level(logging.DEBUG)  # everything, as with -vv …
    logging.getLogger("qasync").setLevel(logging.INFO)  # … where qasync stays quiet too
    healthy(fleet)
    config, bearer, header = _keyed(fleet)

    # the keys do go out, each to its own supplier only
    session = Session(config)
    sent: dict[str, dict[str, str]] = {}
    begin = session.comparator.transport.begin

    def spy(endpoint: Endpoint, body: bytes, **kwargs: Any) -> Any:
        sent[endpoint.name] = dict(endpoint.headers)
        return begin(endpoint, body, **kwargs)

    monkeypatch.setattr(session.comparator.transport, "begin", spy)
    window = make_window(config, session=session)

    set_strategy(window, "all")
    assert compare(aloop, window).decided
    assert sent[bearer] == {"Authorization": f"Bearer {keys[0]}"}
    assert sent[header] == {"X-Api-Key": keys[1]}
    assert all(not headers for name, headers in sent.items() if name not in (bearer, header))

    for path in (tmp_path / "result.json", tmp_path / "result.csv"):
        task = window.export_result(path)
        assert task is not None
        aloop.until(task.done)
        assert task.result() == path

    # errors from both keyed suppliers, until their breakers open (the hang ends at the
    # comparison's deadline, which does not count against a breaker)
    window.ticket.timeout_spin.setValue(0.5)
    for faults in (
        {"error_rate": 1.0},
        {"malformed_json": True},
        {"wrong_schema": True},
        {"hang": True},
        {"outage": True},
        {"absurd_price": True},
    ):
        for name in (bearer, header):
            fleet.set_faults(name, **faults)
        compare(aloop, window)
        for name in (bearer, header):
            fleet.set_faults(name, **{key: type(value)() for key, value in faults.items()})
    window.refresh_health(full=True)
    assert set(window.destinations_model.unhealthy_names()) >= {bearer, header}
    assert any("breaker closed → open" in m for m in window.event_log.messages())

    # a refused config (its supplier's key variable is not set) leaves its dialog open
    bad = tmp_path / "nokey.toml"
    bad.write_text(
        f'[[suppliers]]\nname = "x"\nurl = "{config.suppliers[0].url}"\n'
        'api_key_env = "SCATTERDASH_TEST_NOT_SET"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("SCATTERDASH_TEST_NOT_SET", raising=False)
    task = window.open_config(bad)
    assert task is not None
    aloop.until(task.done)
    assert window.findChild(QMessageBox, "configErrorDialog").isVisible()
    aloop.until(lambda: window.history_model.rowCount() == 7)
    history = tmp_path / "history.sqlite3"
    aloop.until(lambda: recorded_count(history) == 7)

    shown = list(_everything_shown(window))
    assert len(shown) > 10_000  # the walk did reach the tables
    assert any(bearer in text for text in shown)
    window.close()
    aloop.run(window.aclose())

    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {tmp_path / "result.json", tmp_path / "result.csv", history} <= set(files)
    records = [record.getMessage() for record in caplog.records]
    out, err = capfd.readouterr()
    for key in keys:
        assert not [text for text in shown if key in text]
        assert not [path for path in files if key.encode() in path.read_bytes()]
        assert not [message for message in records if key in message]
        assert key not in caplog.text
        assert key not in out and key not in err
