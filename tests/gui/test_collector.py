"""Garbage collection happens on the GUI thread only (gui/collector.py)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from gui.collector import MainThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self
        self.owner = QObject()  # a Qt object whose wrapper only a collection can free


def test_a_cycle_made_on_a_worker_thread_is_freed_on_the_gui_thread(qtbot: QtBot) -> None:
    collector = MainThreadCollector(interval_ms=10)  # the package fixture's one runs too
    try:
        assert not gc.isenabled()
        gc.collect()
        made: list[weakref.ref[_Cycle]] = []
        kept: list[list[int]] = []

        def allocate() -> None:  # far past the young threshold: CPython would collect here
            cycle = _Cycle()
            made.append(weakref.ref(cycle))
            del cycle
            kept.extend([index] for index in range(gc.get_threshold()[0] * 3))

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert made[0]() is not None, "the worker thread collected: automatic gc is still on"
        qtbot.waitUntil(lambda: made[0]() is None, timeout=2000)  # collected by the timer
    finally:
        collector.stop()
    assert not gc.isenabled()  # the package's collector still owns collection
