"""The GUI thread's asyncio loop: qasync's ``QEventLoop`` with batched ready callbacks.

Why: qasync 0.28 turns *every* ``call_soon`` into its own Qt timer (``startTimer(0)``, a
timer event, ``killTimer``), and every socket readiness into a ``call_soon``. A scatter to
200 suppliers is thousands of such callbacks; measured with ``tests/bench/bench_gui.py``,
the per-callback timer round trip made a comparison ~2.5–3× slower than on a plain
asyncio loop and let a burst of zero-timers hold the GUI for 30+ ms.

What this changes: ``call_soon`` appends to a FIFO queue and arms *one* zero-interval
``QTimer``; when it fires, the queue is drained like asyncio's own ready queue (the
callbacks present at the start, in order), but for at most :data:`SLICE_S` at a time, so
painting, input and Qt timers get their turn between slices. Everything else (timers with
a delay, sockets, threads, ``run_until_complete``, closing) is qasync's own.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import time
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

__all__ = ["SLICE_S", "GuiEventLoop"]

SLICE_S = 0.004
"""longest run of ready callbacks before Qt gets the thread back"""


class GuiEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    def __init__(self, app: QApplication | None = None, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._ready_queue: collections.deque[asyncio.Handle] = collections.deque()
        self._drain_parent = QObject()
        self._drain_timer = QTimer(self._drain_parent)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._drain_timer.timeout.connect(self._drain)

    def call_soon(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready_queue.append(handle)
        if not self._drain_timer.isActive():
            self._drain_timer.start()
        return handle

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if delay <= 0:
            return self.call_soon(callback, *args, context=context)
        return super().call_later(delay, callback, *args, context=context)  # type: ignore[no-any-return]

    def _drain(self) -> None:
        queue = self._ready_queue
        ends = time.perf_counter() + SLICE_S
        for _ in range(len(queue)):  # only what was ready when the slice began
            handle = queue.popleft()
            if not handle._cancelled:
                handle._run()
            if time.perf_counter() >= ends:
                break
        if queue and not self._drain_timer.isActive():
            self._drain_timer.start()

    def close(self) -> None:
        self._drain_timer.stop()
        self._ready_queue.clear()
        super().close()
