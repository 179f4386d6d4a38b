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

When the database cannot be used (corrupt, read-only, unreadable) one warning is logged
and the service goes on with history off: writes are dropped, reads give their default.
A lock another process holds past the busy timeout (a `history` command pruning, a
`sqlite3` shell) is not that: the writes wait, in order, and are tried again every
``RETRY_LOCKED_S`` and at close; reads go on (WAL readers do not wait for the writer).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from core.storage._database import HistoryBusy, HistoryDatabase, HistoryUnavailable

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
        # the writer thread's own state
        self._locked = False
        """another process holds the lock: writes wait (``_write``) and are tried again"""
        self._retry_at = 0.0
        self._dropped = 0
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
        database = self._open()
        #: writes a lock held back, oldest first: tried again before any newer one
        waiting: collections.deque[Work] = collections.deque()
        while True:
            try:
                job = self._jobs.get(timeout=self._until_retry() if self._locked else None)
            except queue.Empty:
                job = None
            if self._locked and time.monotonic() >= self._retry_at:
                database = database or self._open()
                if database is not None:
                    self._write(database, waiting)
            if job is None:
                continue
            # False when the caller gave up waiting (cancelled): nobody wants the answer,
            # and a cancelled future must not be given one
            wanted = job.result is None or job.result.set_running_or_notify_cancel()
            if job.work is None:
                self._finish(database, waiting)
                if job.result is not None and wanted:
                    job.result.set_result(None)
                return
            if not wanted or self.problem is not None:
                if job.result is not None and wanted:
                    job.result.set_result(job.default)
                continue
            if job.result is None:  # a write: after those a lock held back
                if len(waiting) == MAX_WAITING_WRITES:
                    waiting.popleft()
                    self._dropped += 1
                waiting.append(job.work)
                if database is not None and not self._locked:
                    self._write(database, waiting)
                continue
            if database is None:  # locked since it was first opened
                job.result.set_result(job.default)
                continue
            try:  # a read: WAL readers do not wait for another process's writer
                job.result.set_result(job.work(database))
            except HistoryBusy:
                job.result.set_result(job.default)
            except HistoryUnavailable as exc:
                self._turn_off(str(exc))
                job.result.set_result(job.default)
            except BaseException as exc:  # a bug in a query: that caller sees it
                job.result.set_exception(exc)

    def _open(self) -> HistoryDatabase | None:
        """The database, or None: history off (``problem``) or locked (tried again later)."""
        try:
            database = HistoryDatabase.open(
                self.path,
                keep_days=self._keep_days,
                legacy=self._legacy,
                busy_timeout_s=self._busy_timeout_s,
            )
        except HistoryBusy as exc:
            self._held_back(str(exc))
            return None
        except HistoryUnavailable as exc:
            self._turn_off(str(exc))
            return None
        except Exception as exc:  # a bug: history off, but the thread must go on answering
            log.exception("history: opening %s failed", self.path)
            self._turn_off(f"{self.path}: cannot be opened ({type(exc).__name__}: {exc})")
            return None
        self._locked = False
        return database

    def _write(self, database: HistoryDatabase, waiting: collections.deque[Work]) -> None:
        """Write what waits, in order, until done or a lock holds the rest back again."""
        while waiting:
            try:
                waiting[0](database)
            except HistoryBusy as exc:
                self._held_back(str(exc))
                return
            except HistoryUnavailable as exc:
                self._turn_off(str(exc))
                waiting.clear()
                return
            except (OverflowError, UnicodeError) as exc:  # a value SQLite cannot hold
                log.warning("history: a record was not written: %s", exc)
            except Exception:  # a bug in a write: that record only
                log.exception("history: a write failed")
            waiting.popleft()
        if self._locked:
            log.warning("history: the database is free again; the writes held back are recorded")
        self._locked = False

    def _finish(self, database: HistoryDatabase | None, waiting: collections.deque[Work]) -> None:
        if waiting and self.problem is None:
            database = database or self._open()
            if database is not None:
                self._write(database, waiting)  # one last try, with the busy timeout
        lost = len(waiting) + self._dropped
        if lost:
            log.warning(
                "history: %d comparisons or events not recorded: %s",
                lost,
                self.problem or "the database stayed locked by another process",
            )
        if database is not None:
            database.close()

    def _held_back(self, problem: str) -> None:
        if not self._locked:
            log.warning(
                "history: %s; writes wait and are tried again every %g s", problem, RETRY_LOCKED_S
            )
        self._locked = True
        self._retry_at = time.monotonic() + RETRY_LOCKED_S

    def _until_retry(self) -> float:
        return max(0.0, self._retry_at - time.monotonic())

    def _turn_off(self, problem: str) -> None:
        self.problem = problem
        self._locked = False
        log.warning("history off: %s; comparisons are not recorded", problem)


RETRY_LOCKED_S = 5.0
"""how often writes held back by another process's lock are tried again"""
MAX_WAITING_WRITES = 2000
"""writes kept while the database is locked; past that the oldest are dropped (counted)"""


BACKGROUND_NICENESS = 10
"""the writer thread's nice value on Linux. The window's lag is the same at 19, but at 10 a
writer whose core is kept busy by another process still gets a tenth of it, not 1.5 %."""


def _lower_this_threads_priority() -> None:
    # Only Linux schedules threads by their own nice value: elsewhere PRIO_PROCESS with a
    # thread id would renice the whole process (or fail), so the writer keeps the default.
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:  # never lowered: a process already nicer than that keeps its own
        nice = max(os.getpriority(os.PRIO_PROCESS, thread), BACKGROUND_NICENESS)
        os.setpriority(os.PRIO_PROCESS, thread, nice)
    except OSError as exc:  # a sandbox may forbid it: recording goes on at normal priority
        log.debug("history: the writer thread keeps its priority: %s", exc)
