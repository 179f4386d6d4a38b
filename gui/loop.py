"""The GUI thread's asyncio loop: qasync's ``QEventLoop``, made cheap per callback and per socket.

Why: qasync 0.28 turns *every* ``call_soon`` into its own Qt timer (``startTimer(0)``, a
timer event, ``killTimer``), and watches every socket with its own ``QSocketNotifier``
(disabled and re-enabled around each callback). A scatter to 200 suppliers is thousands
of callbacks on hundreds of keep-alive sockets, and Qt's dispatcher polls every
registered notifier on every pass of its loop. Measured with ``tests/bench/bench_gui.py``,
that made comparisons up to 2–3× slower than on a plain asyncio loop and let bursts of
zero-timers hold the GUI for 30+ ms.

What this class changes, keeping the rest of qasync (timers with a delay, threads,
``run_until_complete``, closing):

- ``call_soon`` appends to a FIFO queue and arms *one* zero-interval ``QTimer``; when it
  fires, the queue is drained like asyncio's own ready queue (the callbacks present when
  the slice began, in order), for at most :data:`SLICE_S`, so painting, input and Qt's
  timers get their turn between slices.
- On POSIX, sockets are watched by a real ``selectors.DefaultSelector`` (epoll, kqueue)
  whose own file descriptor is the only one Qt watches: one ``QSocketNotifier`` for all
  of them. When it fires, the ready sockets' callbacks run at once, exactly as
  ``asyncio.SelectorEventLoop`` runs them. (Elsewhere, qasync's notifiers are kept.)
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextvars
import selectors
import time
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer
from PySide6.QtWidgets import QApplication

__all__ = ["SLICE_S", "GuiEventLoop"]

SLICE_S = 0.004
"""longest run of ready callbacks before Qt gets the thread back"""

_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
_Handlers = tuple[asyncio.Handle | None, asyncio.Handle | None]


def _pollable_selector() -> tuple[selectors.BaseSelector, int] | None:
    """A selector with a file descriptor of its own that Qt can watch, if there is one."""
    selector = selectors.DefaultSelector()
    fileno = getattr(selector, "fileno", None)  # epoll and kqueue have one; select/poll not
    if fileno is None:
        selector.close()
        return None
    return selector, int(fileno())


class GuiEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
    def __init__(self, app: QApplication | None = None, **kwargs: Any) -> None:
        # set up before qasync's __init__, which already registers asyncio's self-pipe
        self._owner = QObject()
        self._ready_queue: collections.deque[asyncio.Handle] = collections.deque()
        self._drain_timer = QTimer(self._owner)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._drain_timer.timeout.connect(self._drain)
        pollable = _pollable_selector()
        self._io: selectors.BaseSelector | None = pollable[0] if pollable else None
        self._io_notifier: QSocketNotifier | None = None
        if pollable is not None:
            self._io_notifier = QSocketNotifier(pollable[1], QSocketNotifier.Type.Read, self._owner)
            self._io_notifier.activated.connect(self._on_io)
        self._from_threads: collections.deque[asyncio.Handle] = collections.deque()
        super().__init__(app, **kwargs)
        # Plain threads, not qasync's QThreadExecutor: see call_soon_threadsafe.
        self.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="gui-io")
        )

    # -- ready callbacks -------------------------------------------------------------------

    def call_soon_threadsafe(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        """Wake the loop through asyncio's own self-pipe, as ``SelectorEventLoop`` does.

        qasync 0.28 emits a Qt signal from the calling thread into a lambda slot; with
        PySide6 ≥ 6.8 such cross-thread emissions crash the process now and then
        (PYSIDE-3124, PYSIDE-3165; qasync#154): seen here as a segfault in about one GUI
        test run in four, always after ``asyncio.to_thread`` work (history, export).
        """
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._from_threads.append(handle)  # deque.append is atomic
        self._write_to_self()
        return handle

    def _process_self_data(self, data: bytes) -> None:
        # asyncio's _read_from_self hands us the wake-up bytes on the loop's thread; its
        # own handling turns signal numbers into signal handlers (a 0 byte is a wake-up)
        super()._process_self_data(data)
        while self._from_threads:
            handle = self._from_threads.popleft()
            if not handle._cancelled:
                self._add_callback(handle)

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

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        if delay <= 0:  # asyncio's signal handling, for one, hands ready handles here
            self._ready_queue.append(handle)
            if not self._drain_timer.isActive():
                self._drain_timer.start()
            return handle
        return super()._add_callback(handle, delay)  # type: ignore[no-any-return]

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

    # -- sockets ---------------------------------------------------------------------------

    def _on_io(self) -> None:
        io = self._io
        if io is None or self.is_closed():
            return
        for key, mask in io.select(0):
            reader, writer = key.data
            if mask & _READ and reader is not None:
                if reader._cancelled:
                    self._remove_reader(key.fd)
                else:
                    reader._run()
            if mask & _WRITE and writer is not None:
                if writer._cancelled:
                    self._remove_writer(key.fd)
                else:
                    writer._run()

    def _watch(self, fd: int, event: int, handle: asyncio.Handle) -> None:
        io = self._io
        assert io is not None
        try:
            key = io.get_key(fd)
        except KeyError:
            io.register(fd, event, (handle, None) if event == _READ else (None, handle))
            return
        reader, writer = key.data
        if event == _READ:
            io.modify(fd, key.events | _READ, (handle, writer))
            old = reader
        else:
            io.modify(fd, key.events | _WRITE, (reader, handle))
            old = writer
        if old is not None:
            old.cancel()

    def _unwatch(self, fd: int, event: int) -> bool:
        io = self._io
        assert io is not None
        if self.is_closed():
            return False
        try:
            key = io.get_key(fd)
        except KeyError:
            return False
        reader, writer = key.data
        mask = key.events & ~event
        data: _Handlers = (None, writer) if event == _READ else (reader, None)
        if mask:
            io.modify(fd, mask, data)
        else:
            io.unregister(fd)
        old = reader if event == _READ else writer
        if old is None:
            return False
        old.cancel()
        return True

    def _add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> Any:
        if self._io is None:
            return super()._add_reader(fd, callback, *args)
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, None)
        self._watch(fd, _READ, handle)
        return handle

    def _remove_reader(self, fd: Any) -> bool:
        if self._io is None:
            return bool(super()._remove_reader(fd))
        return self._unwatch(fd, _READ)

    def _add_writer(self, fd: Any, callback: Callable[..., object], *args: Any) -> Any:
        if self._io is None:
            return super()._add_writer(fd, callback, *args)
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, None)
        self._watch(fd, _WRITE, handle)
        return handle

    def _remove_writer(self, fd: Any) -> bool:
        if self._io is None:
            return bool(super()._remove_writer(fd))
        return self._unwatch(fd, _WRITE)

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        if self.is_running() or self.is_closed():
            super().close()  # raises for a running loop, does nothing for a closed one
            return
        self._drain_timer.stop()
        self._ready_queue.clear()
        super().close()  # asyncio unregisters its self-pipe through _remove_reader first
        if self._io_notifier is not None:
            self._io_notifier.setEnabled(False)
        if self._io is not None:
            self._io.close()
