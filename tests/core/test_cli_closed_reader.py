"""Sub-commands whose reader has gone (``scatterdash … | head -1``) end quietly.

Real processes whose stdout is a pipe with its read end already closed, so every write
fails with EPIPE (``head -1`` closing early, made deterministic), against real loopback
suppliers: no traceback, and the exit code the command would have had.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.core.test_cli import write_config
from tests.support.cli import into_closed_pipe, scatterdash
from tests.support.scripted import ScriptedFleet, healthy, status

pytestmark = pytest.mark.timeout(60)


async def test_compare_keeps_its_exit_code_and_says_nothing(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(), "globex": status(500)}) as fleet:
        config = write_config(tmp_path, fleet)
        ask = ("compare", "--config", str(config), "--product", "P", "--quantity", "1")
        assert await into_closed_pipe(*ask) == (0, "")
        assert await into_closed_pipe(*ask, "--json") == (0, "")
        assert await into_closed_pipe(*ask, "--min-responses", "2") == (1, "")  # undecided
        assert fleet.suppliers["acme"].calls == 3  # it did compare: only its output was lost

        for history in (
            ("history", "list"),
            ("history", "list", "--json"),
            ("history", "export", "--format", "csv"),
            ("history", "export", "--format", "json"),
        ):
            assert await into_closed_pipe(*history) == (0, ""), history


async def test_history_show_and_replay_keep_their_exit_codes(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(), "globex": status(500)}) as fleet:
        config = write_config(tmp_path, fleet)
        code, out, err = await scatterdash(
            "compare", "--config", str(config), "--product", "P", "--quantity", "1", "--json"
        )
        assert code == 0, err
    correlation_id = json.loads(out)["correlation_id"]
    assert await into_closed_pipe("history", "show", correlation_id) == (0, "")
    replay = ("history", "replay", correlation_id, "--strategy")
    assert await into_closed_pipe(*replay, "best") == (0, "")
    assert await into_closed_pipe(*replay, "all", "--min-responses", "2") == (1, "")  # undecided


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
async def test_watch_into_a_full_disk_stops_with_one_line_and_exit_1(tmp_path: Path) -> None:
    """Not a reader gone but an output that fails (ENOSPC): said once, not a traceback
    per probe for as long as it runs."""
    with open("/dev/full", "w") as full:  # noqa: ASYNC230 - opening a device, no I/O wait
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gui.launcher",
            "watch", "--demo", "--interval", "0.2", "--duration", "20",
            stdout=full, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert err.decode() == "scatterdash: cannot write the output: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
async def test_an_export_into_a_full_disk_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCATTERDASH_DATA_DIR", str(tmp_path))
    code, _, err = await scatterdash("compare", "--demo", "--product", "SKU-1", "--quantity", "2")
    assert code == 0, err
    for export in (("--format", "json"), ("--format", "csv")):
        with open("/dev/full", "w") as full:  # noqa: ASYNC230 - a device, no I/O wait
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gui.launcher", "history", "export", *export,
                stdout=full, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, raw = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 1, export
        assert raw.decode() == "scatterdash: cannot write the output: No space left on device\n"
