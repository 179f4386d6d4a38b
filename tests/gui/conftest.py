"""GUI test harness: offscreen Qt, one qasync loop per test, the real demo fleet on loopback.

Tests are plain sync functions (pytest-asyncio never sees them). The ``aloop`` fixture
makes a qasync ``QEventLoop`` the *running* loop for the whole test, so everything that
pumps Qt events (``qtbot.waitUntil``, ``qtbot.wait``, a click) also runs asyncio
callbacks and tasks. ``aloop.run(coro)`` runs a coroutine to completion that way. Any
error the loop reports fails the test; a task left pending at the end fails it too.
"""

from __future__ import annotations

import os

# before any QApplication exists: offscreen, with a desktop-sized screen (the plugin's
# default 800×800 screen would clamp restored window geometry)
os.environ["QT_QPA_PLATFORM"] = "offscreen:configfile=" + os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "offscreen-screen.json"
)
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import asyncio
import gc
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton, QTableView
from pytestqt.qtbot import QtBot

from core import Comparison, Config
from core.fleet import Fleet, embedded_demo_fleet
from gui.collector import MainThreadCollector
from gui.loop import GuiEventLoop
from gui.main_window import MainWindow
from gui.models.destinations_model import Column

T = TypeVar("T")

#: the demo fleet's latencies, scaled down so that a comparison takes tens of ms
LATENCY_SCALE = 0.25


class AsyncLoop:
    """The test's running qasync loop, and a way to run coroutines on it from sync code."""

    def __init__(self, loop: GuiEventLoop, qtbot: QtBot) -> None:
        self.loop = loop
        self.qtbot = qtbot
        self.errors: list[dict[str, Any]] = []

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        task = self.loop.create_task(coro)
        try:
            self.qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        except BaseException:
            task.cancel()
            raise
        return task.result()

    def sleep(self, seconds: float) -> None:
        self.run(asyncio.sleep(seconds), timeout=seconds + 5)

    def until(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        """Wait (running the loop) until ``predicate()`` is true."""
        self.qtbot.waitUntil(lambda: bool(predicate()), timeout=int(timeout * 1000))

    def pending_tasks(self) -> list[asyncio.Task[Any]]:
        return [task for task in asyncio.all_tasks(self.loop) if not task.done()]


@pytest.fixture(scope="package", autouse=True)
def _collect_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    """As the app does (gui/collector.py): no Qt object is ever freed by a worker thread."""
    collector = MainThreadCollector(qapp)
    yield
    collector.stop()
    collector.deleteLater()
    # Collect what the GUI tests left in cycles here, on the GUI thread, before CPython
    # collects on its own again: the next packages' worker threads (history writers,
    # to_thread) would otherwise free those Qt objects, and a later processEvents crashed.
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()
    gc.collect()


@pytest.fixture(autouse=True)
def _private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test reads and writes its own QSettings and data files, never the user's."""
    # QStandardPaths reads these on each call: AppDataLocation (history) lands in tmp_path
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    QCoreApplication.setOrganizationName("ScatterdashTests")
    QCoreApplication.setApplicationName("ScatterdashTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture
def aloop(qapp: QApplication, qtbot: QtBot) -> Iterator[AsyncLoop]:
    loop = GuiEventLoop(qapp)
    asyncio.set_event_loop(loop)
    # running for the whole test: Qt's event pumping is the loop's "run_forever"
    asyncio.events._set_running_loop(loop)
    harness = AsyncLoop(loop, qtbot)
    loop.set_exception_handler(lambda _loop, context: harness.errors.append(context))
    try:
        yield harness
        left = harness.pending_tasks()
        assert not left, f"tasks left pending: {left}"
        assert not harness.errors, f"the event loop reported errors: {harness.errors}"
    finally:
        left = harness.pending_tasks()
        for task in left:
            task.cancel()
        if left:
            qtbot.waitUntil(lambda: all(task.done() for task in left), timeout=5000)
        harness.run(loop.shutdown_asyncgens())
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)


@pytest.fixture
def fleet(aloop: AsyncLoop) -> Iterator[Fleet]:
    """The embedded demo fleet (12 real HTTP suppliers on 127.0.0.1), faster latencies."""
    manager = embedded_demo_fleet(latency_scale=LATENCY_SCALE)
    started = aloop.run(manager.__aenter__())
    try:
        yield started
    finally:
        aloop.run(manager.__aexit__(None, None, None))


def healthy(fleet: Fleet) -> None:
    """Clear the demo's built-in misbehaviour, for tests that need a deterministic fleet."""
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, error_rate=0.0, hang_rate=0.0, latency_multiplier=1.0)


@pytest.fixture
def make_window(
    aloop: AsyncLoop, fleet: Fleet, qtbot: QtBot, tmp_path: Path
) -> Iterator[Callable[..., MainWindow]]:
    """Builds shown windows (on the demo fleet's config unless given one); closes them after.

    Every window of a test shares ``tmp_path / "history.sqlite3"`` unless given a history path.
    """
    windows: list[MainWindow] = []

    def make(config: Config | None = None, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("fleet", fleet)
        kwargs.setdefault("history_path", tmp_path / "history.sqlite3")
        kwargs.setdefault("probing", False)  # tests of probing ask for it
        window = MainWindow(config or fleet.config, **kwargs)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:  # not qtbot.addWidget: it would delete them before aclose()
        window.close()
        aloop.run(window.aclose())
        window.deleteLater()


def compare(aloop: AsyncLoop, window: MainWindow, timeout: float = 15.0) -> Comparison:
    """Click Compare and wait until the window shows the comparison's result."""
    before = window.comparison
    button = window.findChild(QPushButton, "compareButton")
    assert button is not None and button.isEnabled()
    button.click()
    aloop.until(
        lambda: (
            not window.comparing
            and window.comparison is not before
            and window.result.tables_current
        ),
        timeout,
    )
    assert window.comparison is not None
    return window.comparison


def recorded_count(path: Path) -> int:
    """How many comparisons the history database at ``path`` holds (0 before it exists)."""
    if not path.exists():
        return 0
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM comparisons").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        connection.close()


def set_strategy(window: MainWindow, strategy: str) -> None:
    combo = window.findChild(QComboBox, "strategyCombo")
    assert combo is not None
    combo.setCurrentIndex(combo.findData(strategy))
    assert combo.currentData() == strategy


def destination_cell(window: MainWindow, name: str, column: Column) -> str:
    """The text the destinations table shows in ``name``'s row, in ``column``."""
    table = window.findChild(QTableView, "destinationsTable")
    model = table.model()
    for row in range(model.rowCount()):
        if model.index(row, Column.NAME).data() == name:
            return str(model.index(row, column).data())
    raise AssertionError(f"no row for {name}")


def record_instances(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[Any]:
    """Replace the class ``module.name`` by a subclass that lists every instance it builds."""
    built: list[Any] = []
    original = getattr(module, name)

    class Recorded(original):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(module, name, Recorded)
    return built


def hang_a_comparison(aloop: AsyncLoop, fleet: Fleet, window: MainWindow) -> None:
    """Start a comparison that will not end by itself: every supplier hangs, all in flight."""
    for supplier in fleet.suppliers:
        fleet.set_faults(supplier.name, hang=True)
    button = window.findChild(QPushButton, "compareButton")
    assert button is not None
    button.click()
    aloop.until(lambda: window.run is not None and window.run.in_flight == len(fleet.suppliers))
