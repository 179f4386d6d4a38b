"""Background tasks the window starts, kept alive and cancelled together on close.

asyncio keeps only weak references to tasks and qasync 0.28's ``asyncSlot`` keeps none,
so a slot that starts a coroutine hands it to a :class:`TaskSet`: it holds the task,
logs the task's exception if it has one, and cancels and awaits every task on close
(nothing is left pending: no "Task was destroyed but it is pending").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["TaskSet"]

log = logging.getLogger("scatterdash.gui")

T = TypeVar("T")


class TaskSet:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
        """Run ``coro`` on the running loop; its failure is logged, never lost."""
        if self._closed:
            coro.close()
            raise RuntimeError("this TaskSet is closed")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error(
                "%s failed: %s", task.get_name(), exc, exc_info=(type(exc), exc, exc.__traceback__)
            )

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> bool:
        """Wait (without cancelling) until every task is done or ``timeout`` s have passed.

        Returns whether everything finished. For work that should complete rather than be
        cut short on close (a history line, an export), but never holds the close up long.
        """
        tasks = list(self._tasks)
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    async def aclose(self) -> None:
        """Cancel every task and wait until each has finished unwinding."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
