"""Helpers for the fleet tests: quick profiles and a client that asks like the engine."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

import core
from core.fleet import FaultSettings, SimProfile, SupplierProfile


def quick(name: str, **sim: Any) -> SupplierProfile:
    """A healthy supplier that answers in a millisecond or two, unless told otherwise."""
    faults = sim.pop("faults", None)
    settings: dict[str, Any] = {"latency_ms": 1.0, "latency_spread": 0.0, **sim}
    if faults is not None:
        settings["faults"] = FaultSettings(**faults)
    return SupplierProfile(name, SimProfile(**settings))


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    correlation_id: str
    request: core.PriceRequest

    def quote(self) -> core.Quote:
        """Decoded exactly as the engine decodes: raises core.InvalidReplyError."""
        return core.QuoteCodec().decode(self.body, self.request, self.correlation_id)


async def ask(
    session: aiohttp.ClientSession,
    url: str,
    product_id: str = "SKU-123",
    quantity: int = 40,
    *,
    timeout: float = 5.0,
) -> Reply:
    """POST a price request the way the engine does, and read the whole reply."""
    correlation_id = str(uuid.uuid4())
    request = core.PriceRequest(product_id, quantity)
    body = core.QuoteCodec().encode(request, correlation_id)
    async with session.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", "X-Correlation-ID": correlation_id},
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        raw = await response.read()
        return Reply(response.status, dict(response.headers), raw, correlation_id, request)
