"""`scatterdash fleet` and `scatterdash compare --demo` as real processes."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

import core
from tests.fleet.test_fleet_lifecycle import port_is_free
from tests.support.cli import scatterdash, start

pytestmark = pytest.mark.timeout(60)


async def lines_until_ready(process: asyncio.subprocess.Process) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("fleet ready"):
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line, "the fleet exited before it was ready"
        lines.append(line.decode().rstrip("\n"))
    return lines


async def test_compare_demo_prints_one_json_object() -> None:
    code, out, err = await scatterdash(
        "compare", "--demo", "--product", "SKU-123", "--quantity", "40", "--json"
    )
    assert code == 0, err
    [line] = out.splitlines()
    result = json.loads(line)
    assert result["decided"] is True
    assert result["strategy"] == "best"
    assert len(result["suppliers"]) == 12
    assert result["result"]["product_id"] == "SKU-123"


async def test_fleet_serves_writes_its_config_and_stops_on_sigterm(tmp_path: Path) -> None:
    config_path = tmp_path / "sub" / "fleet.toml"
    config_path.parent.mkdir()
    process = await start(
        "fleet",
        "--suppliers", "5",
        "--seed", "3",
        "--latency-scale", "0.01",
        "--write-config", str(config_path),
    )  # fmt: skip
    try:
        lines = await lines_until_ready(process)
        config = core.load_config(config_path)
        assert [s.url for s in config.suppliers] == [line.split()[1] for line in lines[:5]]
        assert all(s.url.startswith("http://127.0.0.1:") for s in config.suppliers)
        control = lines[5].split()[1]
        async with aiohttp.ClientSession() as http, http.get(control) as response:
            assert len(await response.json()) == 5
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-123", 1, strategy="all", timeout=4)
        assert comparison.quotes
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err
    ports = [int(s.url.split(":")[2].split("/")[0]) for s in config.suppliers]
    assert all(port_is_free(p) for p in ports)


async def test_the_same_seed_names_the_same_suppliers() -> None:
    async def names(seed: str) -> list[str]:
        process = await start("fleet", "--suppliers", "4", "--seed", seed)
        try:
            lines = await lines_until_ready(process)
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0
        return [line.split()[0] for line in lines[:4]]

    assert await names("8") == await names("8")


async def test_a_taken_port_is_exit_1(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        profile = tmp_path / "p.toml"
        profile.write_text(f'[[suppliers]]\nname = "a"\nurl = "http://127.0.0.1:{port}/quote"\n')
        code, _, err = await scatterdash("fleet", "--profile", str(profile))
    assert code == 1
    assert f"127.0.0.1:{port}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ("--profile", "no-such-file.toml"),
        ("--suppliers", "0"),
        ("--suppliers", "3", "--profile", "x.toml"),
    ],
)
async def test_usage_and_config_errors_are_exit_2(args: tuple[str, ...]) -> None:
    code, _, err = await scatterdash("fleet", *args)
    assert code == 2
    assert "Traceback" not in err


BROKER_SUPPLIERS = """
[[suppliers]]
name = "rabbit"
transport = "amqp"
broker = "amqp://guest:gu3st-s3cret@127.0.0.1:5672/"
queue = "quotes.rabbit"

[[suppliers]]
name = "zenith"
transport = "nats"
broker = "nats://127.0.0.1:4222"
subject = "quotes.zenith"
"""


async def test_a_profile_with_broker_suppliers_runs_the_http_ones_and_names_the_rest(
    tmp_path: Path,
) -> None:
    profile = tmp_path / "mixed.toml"
    profile.write_text(
        '[[suppliers]]\nname = "acme"\nurl = "http://127.0.0.1:0/quote"\n' + BROKER_SUPPLIERS
    )
    written = tmp_path / "client.toml"
    process = await start("fleet", "--profile", str(profile), "--write-config", str(written))
    try:
        lines = await lines_until_ready(process)
        assert lines[0].split()[0] == "acme" and lines[-1].startswith("fleet ready: 1 suppliers")
        url = lines[0].split()[1]
        assert url != "http://127.0.0.1:80/quote"  # port 0: a free port, not 80
        config = core.load_config(written)  # broker suppliers too: see test_fleet_write_config
        assert [(s.name, s.url) for s in config.suppliers] == [
            ("acme", url),
            ("rabbit", ""),
            ("zenith", ""),
        ]
        http_only = config.model_copy(update={"suppliers": config.suppliers[:1]})
        async with core.PriceComparator(http_only) as comparator:
            assert (await comparator.compare("SKU-1", 1, timeout=4)).decided
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    assert err.decode().splitlines() == [
        f"scatterdash: fleet: {name} ({kind}) is not run here: broker suppliers are served by "
        f"`scatterdash responder --config {profile} --name {name}`"
        for name, kind in (("rabbit", "amqp"), ("zenith", "nats"))
    ]


async def test_a_profile_of_broker_suppliers_only_is_one_line_and_exit_2(tmp_path: Path) -> None:
    profile = tmp_path / "brokers.toml"
    profile.write_text(BROKER_SUPPLIERS)
    code, out, err = await scatterdash("fleet", "--profile", str(profile))
    assert (code, out) == (2, "")
    assert err == (
        f"scatterdash: {profile}: no HTTP supplier to simulate (rabbit, zenith): "
        "broker suppliers are served by `scatterdash responder`\n"
    )
