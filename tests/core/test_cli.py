"""`scatterdash compare` as a real process against real loopback suppliers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import scatterdash
from tests.support.scripted import ScriptedFleet, healthy, status

pytestmark = pytest.mark.timeout(60)

__all__ = ["scatterdash", "write_config"]

KEYS = {
    "correlation_id",
    "strategy",
    "decided",
    "partial",
    "error",
    "result",
    "cheapest",
    "fastest_delivery",
    "quotes",
    "suppliers",
    "elapsed_ms",
}


def write_config(tmp_path: Path, fleet: ScriptedFleet, extra: str = "") -> Path:
    path = tmp_path / "suppliers.toml"
    lines = [extra]
    for supplier in fleet.suppliers.values():
        lines += ["[[suppliers]]", f'name = "{supplier.name}"', f'url = "{supplier.url}"']
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_json_output_is_one_object_with_the_contract_keys(tmp_path: Path) -> None:
    async with ScriptedFleet({"acme": healthy(unit_price=2.5), "globex": status(500)}) as fleet:
        config = write_config(tmp_path, fleet)
        code, out, err = await scatterdash(
            "compare",
            "--config",
            str(config),
            "--product",
            "SKU-123",
            "--quantity",
            "40",
            "--strategy",
            "best",
            "--json",
        )
    assert code == 0, err
    payload = json.loads(out)
    assert set(payload) == KEYS
    assert out.count("\n") == 1
    assert payload["result"]["supplier"] == "acme" and payload["result"]["total_price"] == 100.0
    assert [s["name"] for s in payload["suppliers"]] == ["acme", "globex"]
    assert payload["suppliers"][1] == {
        "name": "globex",
        "status": "error",
        "latency_ms": payload["suppliers"][1]["latency_ms"],
        "error": "HTTP 500 Internal Server Error",
    }
    assert isinstance(payload["elapsed_ms"], float)


async def test_undecided_exits_1_and_the_table_says_why(tmp_path: Path) -> None:
    async with ScriptedFleet({"a": healthy(unit_price=1.0), "b": healthy(unit_price=2.0)}) as fleet:
        config = write_config(tmp_path, fleet)
        code, out, _ = await scatterdash(
            "compare",
            "--config",
            str(config),
            "--product",
            "X",
            "--quantity",
            "1",
            "--strategy",
            "majority",
        )
    assert code == 1
    assert "UNDECIDED: quorum not reached: required 2, best agreement 1" in out
    assert "supplier" in out and "a " in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quantity", "0"], "--quantity: must be 1 to 1000000000, got 0"),
        (["--quantity", "ten"], "--quantity: not a whole number"),
        (["--quantity", "9" * 26], "--quantity: must be 1 to 1000000000"),
        (
            ["--product", "SKU-\udcff"],
            "--product: must be text (it holds bytes that are not UTF-8)",
        ),
        (["--product", "SKU\x1b[2J"], "--product: must not hold control characters"),
        (["--strategy", "cheapest"], "--strategy: invalid choice"),
        (["--timeout", "-1"], "--timeout: must be a positive number"),
    ],
)
async def test_usage_errors_exit_2_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = {"--config": "x.toml", "--product": "SKU", "--quantity": "1"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [item for pair in base.items() for item in pair]
    code, _, err = await scatterdash("compare", *flat)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # one line, not argparse's usage block too


async def test_config_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[suppliers]]\nname = "a"\nurl = "nope"\n')
    code, out, err = await scatterdash(
        "compare", "--config", str(bad), "--product", "S", "--quantity", "1"
    )
    assert code == 2 and out == ""
    assert (
        err.strip()
        == f"scatterdash: {bad}: suppliers[0].url: 'nope' is not an http(s) URL with a host"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "list", "--since", "0001-01-01"], "--since: date out of range"),
        (["history", "list", "--limit", "9" * 20], "--limit: must be 0 to 1000000"),
        (["fleet", "--suppliers", "1", "--write-config", "."], "--write-config: . is a directory"),
        (
            ["fleet", "--suppliers", "1", "--write-config", "/nonexistent-dir/c.toml"],
            "--write-config: no directory /nonexistent-dir",
        ),
    ],
)
async def test_out_of_range_arguments_name_their_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("SCATTERDASH_DATA_DIR", str(tmp_path))
    code, _, err = await scatterdash(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # one line, not argparse's usage block too
