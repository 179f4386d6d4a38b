"""What a new user meets on the command line: help, --version, usage errors, -v, progress.

Real processes (``python -m gui.launcher``) against real loopback suppliers.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import core
from core import Status
from core.cli import build_parser
from core.cli._commands import COMMANDS
from gui.launcher import HEADLESS_COMMANDS
from tests.core.test_cli import scatterdash, write_config
from tests.support.scripted import Behaviour, ScriptedFleet, hang, healthy, quote_body, status

pytestmark = pytest.mark.timeout(60)


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return found[0] if found else None


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every sub-command, nested ones too: ``{"compare": …, "history list": …}``."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        action = _subparsers(parser)
        for name, sub in (action.choices if action else {}).items():
            path = f"{prefix} {name}".strip()
            found[path] = sub
            walk(path, sub)

    walk("", build_parser())
    return found


async def test_help_lists_every_subcommand_with_a_line_each() -> None:
    code, out, _ = await scatterdash("--help")
    assert code == 0
    action = _subparsers(build_parser())
    assert action is not None
    summaries = {choice.dest: choice.help for choice in action._choices_actions}
    assert set(summaries) == set(action.choices) == set(COMMANDS) == HEADLESS_COMMANDS
    lines = out.splitlines()
    for name, summary in summaries.items():
        assert summary and f"  {name:<12}{summary}" in lines, name
        # one line each, also in an 80-column terminal
        assert len(f"  {name:<12}{summary}") < 80, name
    assert "``" not in out


def test_nested_subcommands_have_a_line_each() -> None:
    for path, parser in _subcommands().items():
        action = _subparsers(parser)
        if action is None:
            continue
        assert action.help and "(required" in action.help, path
        for choice in action._choices_actions:
            assert choice.help and len(choice.help) > 10, f"{path} {choice.dest}"


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_option_says_what_it_is_and_its_default(name: str) -> None:
    parser = _subcommands()[name]
    assert parser.description and "``" not in parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        flags = "/".join(action.option_strings) or action.dest
        assert action.help, f"{name} {flags}: no description"
        takes_value = action.nargs != 0
        if takes_value:
            assert action.help.endswith(")") and (
                "(default: " in action.help or "(required" in action.help
            ), f"{name} {flags}: help must end with its default: {action.help!r}"


def test_only_the_subcommand_being_run_is_imported() -> None:
    """``watch``, ``compare`` and ``history`` never load the simulated fleet (aiohttp)."""
    code = (
        "import sys\n"
        "from core.cli import main\n"
        "for argv in (['watch', '--help'], ['compare', '--help'], ['history', 'list', '--help'],"
        " ['--help'], ['--version']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m == 'aiohttp' or m.startswith('core.fleet')"
        " or m == 'core.cli.fleet' or m == 'core.cli.responder'), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert done.stderr.strip() == "[]"
    assert "responder" in done.stdout and "fleet" in done.stdout  # --help still names them
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "fleet", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert "--profile FILE" in done.stdout  # asked for: its own options


def test_compare_options_name_their_unit() -> None:
    helps = {
        a.option_strings[-1]: a.help or ""
        for a in _subcommands()["compare"]._actions
        if a.option_strings
    }
    assert "in seconds" in helps["--timeout"] and "5.0" in helps["--timeout"]
    assert "units" in helps["--quantity"]
    for flag in ("--product", "--strategy", "--quorum", "--min-responses"):
        assert len(helps[flag]) > 20, flag


async def test_version_prints_and_exits_0() -> None:
    code, out, err = await scatterdash("--version")
    assert (code, err) == (0, "")
    assert out.startswith("scatterdash ") and out.split()[1][0].isdigit()


async def test_a_quorum_beyond_the_suppliers_is_a_usage_error_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    async with ScriptedFleet({"acme": healthy(), "globex": healthy()}) as fleet:
        config = write_config(tmp_path, fleet)
        for flag in ("--quorum", "--min-responses"):
            code, out, err = await scatterdash(
                "compare", "--config", str(config), "--product", "P", "--quantity", "1",
                "--strategy", "majority", flag, "99",
            )  # fmt: skip
            assert (code, out) == (2, "")
            assert err == (
                f"scatterdash: {flag} 99: more than the 2 suppliers configured, "
                "so it can never be met\n"
            )
        assert all(s.calls == 0 for s in fleet.suppliers.values())


async def test_min_responses_0_is_refused_like_quantity_0() -> None:
    code, _, err = await scatterdash(
        "compare", "--demo", "--product", "P", "--quantity", "1", "--min-responses", "0"
    )
    assert code == 2 and "--min-responses: must be at least 1, got 0" in err


async def test_no_suppliers_speaks_the_projects_language(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("suppliers = []\n")
    code, _, err = await scatterdash(
        "compare", "--config", str(config), "--product", "P", "--quantity", "1"
    )
    assert code == 2
    assert err == f"scatterdash: {config}: suppliers: at least one supplier is needed\n"


async def test_suppliers_still_in_flight_when_the_quorum_is_lost_say_so() -> None:
    async with ScriptedFleet(
        {"down-1": status(500), "down-2": status(500), "slow": hang()}
    ) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            comparison = await comparator.compare("P", 1, strategy="majority", quorum=2, timeout=5)
    assert not comparison.decided
    slow = {r.name: r for r in comparison.suppliers}["slow"]
    assert slow.status is Status.CANCELLED and slow.error == "cancelled: quorum out of reach"


async def test_verbose_says_what_each_supplier_did_and_vv_where(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(), "globex": status(500)}) as fleet:
        config = write_config(tmp_path, fleet)
        args = ("compare", "--config", str(config), "--product", "P", "--quantity", "1", "--json")
        code, out, err = await scatterdash(*args, "-v")
        assert code == 0 and len(out.splitlines()) == 1 and json.loads(out)
        lines = [line for line in err.splitlines() if line.startswith("supplier ")]
        assert len(lines) == 2
        assert lines[0].split()[1:3] == ["acme", "ok"] and lines[0].endswith(" ms")
        assert lines[1].split()[1:3] == ["globex", "error"] and "500" in lines[1]
        _, _, err = await scatterdash(*args, "-vv")
        detail = [line for line in err.splitlines() if line.startswith("supplier ")]
        assert f"127.0.0.1:{fleet.suppliers['acme'].port}/quote" in detail[0]
        assert "plain http" in detail[0] and "timeout 2 s" in detail[0] and "sent +" in detail[0]


def _closes_after_each_reply() -> Behaviour:
    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        response = web.json_response(quote_body(request))
        response.force_close()  # "Connection: close": the client must not reuse it
        return response

    return behave


async def test_vv_logs_each_connection_and_never_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_KEY", "key-s3cret-Xy7")
    async with ScriptedFleet({"acme": healthy(), "closer": _closes_after_each_reply()}) as fleet:
        acme, closer = fleet.suppliers["acme"], fleet.suppliers["closer"]
        config = tmp_path / "suppliers.toml"
        config.write_text(
            '[[suppliers]]\nname = "acme"\napi_key_env = "ACME_KEY"\n'
            f'url = "http://ops:pw-s3cret-Qq1@127.0.0.1:{acme.port}/quote?token=tok-s3cret"\n'
            f'[[suppliers]]\nname = "closer"\nurl = "{closer.url}"\n'
        )
        args = ("compare", "--config", str(config), "--product", "P", "--quantity", "1")
        code, _, err = await scatterdash(*args, "--strategy", "all", "-vv")
        assert code == 0, err
        assert acme.calls == closer.calls == 1
        _, _, quiet = await scatterdash(*args, "-v")
    connections = [line for line in err.splitlines() if "scatterdash.http:" in line]
    for port in (acme.port, closer.port):
        (new,) = [
            line for line in connections if f"new connection to http://127.0.0.1:{port}," in line
        ]
        assert new.endswith(" ms") and ", direct, plain, connected in " in new
    (closed,) = [
        line for line in connections if f"127.0.0.1:{closer.port}" in line and "clos" in line
    ]
    assert "no keep-alive" in closed or "closed by the server" in closed
    assert not [line for line in connections if f"127.0.0.1:{acme.port}" in line and "clos" in line]
    for secret in ("key-s3cret-Xy7", "pw-s3cret-Qq1", "tok-s3cret"):
        assert secret not in err
    assert "scatterdash.http" not in quiet  # -v: no connection detail


async def _compare_with_stderr_on(stderr: int, config: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gui.launcher", "compare", "--config", str(config),
        "--product", "P", "--quantity", "1", "--strategy", "all", "--timeout", "1.2", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=stderr,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0
    return process.returncode, out.decode()


def _drain(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


async def test_a_slow_comparison_shows_live_progress_only_on_a_terminal(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(), "globex": status(500), "stuck": hang()}) as fleet:
        config = write_config(tmp_path, fleet)
        primary, secondary = os.openpty()
        try:
            _, out = await _compare_with_stderr_on(secondary, config)
            os.close(secondary)
            terminal = _drain(primary)
        finally:
            os.close(primary)
        assert len(out.splitlines()) == 1 and json.loads(out)["decided"]
        assert "1/3 replied · 1 failed · 1 in flight" in terminal
        assert terminal.endswith("\r\x1b[K")  # the line is erased at the end

        log = tmp_path / "stderr.txt"
        with log.open("wb") as file:
            await _compare_with_stderr_on(file.fileno(), config)
        assert "replied" not in log.read_text()


async def test_the_progress_line_never_wraps_on_a_narrow_terminal(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(), "stuck": hang()}) as fleet:
        config = write_config(tmp_path, fleet)
        primary, secondary = os.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 20, 0, 0))
        try:
            await _compare_with_stderr_on(secondary, config)
            os.close(secondary)
            terminal = _drain(primary)
        finally:
            os.close(primary)
    drawn = [line for line in terminal.split("\r\x1b[K") if line]
    assert drawn and all(len(line) <= 19 for line in drawn)
    assert drawn[0] == "1/2 replied · 1 in "


def test_the_example_config_for_real_suppliers_is_valid() -> None:
    config = core.load_config(core.resource("example.toml"))
    assert [s.name for s in config.suppliers] == ["acme", "globex", "initech"]
    assert config.supplier("acme").api_key_env == "ACME_API_KEY"
    assert not config.supplier("initech").enabled


async def test_a_quorum_for_another_strategy_is_said_to_be_ignored_once(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(), "globex": healthy()}) as fleet:
        config = write_config(tmp_path, fleet)
        code, _, err = await scatterdash(
            "compare", "--config", str(config), "--product", "SKU-1", "--quantity", "2",
            "--strategy", "best", "--quorum", "2",
        )  # fmt: skip
    assert code == 0
    assert err == "scatterdash: --quorum is ignored: only majority reads it, not best\n"
    code, _, err = await scatterdash(
        "compare", "--demo", "--product", "SKU-1", "--quantity", "2",
        "--strategy", "best", "--quorum", "2",
    )  # fmt: skip
    assert err == "scatterdash: --quorum is ignored: only majority reads it, not best\n"
