"""Fleets for tests (tiny latencies, stopped after each test) and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import pytest

from core.fleet import Fleet, SupplierProfile

MakeFleet = Callable[..., Awaitable[Fleet]]


@pytest.fixture
async def make_fleet() -> AsyncIterator[MakeFleet]:
    """Start fleets (``await make_fleet(profiles, **fleet_kwargs)``); all stop afterwards."""
    fleets: list[Fleet] = []

    async def make(profiles: Sequence[SupplierProfile], **kwargs: Any) -> Fleet:
        fleet = Fleet(profiles, **kwargs)
        fleets.append(fleet)
        await fleet.start()
        return fleet

    yield make
    for fleet in fleets:
        await fleet.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
