"""The engine against the demo fleet, and the config a fleet writes for other processes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import core
from core.cli.fleet import write_config
from core.fleet import embedded_demo_fleet, fleet_from_profile
from core.fleet._toml import dump_config
from tests.fleet._helpers import quick
from tests.fleet.conftest import MakeFleet


@pytest.mark.parametrize("strategy", core.STRATEGIES)
async def test_the_engine_decides_against_the_demo_fleet(strategy: str) -> None:
    async with embedded_demo_fleet(latency_scale=0.1) as fleet:
        # the demo's hangs end at the supplier timeout: a shorter one keeps the test quick
        defaults = fleet.config.defaults.model_copy(update={"supplier_timeout": 0.5})
        config = fleet.config.model_copy(update={"defaults": defaults})
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-123", 40, strategy=strategy)
    assert comparison.decided, comparison.error
    assert len(comparison.suppliers) == len(config.suppliers)
    assert comparison.quotes  # valid quotes came back over real HTTP
    if strategy == "majority":  # the list-price suppliers agree
        winner = comparison.winner
        assert winner is not None
        assert winner.quote.total_price == round(round(18.40 * 0.96, 2) * 40, 2)
    if strategy == "best":
        cheapest = min(q.quote.total_price for q in comparison.quotes if q.quote.in_stock)
        assert comparison.winner is not None
        assert comparison.winner.quote.total_price == cheapest


async def test_the_demo_fleets_misbehaving_suppliers_trip_their_breakers() -> None:
    async with embedded_demo_fleet(latency_scale=0.05) as fleet:
        defaults = fleet.config.defaults.model_copy(update={"supplier_timeout": 0.2})
        config = fleet.config.model_copy(update={"defaults": defaults})
        async with core.PriceComparator(config) as comparator:
            opened: set[str] = set()
            comparator.events.subscribe(
                lambda e: (
                    opened.add(e.supplier)
                    if isinstance(e, core.BreakerTransition) and e.new == "open"
                    else None
                )
            )
            for _ in range(40):
                await comparator.compare("SKU-100", 3, strategy="all")
    assert "swiftship-direct" in opened
    assert opened <= {"swiftship-direct", "riverside-depot", "granite-works"}


def _roundtrip(config: core.Config) -> core.Config:
    return core.parse_config(tomllib.loads(dump_config(config, "a\nheader")), config.source)


def test_the_written_config_reads_back_equal() -> None:
    config = core.parse_config(
        {
            "defaults": {"timeout": 3.5, "strategy": "majority", "quorum": 2},
            "breaker": {"open_seconds": 12.5},
            "health": {"interval": 2.5, "probe_product": "PING\ttab"},
            "history": {"keep_days": 7},
            "fallback": {"max_age": 3600},
            "suppliers": [
                {
                    "name": 'we"ird \\ name ünïcode',  # no tab: not in a name
                    "url": "http://127.0.0.1:9/quote",
                    "timeout": 0.25,
                    "enabled": False,
                    "api_key_env": "KEY",
                    "sim": {
                        "markup": -0.05,
                        "discounts": [[10, 0.1]],
                        "faults": {"error_rate": 0.5, "hang": True},
                    },
                },
                {"name": "plain", "url": "http://localhost:10/quote"},
            ],
        }
    )
    assert _roundtrip(config) == config
    demo = core.load_config(core.resource("demo.toml"))
    assert _roundtrip(demo) == demo


async def test_a_written_fleet_config_runs_the_same_fleet_again(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet = await make_fleet(
        [quick("acme", markup=0.1, faults={"error_rate": 0.25}), quick("globex")],
        defaults=core.Defaults(strategy="first"),
    )
    path = tmp_path / "fleet.toml"
    write_config(fleet, path, header="written by a test")
    assert path.read_text().startswith("# written by a test\n")
    assert core.load_config(path) == fleet.config.model_copy(update={"source": str(path)})
    again = fleet_from_profile(path, ephemeral=True)
    assert [s.profile.sim for s in again.suppliers] == [s.profile.sim for s in fleet.suppliers]
    assert again.defaults.strategy == "first"
