"""Python's garbage collector, run on the GUI thread only.

CPython collects cycles in whichever thread happens to allocate when a threshold is
crossed: the history writer, an ``asyncio.to_thread`` worker. A collection there that
frees a Qt object's wrapper runs the QObject's destructor on the wrong thread, which
cannot unregister the object's timers; the GUI thread then delivers a timer event to freed
memory and the process dies in ``QTimerInfoList::activateTimers`` (seen here about one
full test run in three). pyqtgraph's ``GarbageCollector`` is the same idea: automatic
collection off, the same thresholds checked on a GUI-thread timer.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

__all__ = ["MainThreadCollector"]

CHECK_INTERVAL_MS = 50
"""short enough that a young generation never grows far past its threshold"""


class MainThreadCollector(QObject):
    """Turns automatic collection off and collects on this (the GUI) thread instead."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> None:
        """Collect each generation whose count passed its threshold, as CPython would."""
        young, middle, old = gc.get_count()
        first, second, third = gc.get_threshold()
        if young > first:
            generation = 0
            if middle > second:
                generation = 2 if old > third else 1
            gc.collect(generation)

    def stop(self) -> None:
        """Give collection back to CPython (at shutdown, once no worker thread is left)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
