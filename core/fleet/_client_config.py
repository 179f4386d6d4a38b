"""The client config of a running fleet: what a client needs to reach its suppliers.

From a profile (a config file), that is the profile itself, every section and every
supplier kept (broker suppliers too: ``scatterdash responder`` serves those), with each
simulated supplier at the URL it listens on. A fleet without a profile (generated
suppliers) gets a config of its simulated suppliers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core._config import BreakerSettings, Config, Defaults, parse_config
from core.fleet._listener import HOST
from core.fleet._supplier import SimulatedSupplier

__all__ = ["check_profile_config", "client_config"]

SOURCE = f"<fleet on {HOST}>"


def check_profile_config(profile_config: Config, names: Sequence[str]) -> None:
    """ValueError unless every simulated supplier is an HTTP supplier of the profile."""
    http = {s.name for s in profile_config.suppliers if s.transport == "http"}
    missing = [name for name in names if name not in http]
    if missing:
        raise ValueError(f"not an HTTP supplier of {profile_config.source}: {', '.join(missing)}")


def client_config(
    suppliers: Sequence[SimulatedSupplier],
    defaults: Defaults,
    breaker: BreakerSettings,
    profile_config: Config | None = None,
) -> Config:
    """The config a client of the started ``suppliers`` uses; ``defaults`` and ``breaker``
    win over the profile's."""
    if profile_config is None:
        return _generated(suppliers, defaults, breaker)
    urls = {s.name: s.url for s in suppliers}
    entries = tuple(
        s.model_copy(update={"url": urls[s.name]}) if s.name in urls else s
        for s in profile_config.suppliers
    )
    return profile_config.model_copy(
        update={"defaults": defaults, "breaker": breaker, "suppliers": entries, "source": SOURCE}
    )


def _generated(
    suppliers: Sequence[SimulatedSupplier], defaults: Defaults, breaker: BreakerSettings
) -> Config:
    entries: list[dict[str, Any]] = []
    for supplier in suppliers:
        entry: dict[str, Any] = {"name": supplier.name, "url": supplier.url}
        if supplier.profile.timeout is not None:
            entry["timeout"] = supplier.profile.timeout
        sim = supplier.profile.sim.to_toml_dict()
        if sim:
            entry["sim"] = sim
        entries.append(entry)
    data = {
        "defaults": defaults.model_dump(exclude_none=True),
        "breaker": breaker.model_dump(),
        "suppliers": entries,
    }
    return parse_config(data, SOURCE)
