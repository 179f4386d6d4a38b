"""The live one-line progress of a comparison on stderr, only when stderr is a terminal.

Nothing is drawn for a comparison that decides within ``DELAY_S``; once drawn, the line
is redrawn in place every ``INTERVAL_S`` and erased at the end, so that what follows (the
table, ``-v`` lines) starts on a clean line. Stdout is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from core._events import CallResult, CallSent, ComparisonStarted, Emitter, Event
from core._progress import ProgressCounts

__all__ = ["DELAY_S", "INTERVAL_S", "LiveProgress"]

DELAY_S = 0.5
INTERVAL_S = 0.1
_ERASE = "\r\x1b[K"


class LiveProgress:
    """Use as ``with LiveProgress(comparator.events, sys.stderr):`` around one comparison."""

    def __init__(
        self,
        events: Emitter[Event],
        stream: TextIO,
        *,
        enabled: bool | None = None,
        delay_s: float = DELAY_S,
    ) -> None:
        self.events = events
        self.stream = stream
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.delay_s = delay_s
        self.counts: ProgressCounts | None = None
        self.sent_at_ms: dict[str, float] = {}
        """when each call left, in ms after the comparison started"""
        self._started_at = 0.0
        self._drawn = False
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] = _nothing

    def __enter__(self) -> LiveProgress:
        self._unsubscribe = self.events.subscribe(self._on_event)
        if self.enabled:
            self._task = asyncio.get_running_loop().create_task(self._draw())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
        if self._drawn:
            self.stream.write(_ERASE)
            self.stream.flush()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ComparisonStarted):
            self.counts = ProgressCounts(total=len(event.suppliers))
            self._started_at = time.perf_counter()
        elif self.counts is None:
            return
        elif isinstance(event, CallSent):
            self.counts.sent()
            self.sent_at_ms[event.supplier] = (event.at - self._started_at) * 1000.0
        elif isinstance(event, CallResult):
            result = event.result
            self.counts.finished(result.status, called=result.name in self.sent_at_ms)

    async def _draw(self) -> None:
        # pacing, not synchronisation: the line appears only for a comparison still running
        await asyncio.sleep(self.delay_s)
        while True:
            if self.counts is not None:
                text = self.counts.text()[: _columns(self.stream) - 1]  # one line: no wrap
                self.stream.write(f"{_ERASE}{text}")
                self.stream.flush()
                self._drawn = True
            await asyncio.sleep(INTERVAL_S)


def _nothing() -> None:
    pass


def _columns(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns > 0 else 80  # a terminal that does not say: the usual width


def _is_terminal(stream: TextIO) -> bool:
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return stream.isatty()
    return False
