"""Storage: history and exports, through a real comparison."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import core
from tests.support.scripted import ScriptedFleet, healthy, status

SECRET = "sk-test-history-0123456789abcdef"  # a fake key


async def compare(fleet: ScriptedFleet, strategy: str = "best") -> core.Comparison:
    config = fleet.config(supplier_options={"b": {"api_key_env": "K"}})
    async with core.PriceComparator(config, environ={"K": SECRET}) as comparator:
        return await comparator.compare("SKU-1", 4, strategy=strategy)


async def test_history_keeps_every_comparison_and_no_secret(tmp_path: Path) -> None:
    history = core.ComparisonHistory(tmp_path / "data" / "history.jsonl", max_entries=3)
    async with ScriptedFleet(
        {"a": healthy(unit_price=2.0), "b": healthy(unit_price=1.5), "c": status(500)}
    ) as fleet:
        comparisons = [
            await compare(fleet, strategy)
            for strategy in ("best", "all", "first", "best", "majority")
        ]
    for comparison in comparisons:
        await history.record(comparison)
    entries = await history.load()
    assert 3 <= len(entries) <= 5
    assert [e["correlation_id"] for e in entries] == [c.correlation_id for c in comparisons][
        -len(entries) :
    ]
    assert entries[-1]["product_id"] == "SKU-1" and entries[-1]["quantity"] == 4
    assert SECRET not in history.path.read_text()


async def test_a_damaged_history_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text('{"correlation_id": "x"}\n{broken\n[1]\n')
    assert await core.ComparisonHistory(path).load() == [{"correlation_id": "x"}]


async def test_exports(tmp_path: Path) -> None:
    async with ScriptedFleet({"a": healthy(unit_price=2.0), "b": healthy(unit_price=1.5)}) as fleet:
        comparison = await compare(fleet)
    as_json = json.loads(core.export_comparison(comparison, tmp_path / "r.json").read_text())
    assert as_json["result"]["supplier"] == "b" and as_json["strategy"] == "best"
    with core.export_comparison(comparison, tmp_path / "r.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [(r["supplier"], r["winner"], r["total_price"]) for r in rows] == [
        ("b", "True", "6.0"),
        ("a", "False", "8.0"),
    ]
    for name in ("r.json", "r.csv"):
        assert SECRET not in (tmp_path / name).read_text()
    with pytest.raises(ValueError, match=r"export as \.json or \.csv"):
        core.export_comparison(comparison, tmp_path / "r.xlsx")
