"""Ready-made fleets: from a config file, generated, and the embedded demo."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from core._config import load_config
from core._errors import ConfigError
from core._resources import resource
from core.fleet._fleet import DEFAULT_SEED, Fleet
from core.fleet._generate import generate_profiles
from core.fleet._profile import profiles_from_config

__all__ = ["DEMO_PROFILE", "embedded_demo_fleet", "fleet_from_profile", "generated_fleet"]

DEMO_PROFILE = "demo.toml"


def fleet_from_profile(
    path: str | Path,
    seed: int | None = None,
    *,
    ephemeral: bool = False,
    latency_scale: float = 1.0,
    control_port: int | None = 0,
) -> Fleet:
    """A fleet (not started) of the suppliers in a config file, with their ``sim`` tables.

    Broker suppliers are not simulated (``scatterdash responder`` serves them); a config
    with none but those is a ConfigError. The HTTP ones listen on the ports of their URLs
    (which must be http://127.0.0.1:PORT/quote; port 0 picks a free one), or all on free
    ports when ``ephemeral``. ``fleet.config`` is the file's config, every section and
    supplier (broker suppliers too), with the URLs of the running ones. Raises ConfigError.
    """
    config = load_config(path)
    profiles = profiles_from_config(config)
    if not profiles:  # every supplier is a broker supplier
        names = ", ".join(s.name for s in config.suppliers)
        raise ConfigError(
            f"{config.source}: no HTTP supplier to simulate ({names}): "
            "broker suppliers are served by `scatterdash responder`"
        )
    if ephemeral:
        profiles = [dataclasses.replace(p, port=0) for p in profiles]
    return Fleet(
        profiles,
        seed=DEFAULT_SEED if seed is None else seed,
        defaults=config.defaults,
        breaker=config.breaker,
        latency_scale=latency_scale,
        control_port=control_port,
        profile_config=config,
    )


def generated_fleet(
    n: int,
    seed: int,
    *,
    misbehaving: float = 0.1,
    latency_scale: float = 1.0,
    control_port: int | None = 0,
) -> Fleet:
    """A fleet (not started) of ``n`` made-up suppliers on free ports; ``misbehaving``
    (at most 0.2) of them have errors, hangs or slowness from the start."""
    return Fleet(
        generate_profiles(n, seed, misbehaving=misbehaving),
        seed=seed,
        latency_scale=latency_scale,
        control_port=control_port,
    )


@asynccontextmanager
async def embedded_demo_fleet(
    seed: int | None = None, *, latency_scale: float = 1.0
) -> AsyncIterator[Fleet]:
    """The demo fleet of ``resources/demo.toml``, started on free ports, stopped on exit.

    ``fleet.config`` is demo.toml's config, with the URLs of the running suppliers.
    ``seed`` None is the demo's fixed seed: the same prices every time.
    """
    fleet = fleet_from_profile(
        resource(DEMO_PROFILE), seed, ephemeral=True, latency_scale=latency_scale
    )
    async with fleet:
        yield fleet
