"""Sleeps that all end at once when the fleet stops, so no request handler outlives it."""

from __future__ import annotations

import asyncio

__all__ = ["Napper"]


def _wake(future: asyncio.Future[bool], slept: bool) -> None:
    if not future.done():
        future.set_result(slept)


class Napper:
    def __init__(self) -> None:
        self._naps: set[asyncio.Future[bool]] = set()
        self._awake = False

    async def sleep(self, seconds: float | None) -> bool:
        """Sleep ``seconds`` (None: until woken); False when woken early by :meth:`wake_all`.

        Costs what ``asyncio.sleep`` costs: one future and one timer.
        """
        if self._awake:
            return False
        if seconds is not None and seconds <= 0:
            return True
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        timer = None if seconds is None else loop.call_later(seconds, _wake, future, True)
        self._naps.add(future)
        try:
            return await future
        finally:
            if timer is not None:
                timer.cancel()
            self._naps.discard(future)

    def wake_all(self) -> None:
        """End every sleep now, and make later ones return at once."""
        self._awake = True
        for future in list(self._naps):
            _wake(future, False)
