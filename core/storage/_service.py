"""The history behind one writer thread: the event loop hands it work and never waits.

:class:`HistoryService` owns a :class:`HistoryDatabase` on a thread of its own. Writes
(:meth:`submit`) return at once and reach the thread once the event loop's current
callback is done: the writer then does not compete for the GIL with what the loop is doing
right now (the window drawing the end of a comparison, whose record it was just handed).
Reads (:meth:`call`) are queued too and awaited through an asyncio future, woken by
``call_soon_threadsafe``. The queue keeps them in order, so a read sees every write
submitted before it.

The writer runs at a background scheduling priority (Linux): on a busy core the event loop
preempts it whenever it wakes, instead of taking turns with it. Recording a 1000-supplier
comparison costs the writer tens of milliseconds; at the same priority those turns doubled
the window's worst loop lag (``tests/bench/bench_gui.py --sustained --suppliers 1000``:
p99 52–65 ms; 28–35 ms at nice 10 or 19).

When the database cannot be used (corrupt, locked, read-only) one warning is logged and
the service goes on with history off: writes are dropped, reads give their default.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from core.storage._database import HistoryDatabase, HistoryUnavailable

__all__ = ["HistoryService"]

log = logging.getLogger("scatterdash.history")

T = TypeVar("T")
Work = Callable[[HistoryDatabase], Any]


@dataclass(slots=True)
class _Job:
    work: Work | None
    """``None``: close the database and end the thread"""
    result: concurrent.futures.Future[Any] | None = None
    default: Any = None


class HistoryService:
    def __init__(
        self,
        path: str | Path,
        *,
        keep_days: float = 30.0,
        legacy: Sequence[Path] = (),
        busy_timeout_s: float = 2.0,
    ) -> None:
        self.path = Path(path)
        self._keep_days = keep_days
        self._legacy = tuple(legacy)
        self._busy_timeout_s = busy_timeout_s
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="scatterdash-history", daemon=True)
        self._closing = False
        self._held: list[Work] = []
        """writes submitted during the loop's current callback, queued after it"""
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.problem: str | None = None
        """why history is off (``None`` while it works)"""
        self._thread.start()

    @property
    def available(self) -> bool:
        return self.problem is None

    # -- the event loop's side ---------------------------------------------------------------

    def submit(self, work: Work) -> None:
        """Queue a write; returns at once. Dropped once history is off or closing."""
        if self._closing or self.problem is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop to wait for
            self._jobs.put(_Job(work))
            return
        if not self._held:
            loop.call_soon(self._release_held)
        self._held.append(work)

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for work in held:
            self._jobs.put(_Job(work))

    async def call(self, work: Callable[[HistoryDatabase], T], default: T) -> T:
        """Run ``work`` on the database thread and await its result (``default`` when
        history is off)."""
        if self._closing or self.problem is not None:
            return default
        self._release_held()  # the writes submitted before this read come first
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put(_Job(work, future, default))
        return await asyncio.wrap_future(future)

    async def aclose(self) -> None:
        """Finish what is queued, close the database, end the thread (idempotent)."""
        if not self._closing:
            self._release_held()
            self._closing = True
            self._jobs.put(_Job(None, self._done))
        # shielded: one closer cancelled must not cancel the close the others wait for
        await asyncio.shield(asyncio.wrap_future(self._done))
        # the thread answers the close job just before it returns: once that answer is
        # here, joining it waits for no work, only for the thread to finish returning
        self._thread.join(timeout=1.0)

    # -- the database thread -----------------------------------------------------------------

    def _serve(self) -> None:
        _lower_this_threads_priority()
        database: HistoryDatabase | None = None
        try:
            database = HistoryDatabase.open(
                self.path,
                keep_days=self._keep_days,
                legacy=self._legacy,
                busy_timeout_s=self._busy_timeout_s,
            )
        except HistoryUnavailable as exc:
            self._turn_off(str(exc))
        while True:
            job = self._jobs.get()
            # False when the caller gave up waiting (cancelled): nobody wants the answer,
            # and a cancelled future must not be given one
            wanted = job.result is None or job.result.set_running_or_notify_cancel()
            if job.work is None:
                if database is not None:
                    database.close()
                if job.result is not None and wanted:
                    job.result.set_result(None)
                return
            if not wanted:
                continue
            if database is None or self.problem is not None:
                if job.result is not None:
                    job.result.set_result(job.default)
                continue
            try:
                value = job.work(database)
            except HistoryUnavailable as exc:
                self._turn_off(str(exc))
                if job.result is not None:
                    job.result.set_result(job.default)
            except BaseException as exc:  # a bug in a query: that caller sees it
                if job.result is None:
                    log.exception("history: a write failed")
                else:
                    job.result.set_exception(exc)
            else:
                if job.result is not None:
                    job.result.set_result(value)

    def _turn_off(self, problem: str) -> None:
        self.problem = problem
        log.warning("history off: %s; comparisons are not recorded", problem)


BACKGROUND_NICENESS = 10
"""the writer thread's nice value on Linux. The window's lag is the same at 19, but at 10 a
writer whose core is kept busy by another process still gets a tenth of it, not 1.5 %."""


def _lower_this_threads_priority() -> None:
    # Only Linux schedules threads by their own nice value: elsewhere PRIO_PROCESS with a
    # thread id would renice the whole process (or fail), so the writer keeps the default.
    if sys.platform != "linux":
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    except OSError as exc:  # a sandbox may forbid it: recording goes on at normal priority
        log.debug("history: the writer thread keeps its priority: %s", exc)
