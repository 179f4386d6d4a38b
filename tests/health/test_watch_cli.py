"""`scatterdash watch` as a real process, probing real suppliers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import datetime
from pathlib import Path

import pytest

from core.fleet import Fleet
from core.storage import HistoryDatabase, default_database_path
from tests.fleet._helpers import quick
from tests.fleet.conftest import MakeFleet
from tests.support.cli import into_closed_pipe

pytestmark = pytest.mark.timeout(60)

STATES = {"closed", "open", "half-open", "forced-open", "forced-closed", "disabled"}


def write_config(tmp_path: Path, fleet: Fleet) -> Path:
    lines = [
        "[breaker]",
        "consecutive_failures = 2",
        "open_seconds = 0.3",
        "half_open_calls = 1",
    ]
    for supplier in fleet.suppliers:
        lines += ["[[suppliers]]", f'name = "{supplier.name}"', f'url = "{supplier.url}"']
    path = tmp_path / "suppliers.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gui.launcher",
        "watch",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_json_lines_parse_one_by_one_with_the_contract_keys(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet = await make_fleet([quick("acme"), quick("globex")])
    fleet.set_faults("globex", outage=True)
    config = write_config(tmp_path, fleet)
    process = await start(
        "--config", str(config), "--interval", "0.05", "--duration", "1.5", "--json"
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert err.decode() == ""
    lines = out.decode().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one object
    assert len(entries) > 10
    for entry in entries:
        assert {"ts", "supplier", "event", "state", "latency_ms", "error"} <= entry.keys()
        stamp = datetime.fromisoformat(entry["ts"])
        assert stamp.tzinfo is not None and stamp.utcoffset() is not None
        assert entry["event"] in ("probe", "breaker")
        assert entry["state"] in STATES
    acme = [e for e in entries if e["supplier"] == "acme"]
    assert {(e["event"], e["state"], e["error"]) for e in acme} == {("probe", "closed", None)}
    assert all(e["latency_ms"] > 0 for e in acme)
    globex = [e for e in entries if e["supplier"] == "globex"]
    breaker = [(e["previous"], e["state"]) for e in globex if e["event"] == "breaker"]
    assert breaker[:2] == [("closed", "open"), ("open", "half-open")]
    failed = [e for e in globex if e["event"] == "probe"]
    assert failed and all(e["error"] and "refused" in e["error"] for e in failed)
    # timestamps are in order
    stamps = [datetime.fromisoformat(e["ts"]) for e in entries]
    assert stamps == sorted(stamps)
    # and what it printed is in the history too
    database = HistoryDatabase.open(default_database_path())
    try:
        printed = sum(e["event"] == "probe" for e in entries)
        assert 0.9 * printed <= len(database.probes()) <= printed  # less what closing cut off
        recorded = [(t.old, t.new) for t in database.transitions("globex")]
        assert recorded[:2] == [("closed", "open"), ("open", "half-open")]
    finally:
        database.close()


async def test_interrupted_it_stops_cleanly_and_exits_0(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet = await make_fleet([quick("acme")])
    process = await start("--config", str(write_config(tmp_path, fleet)), "--interval", "0.05")
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), 15)
    assert " acme  probe ok " in first.decode()
    process.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0
    assert "Traceback" not in err.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--demo", "--duration", "0"], "argument --duration: must be a positive number"),
        (["--demo", "--interval", "x"], "argument --interval: not a number: 'x'"),
        (["--config", "/no/such.toml"], "/no/such.toml: cannot read config"),
    ],
)
async def test_bad_arguments_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    process = await start(*args)
    out, err = await process.communicate()
    assert process.returncode == 2
    assert message in err.decode() and "Traceback" not in err.decode()
    assert out == b""


async def test_it_stops_at_once_when_its_reader_leaves(
    make_fleet: MakeFleet, tmp_path: Path
) -> None:
    """``watch | head -1``: the first line it cannot write ends it, exit 0, no traceback."""
    fleet = await make_fleet([quick("acme")])
    config = write_config(tmp_path, fleet)
    # without a reader it stops at the first probe, long before --duration (and 30 s)
    args = ("watch", "--config", str(config), "--interval", "0.05", "--duration", "50")
    assert await into_closed_pipe(*args) == (0, "")
