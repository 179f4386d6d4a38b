"""Awaiting events from a comparator's emitter: no sleeps, a deadline instead."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import core


class Recorder:
    """Keeps every event of an emitter and lets a test await one that matches."""

    def __init__(self, emitter: core.Emitter[core.Event]) -> None:
        self.events: list[Any] = []
        self._waiting: list[tuple[Callable[[Any], bool], asyncio.Future[Any]]] = []
        self.unsubscribe = emitter.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        self.events.append(event)
        for predicate, future in list(self._waiting):
            if not future.done() and predicate(event):
                future.set_result(event)

    async def next(self, predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
        """The next event (from now on) for which ``predicate`` is true."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiting.append(entry)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._waiting.remove(entry)

    def of(self, kind: type, supplier: str) -> list[Any]:
        return [
            e for e in self.events if isinstance(e, kind) and getattr(e, "supplier", "") == supplier
        ]


def transition_to(supplier: str, new: str) -> Callable[[Any], bool]:
    return lambda e: (
        isinstance(e, core.BreakerTransition) and e.supplier == supplier and e.new == new
    )


def probe_of(supplier: str, status: str | None = None) -> Callable[[Any], bool]:
    return lambda e: (
        isinstance(e, core.ProbeCompleted)
        and e.supplier == supplier
        and (status is None or e.status == status)
    )
