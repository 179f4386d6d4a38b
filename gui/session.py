"""The operator's session with the suppliers: Qt-free, so it is tested without a window.

A :class:`Session` owns the :class:`core.PriceComparator` (connections and breakers) and
a :class:`core.HealthTracker` fed by its events; the window only reads from it and asks
it to do things.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from core import (
    Comparison,
    Config,
    Event,
    HealthTracker,
    HealthWindow,
    PriceComparator,
    SupplierHealth,
)

__all__ = ["BreakerAction", "Session", "Ticket"]


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the operator asked for: the arguments of one comparison."""

    product_id: str
    quantity: int
    strategy: str
    quorum: int | None = None
    """``None``: the engine's default (more than half of the suppliers queried)"""
    min_responses: int | None = None
    timeout: float | None = None
    """seconds for the whole comparison; ``None``: the config's default"""


class BreakerAction(enum.Enum):
    FORCE_OPEN = "force open"
    FORCE_CLOSED = "force closed"
    RESET = "reset"
    DISABLE = "disable"
    ENABLE = "enable"


class Session:
    """Comparisons, breakers and health for one config."""

    def __init__(self, config: Config, comparator: PriceComparator | None = None) -> None:
        self.config = config
        self.comparator = comparator or PriceComparator(config)
        self.health = HealthTracker(self.comparator.breakers)
        self.health_window = HealthWindow(config.health.window)
        """rolling statistics over time, calls and probes together (the health view's)"""
        self._unsubscribe = [
            self.comparator.events.subscribe(self.health.observe),
            self.comparator.events.subscribe(self.health_window.observe),
        ]
        self._closed = False
        self._broker_names = [s.name for s in config.suppliers if s.transport != "http"]

    @property
    def supplier_names(self) -> tuple[str, ...]:
        return tuple(supplier.name for supplier in self.config.suppliers)

    def connection_states(self) -> dict[str, str]:
        """Each broker supplier's connection state ("idle", "connected"…); HTTP ones have
        none."""
        comparator = self.comparator
        return {name: comparator.connection_state(name) or "" for name in self._broker_names}

    def subscribe(self, observer: Callable[[Event], object]) -> Callable[[], None]:
        """Receive every engine event (synchronously, on the loop's thread)."""
        unsubscribe = self.comparator.events.subscribe(observer)
        self._unsubscribe.append(unsubscribe)
        return unsubscribe

    async def compare(self, ticket: Ticket) -> Comparison:
        """Run one comparison; ``ValueError`` for a bad ticket, cancellable at any time."""
        return await self.comparator.compare(
            ticket.product_id,
            ticket.quantity,
            strategy=ticket.strategy,
            quorum=ticket.quorum if ticket.strategy == "majority" else None,
            min_responses=ticket.min_responses,
            timeout=ticket.timeout,
        )

    # -- probing (the health monitor runs while the window is open) ---------------------

    def start_probing(self) -> None:
        """Probe every supplier on the config's ``[health]`` interval until closed."""
        if not self._closed:
            self.comparator.start_health_monitor()

    @property
    def probing(self) -> bool:
        monitor = self.comparator.health_monitor
        return monitor is not None and monitor.running and not monitor.paused

    def set_probing_paused(self, paused: bool) -> None:
        monitor = self.comparator.health_monitor
        if monitor is not None:
            if paused:
                monitor.pause()
            else:
                monitor.resume()

    def snapshot(self) -> list[SupplierHealth]:
        return self.health.snapshot()

    def apply(self, name: str, action: BreakerAction) -> None:
        """An operator action on one supplier's breaker."""
        breaker = self.comparator.breakers[name]
        if action is BreakerAction.FORCE_OPEN:
            breaker.force_open()
        elif action is BreakerAction.FORCE_CLOSED:
            breaker.force_closed()
        elif action is BreakerAction.RESET:
            breaker.reset()
            self.health.reset(name)
        elif action is BreakerAction.DISABLE:
            breaker.disable()
        elif action is BreakerAction.ENABLE:
            breaker.enable()

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        await self.comparator.aclose()
