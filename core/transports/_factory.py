"""Picks the transport for a supplier: one per kind and broker URL, imported when first
needed (a config without brokers never loads a broker client library)."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from core.transports._base import Transport

__all__ = ["TransportSet"]

_CLASSES = {
    "amqp": ("core.transports.amqp", "AmqpTransport"),
    "nats": ("core.transports.nats", "NatsTransport"),
    "kafka": ("core.transports.kafka", "KafkaTransport"),
}


class TransportSet:
    """The HTTP transport given, and the broker transports made for one comparator."""

    def __init__(self, http: Transport) -> None:
        self.http = http
        self._brokers: dict[tuple[str, str], Transport] = {}

    def get(self, kind: str, broker: str | None) -> Transport:
        if kind == "http":
            return self.http
        assert broker is not None, "a broker transport needs the broker URL"
        transport = self._brokers.get((kind, broker))
        if transport is None:
            module, name = _CLASSES[kind]
            factory: Any = getattr(importlib.import_module(module), name)
            transport = self._brokers[(kind, broker)] = factory(broker)
        return transport

    def state(self, kind: str, broker: str | None) -> str | None:
        """The broker connection's state ("idle", "connected"…), None for HTTP."""
        if kind == "http" or broker is None:
            return None
        transport = self._brokers.get((kind, broker))
        return str(getattr(transport, "state", "")) or None if transport else None

    @property
    def brokers(self) -> list[Transport]:
        return list(self._brokers.values())

    async def aclose(self) -> None:
        """Close the broker transports (the HTTP one belongs to whoever passed it); they
        stay listed, to show as closed."""
        brokers = list(self._brokers.values())
        await asyncio.gather(*(t.aclose() for t in brokers), return_exceptions=True)
