"""A finished comparison is freed by reference counting, not left to the cycle collector.

At 1000 suppliers a comparison is some 12,000 objects (results, quotes, replies, decoders).
Caught in one reference cycle, all of them wait in the heap for a full collection, and
every collection until then scans them again: that was a third of the client's CPU per
comparison for ``first`` and ``majority``, which cancel most of their calls.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import core
from tests.support.scripted import ScriptedFleet, hang, healthy


@pytest.fixture
def garbage() -> Iterator[list[object]]:
    """What the collector finds unreachable from here on (collected, but kept for the test)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def ours(garbage: list[object]) -> list[str]:
    return sorted({type(o).__qualname__ for o in garbage if type(o).__module__.startswith("core.")})


async def test_calls_cancelled_while_they_connect_and_read_leave_no_cycle(
    garbage: list[object],
) -> None:
    """Cold: each call is a task opening its connection; the hung ones are cancelled mid-read,
    and a cancelled task keeps its CancelledError, whose traceback holds the engine's frames."""
    behaviours = {"quick": healthy(), **{f"hung{i}": hang() for i in range(3)}}
    async with ScriptedFleet(behaviours) as fleet:
        async with core.PriceComparator(fleet.config(timeout=5.0)) as comparator:
            comparison = await comparator.compare("SKU-1", 2, strategy="first")
            await comparator.idle()  # the hung calls' connections closed by now
            assert comparison.winner is not None and comparison.winner.supplier == "quick"
            cancelled = [r for r in comparison.suppliers if r.status is core.Status.CANCELLED]
            assert len(cancelled) == 3
            del comparison, cancelled
            gc.collect()
            assert ours(garbage) == []


async def test_pooled_calls_abandoned_by_the_strategy_leave_no_cycle(
    garbage: list[object],
) -> None:
    """Warm: each call is the future its pooled connection fills in; the slow ones are
    abandoned (their late replies read and dropped), the hung ones' connections closed."""
    behaviours = {
        "quick": healthy(),
        **{f"slow{i}": healthy(delay=0.2) for i in range(3)},
        "hung": hang(),
    }
    async with ScriptedFleet(behaviours) as fleet:
        async with core.PriceComparator(fleet.config(timeout=5.0)) as comparator:
            await comparator.compare("SKU-1", 2, strategy="all", timeout=0.5)
            await comparator.idle()
            gc.collect()
            garbage.clear()
            for _ in range(3):
                comparison = await comparator.compare("SKU-1", 2, strategy="first")
                assert comparison.winner is not None
                assert comparison.winner.supplier == "quick"
                await comparator.idle()
            del comparison
            gc.collect()
            assert ours(garbage) == []
