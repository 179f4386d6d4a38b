"""`scatterdash compare` records, `scatterdash history …` reads: real processes, real
loopback suppliers, the history in the test's own ``SCATTERDASH_DATA_DIR``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.core.test_cli import scatterdash, write_config
from tests.core.test_history import read_only
from tests.support.scripted import ScriptedFleet, healthy, status

pytestmark = pytest.mark.timeout(90)


async def _compare(config: Path, *extra: str) -> tuple[int, dict[str, object], str]:
    code, out, err = await scatterdash(
        "compare",
        "--config",
        str(config),
        "--product",
        "SKU-5",
        "--quantity",
        "3",
        "--json",
        *extra,
    )
    return code, json.loads(out), err


async def test_history_round_trips_through_the_cli(tmp_path: Path, history_dir: Path) -> None:
    async with ScriptedFleet(
        {"acme": healthy(unit_price=2.5), "globex": healthy(delay=0.05, unit_price=2.0)}
    ) as fleet:
        config = write_config(tmp_path, fleet)
        _, best, _ = await _compare(config, "--strategy", "best")
        _, first, _ = await _compare(config, "--strategy", "first")
        code, out, err = await scatterdash(
            "compare", "--config", str(config), "--product", "OTHER", "--quantity", "1", "--json"
        )
        assert code == 0, err
        other = json.loads(out)
    assert (history_dir / "history.sqlite3").is_file()

    code, out, err = await scatterdash("history", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [e["correlation_id"] for e in listed] == [
        other["correlation_id"],
        first["correlation_id"],
        best["correlation_id"],
    ]
    assert listed[2]["winner"] == "globex" and listed[2]["source"] == "cli"

    code, out, _ = await scatterdash("history", "list", "--product", "SKU-5", "--json")
    assert [e["strategy"] for e in json.loads(out)] == ["first", "best"]
    code, out, _ = await scatterdash("history", "list", "--supplier", "nobody", "--json")
    assert json.loads(out) == []
    code, out, _ = await scatterdash("history", "list", "--since", "2999-01-01", "--json")
    assert json.loads(out) == []
    code, out, _ = await scatterdash("history", "list")
    assert code == 0 and best["correlation_id"] in out and "3 × SKU-5" in out

    code, out, _ = await scatterdash("history", "show", str(best["correlation_id"]), "--json")
    assert code == 0 and json.loads(out) == best  # as compare --json printed it
    code, out, _ = await scatterdash("history", "show", str(best["correlation_id"])[:8])
    assert code == 0 and "best for 3 × SKU-5: decided" in out and "globex" in out

    code, out, err = await scatterdash("history", "show", "no-such-id")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"scatterdash: history: no comparison with correlation id 'no-such-id' in "
        f"{history_dir / 'history.sqlite3'}"
    ]

    code, out, _ = await scatterdash("history", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 6  # one per supplier outcome
    assert {r["supplier"] for r in rows} == {"acme", "globex"}
    assert set(rows[0]) >= {
        "correlation_id",
        "recorded_at",
        "product_id",
        "quantity",
        "supplier",
        "status",
        "latency_ms",
        "unit_price",
        "total_price",
        "currency",
    }
    target = tmp_path / "out" / "history.json"
    target.parent.mkdir()
    code, out, _ = await scatterdash(
        "history", "export", "--format", "json", "--output", str(target), "--since", "2000-01-01"
    )
    assert code == 0 and out == ""
    exported = json.loads(target.read_text())
    assert [e["correlation_id"] for e in exported] == [
        best["correlation_id"],
        first["correlation_id"],
        other["correlation_id"],
    ]
    assert exported[0]["product_id"] == "SKU-5" and exported[0]["result"] == best["result"]

    code, _, err = await scatterdash("history", "list", "--since", "yesterday")
    assert code == 2 and "not an ISO-8601 date: 'yesterday'" in err


async def test_replay_a_first_comparison_under_best(tmp_path: Path) -> None:
    async with ScriptedFleet(
        {
            "quick-but-out": healthy(unit_price=1.0, in_stock=False),
            "medium": healthy(delay=0.05, unit_price=5.0),
            "late-cheap": healthy(delay=0.5, unit_price=2.0),
        }
    ) as fleet:
        config = write_config(tmp_path, fleet)
        code, first, _ = await _compare(config, "--strategy", "first")
    assert code == 0 and first["result"]["supplier"] == "medium"  # type: ignore[index]

    recorded = str(first["correlation_id"])
    code, out, err = await scatterdash(
        "history", "replay", recorded, "--strategy", "best", "--json"
    )
    assert code == 0, err
    replayed = json.loads(out)
    assert set(replayed) == set(first) | {"replayed_from"}
    assert replayed["replayed_from"] == recorded and replayed["strategy"] == "best"
    # the cheapest *recorded* in-stock quote: "late-cheap" was cancelled, its price unknown
    assert replayed["result"]["supplier"] == "medium"
    statuses = {s["name"]: s["status"] for s in replayed["suppliers"]}
    assert statuses == {"quick-but-out": "ok", "medium": "ok", "late-cheap": "cancelled"}
    code, out, _ = await scatterdash("history", "replay", recorded, "--strategy", "all")
    assert code == 0 and "under all: would have decided after" in out

    code, out, _ = await scatterdash(
        "history", "replay", recorded, "--strategy", "majority", "--quorum", "2", "--json"
    )
    assert code == 1 and json.loads(out)["result"] is None  # undecided: exit 1, like compare


async def test_fallback_offers_the_last_good_quote_never_as_the_result(tmp_path: Path) -> None:
    async with ScriptedFleet(
        {"acme": healthy(unit_price=2.5), "globex": healthy(unit_price=2.0)}
    ) as fleet:
        config = write_config(tmp_path, fleet)
        code, good, _ = await _compare(config)
        assert code == 0
        for supplier in fleet.suppliers.values():
            supplier.behaviour = status(503)
        code, plain, _ = await _compare(config)
        assert code == 1 and "fallback" not in plain  # only asked for with --fallback
        code, offered, err = await _compare(config, "--fallback")
        code_table, table, _ = await scatterdash(
            "compare",
            "--config",
            str(config),
            "--product",
            "SKU-5",
            "--quantity",
            "3",
            "--fallback",
        )
        code_other, other, _ = await _compare(config, "--fallback", "--quantity", "4")
        old = write_config(tmp_path, fleet, "[fallback]\nmax_age = 0.001\n")
        code_old, too_old, _ = await _compare(old, "--fallback")

    assert code == 1, err
    assert offered["decided"] is False and offered["result"] is None
    fallback = offered["fallback"]
    assert isinstance(fallback, dict)
    assert fallback["supplier"] == "globex" and fallback["total_price"] == 6.0
    assert fallback["stale"] is True and 0 <= fallback["age_s"] < 60
    assert fallback["correlation_id"] == good["correlation_id"]
    assert fallback["recorded_at"].endswith("+00:00")
    assert code_table == 1 and "fallback (STALE, not the result): globex: 6.00 EUR" in table
    assert code_other == 1 and other["fallback"] is None  # another quantity: nothing on record
    assert code_old == 1 and too_old["fallback"] is None  # older than [fallback] max_age


def _overwrite(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


async def test_a_corrupt_database_is_survived_by_the_cli(tmp_path: Path, history_dir: Path) -> None:
    database = _overwrite(history_dir / "history.sqlite3", b"definitely not SQLite " * 500)
    async with ScriptedFleet({"acme": healthy()}) as fleet:
        config = write_config(tmp_path, fleet)
        code, document, err = await _compare(config, "--fallback")
    assert code == 0 and document["decided"] is True and document["fallback"] is None
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "history off" in lines[0] and "corrupt" in lines[0]
    assert str(database) in lines[0]

    code, out, err = await scatterdash("history", "list")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"scatterdash: history unavailable: {database}: the database is corrupt "
        "(file is not a database)"
    ]


async def test_a_read_only_database_is_still_listed_and_shown(
    tmp_path: Path, history_dir: Path
) -> None:
    """These commands only read: a backup, or another user's file, can be looked at."""
    async with ScriptedFleet({"acme": healthy()}) as fleet:
        config = write_config(tmp_path, fleet)
        code, recorded, err = await _compare(config)
        assert code == 0, err
    with read_only(history_dir / "history.sqlite3"):
        code, out, err = await scatterdash("history", "list", "--json")
        assert code == 0, err
        assert [e["correlation_id"] for e in json.loads(out)] == [recorded["correlation_id"]]
        code, out, err = await scatterdash("history", "show", str(recorded["correlation_id"]))
        assert code == 0, err
        assert str(recorded["correlation_id"]) in out
