"""`scatterdash fleet --write-config`: the written file reads back as the config the fleet
serves, which is its profile with the simulated suppliers at their running URLs: every
section, and every supplier, broker suppliers included."""

from __future__ import annotations

import asyncio
import signal
import stat
import tomllib
from pathlib import Path

import pytest

import core
from core.cli.fleet import write_config
from core.fleet import Fleet, embedded_demo_fleet, fleet_from_profile
from core.fleet._toml import dump_config
from tests.fleet._helpers import quick
from tests.fleet.test_fleet_cli import lines_until_ready
from tests.support.cli import start

pytestmark = pytest.mark.timeout(60)

SECRET = "gu3st-s3cret"

#: HTTP suppliers beside brokers of each kind, one through broker_env, one URL with credentials
MIXED = f"""
[defaults]
strategy = "all"
proxy = false

[[suppliers]]
name = "acme"
url = "http://127.0.0.1:0/quote"
timeout = 1.5
api_key_env = "ACME_KEY"
[suppliers.sim]
markup = 0.1

[[suppliers]]
name = "rabbit"
transport = "amqp"
broker = "amqp://guest:{SECRET}@127.0.0.1:5672/"
queue = "quotes.rabbit"
timeout = 1.0
[suppliers.sim]
latency_ms = 10

[[suppliers]]
name = "globex"
url = "http://localhost:0/quote"
enabled = false

[[suppliers]]
name = "zenith"
transport = "nats"
broker_env = "ZENITH_NATS_URL"
subject = "quotes.zenith"

[[suppliers]]
name = "kappa"
transport = "kafka"
broker = "127.0.0.1:9092,127.0.0.1:9093"
topic = "quotes.kappa"
"""

#: every section away from its defaults
SECTIONS = """
[defaults]
timeout = 4.0
supplier_timeout = 1.5
strategy = "majority"
quorum = 1
connect_timeout = 0.5

[breaker]
consecutive_failures = 3
open_seconds = 12.5

[health]
interval = 2.5
jitter = 0.1
probe_product = "PING-1"
window = 30.0

[history]
keep_days = 7

[fallback]
max_age = 3600

[[suppliers]]
name = "acme"
url = "http://127.0.0.1:0/quote"
"""

PROFILES = {"mixed": MIXED, "sections": SECTIONS}


def at_running_urls(profile: core.Config, urls: dict[str, str], source: str) -> core.Config:
    """The profile with its simulated suppliers at ``urls``: what the fleet should serve."""
    suppliers = tuple(
        s.model_copy(update={"url": urls[s.name]}) if s.name in urls else s
        for s in profile.suppliers
    )
    return profile.model_copy(update={"suppliers": suppliers, "source": source})


def write_profile(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(PROFILES[name])
    return path


@pytest.mark.parametrize("name", PROFILES)
def test_the_toml_writer_keeps_every_section_and_broker_supplier(tmp_path: Path, name: str) -> None:
    config = core.load_config(write_profile(tmp_path, name))
    again = core.parse_config(tomllib.loads(dump_config(config, "a\nheader")), config.source)
    assert again == config


@pytest.mark.parametrize("name", PROFILES)
async def test_a_profile_fleet_serves_its_profile_and_writes_it_back(
    tmp_path: Path, name: str
) -> None:
    profile = core.load_config(write_profile(tmp_path, name))
    written = tmp_path / "client.toml"
    async with fleet_from_profile(profile.source, ephemeral=True, control_port=None) as fleet:
        urls = {s.name: s.url for s in fleet.suppliers}
        assert fleet.config == at_running_urls(profile, urls, fleet.config.source)
        write_config(fleet, written, header="written by a test")
    assert core.load_config(written) == fleet.config.model_copy(update={"source": str(written)})


async def test_the_embedded_demo_fleet_writes_demo_toml_back() -> None:
    demo = core.load_config(core.resource("demo.toml"))
    async with embedded_demo_fleet(latency_scale=0.01) as fleet:
        urls = {s.name: s.url for s in fleet.suppliers}
        config = fleet.config
    assert config == at_running_urls(demo, urls, config.source)
    assert core.parse_config(tomllib.loads(dump_config(config)), config.source) == config


@pytest.mark.parametrize("name", PROFILES)
async def test_fleet_write_config_round_trips_through_the_cli(tmp_path: Path, name: str) -> None:
    path = write_profile(tmp_path, name)
    written = tmp_path / "client.toml"
    process = await start(
        "fleet", "--profile", str(path), "--latency-scale", "0", "--write-config", str(written)
    )
    try:
        lines = await lines_until_ready(process)
        config = core.load_config(written)
        text = written.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err
    served = {line.split()[0]: line.split()[1] for line in lines if "/quote" in line}
    assert config == at_running_urls(core.load_config(path), served, str(written))
    assert text.startswith("# client config for a running `scatterdash fleet` (seed 7);\n")
    # the credentials stay in the user's own config, readable by its owner only…
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    # …and out of what the fleet prints
    assert SECRET not in "\n".join(lines) + err.decode()


def test_a_profile_config_must_hold_every_simulated_supplier(tmp_path: Path) -> None:
    profile = core.load_config(write_profile(tmp_path, "mixed"))
    with pytest.raises(ValueError, match=r"not an HTTP supplier of .*: rabbit, nobody"):
        Fleet([quick("acme"), quick("rabbit"), quick("nobody")], profile_config=profile)
