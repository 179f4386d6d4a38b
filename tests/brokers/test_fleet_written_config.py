"""The config `scatterdash fleet --write-config` writes for a mixed profile reaches every
supplier: the fleet's HTTP ones and, through responders started from that file, the
broker ones (one by a URL with credentials, one through broker_env)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

import core
from tests.brokers._support import unique
from tests.fleet.test_fleet_cli import lines_until_ready
from tests.support.cli import start

pytestmark = [pytest.mark.broker, pytest.mark.timeout(90)]

ZENITH_VARIABLE = "SCATTERDASH_TEST_ZENITH_NATS_URL"
QUICK = "{ latency_ms = 2.0, latency_spread = 0.0, stock = 1.0 }"


def mixed_profile(tmp_path: Path, amqp_url: str) -> Path:
    path = tmp_path / "mixed.toml"
    path.write_text(
        f"""
[defaults]
timeout = 8.0
supplier_timeout = 6.0
strategy = "all"
proxy = false

[[suppliers]]
name = "acme"
url = "http://127.0.0.1:0/quote"
sim = {QUICK}

[[suppliers]]
name = "rabbit"
transport = "amqp"
broker = "{amqp_url}"
queue = "{unique("written-rabbit")}"
sim = {QUICK}

[[suppliers]]
name = "zenith"
transport = "nats"
broker_env = "{ZENITH_VARIABLE}"
subject = "{unique("written-zenith")}"
sim = {QUICK}
"""
    )
    return path


async def until_ready(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert line.startswith(b"responder ready"), line


async def test_the_written_config_reaches_http_and_broker_suppliers(
    amqp_url: str, nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ZENITH_VARIABLE, nats_url)  # the responders inherit it
    written = tmp_path / "client.toml"
    fleet = await start(
        "fleet", "--profile", str(mixed_profile(tmp_path, amqp_url)),
        "--latency-scale", "0", "--write-config", str(written),
    )  # fmt: skip
    processes = [fleet]
    try:
        await lines_until_ready(fleet)
        for name in ("rabbit", "zenith"):
            processes.append(await start("responder", "--config", str(written), "--name", name))
            await until_ready(processes[-1])
        config = core.load_config(written)
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-123", 2)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        await asyncio.gather(*(asyncio.wait_for(p.communicate(), 20) for p in processes))
    assert comparison.decided, comparison.error
    assert sorted(q.supplier for q in comparison.quotes) == ["acme", "rabbit", "zenith"]
    assert config.supplier("zenith").broker_env == ZENITH_VARIABLE
    assert config.supplier("rabbit").broker == amqp_url
