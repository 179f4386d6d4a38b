"""Made-up suppliers for a fleet of any size: names and profiles from a seed."""

from __future__ import annotations

import itertools
import random

from core.fleet._faults import FaultSettings
from core.fleet._profile import SimProfile, SupplierProfile

__all__ = ["MAX_MISBEHAVING", "generate_profiles"]

#: at most this fraction of a generated fleet misbehaves
MAX_MISBEHAVING = 0.2

_FIRST = (
    "alder", "amber", "apex", "arctic", "aspen", "atlas", "bay", "birch", "blue", "bright",
    "canyon", "cedar", "coastal", "cobalt", "copper", "crown", "delta", "eagle", "east",
    "ember", "falcon", "fern", "granite", "harbor", "highland", "iron", "juniper", "lake",
    "maple", "meridian", "metro", "north", "oak", "orbit", "pine", "polar", "prime", "quarry",
    "red", "ridge", "river", "royal", "silver", "south", "summit", "swift", "timber", "vale",
    "west", "willow",
)  # fmt: skip
_SECOND = (
    "components", "depot", "direct", "distribution", "equipment", "fasteners", "goods",
    "hardware", "imports", "industrial", "logistics", "materials", "mercantile", "merchants",
    "outfitters", "parts", "provisions", "supply", "tools", "traders", "trading",
    "wholesale", "works", "yards",
)  # fmt: skip


def _names(rng: random.Random, n: int) -> list[str]:
    pairs = [f"{a}-{b}" for a, b in itertools.product(_FIRST, _SECOND)]
    names = rng.sample(pairs, min(n, len(pairs)))
    for extra in range(n - len(names)):  # more suppliers than pairs: number them
        names.append(f"{pairs[extra % len(pairs)]}-{extra // len(pairs) + 2}")
    return names


def _healthy(rng: random.Random) -> SimProfile:
    list_price = rng.random() < 0.55  # most follow the list price: `majority` can agree
    low = rng.randint(1, 4)
    return SimProfile(
        markup=0.0 if list_price else round(rng.uniform(-0.06, 0.15), 3),
        noise=0.0 if list_price else round(rng.uniform(0.0, 0.04), 3),
        stock=round(rng.uniform(0.75, 0.98), 2),
        stock_units=rng.choice((100, 250, 500, 1000, 2500)),
        delivery_days=(low, low + rng.randint(0, 5)),
        latency_ms=round(rng.uniform(15, 180)),
        latency_spread=round(rng.uniform(0.2, 0.6), 2),
        outlier_rate=round(rng.uniform(0.0, 0.03), 3),
        outlier_factor=round(rng.uniform(4, 10), 1),
    )


def _misbehaving(rng: random.Random, sim: SimProfile) -> SimProfile:
    kind = rng.choice(("errors", "hangs", "slow"))
    if kind == "errors":
        faults = FaultSettings(error_rate=round(rng.uniform(0.2, 0.5), 2))
    elif kind == "hangs":
        faults = FaultSettings(hang_rate=round(rng.uniform(0.05, 0.2), 2))
    else:
        faults = FaultSettings(latency_multiplier=round(rng.uniform(4, 12), 1))
    return sim.model_copy(update={"faults": faults})


def generate_profiles(n: int, seed: int, *, misbehaving: float = 0.1) -> list[SupplierProfile]:
    """``n`` suppliers on free ports; ``misbehaving`` (at most 0.2) of them misbehave.

    The same (n, seed) gives the same names and profiles.
    """
    if n < 1:
        raise ValueError(f"a fleet needs at least one supplier, got {n}")
    if not 0 <= misbehaving <= MAX_MISBEHAVING:
        raise ValueError(f"misbehaving must be between 0 and {MAX_MISBEHAVING}, got {misbehaving}")
    rng = random.Random(f"{seed}/generated/{n}")
    names = _names(rng, n)
    sims = [_healthy(rng) for _ in range(n)]
    bad = set(rng.sample(range(n), min(round(n * misbehaving), int(n * MAX_MISBEHAVING))))
    return [
        SupplierProfile(name, _misbehaving(rng, sim) if i in bad else sim)
        for i, (name, sim) in enumerate(zip(names, sims, strict=True))
    ]
