"""A simulated supplier's profile: the ``sim`` table of a supplier in a config file."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core._config import Config, SupplierConfig
from core._errors import ConfigError
from core._validation import describe
from core.fleet._faults import FaultSettings

__all__ = [
    "QUOTE_PATH",
    "STANDARD_DISCOUNTS",
    "SimProfile",
    "SupplierProfile",
    "profiles_from_config",
]

QUOTE_PATH = "/quote"

#: (minimum quantity, fraction off the unit price): what a list-price supplier gives
STANDARD_DISCOUNTS: tuple[tuple[int, float], ...] = (
    (10, 0.02),
    (25, 0.04),
    (50, 0.06),
    (100, 0.08),
    (250, 0.10),
    (1000, 0.15),
)


class SimProfile(BaseModel):
    """How one simulated supplier prices, stocks, delivers and answers. See demo.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    markup: float = Field(default=0.0, ge=-0.5, le=10)
    """fraction over the catalogue's list price (-0.05: 5 % under list)"""
    noise: float = Field(default=0.0, ge=0, le=0.5)
    """largest per-product deviation from list × (1 + markup), as a fraction"""
    currency: str | None = Field(default=None, min_length=1, max_length=8)
    """the currency quoted; by default the catalogue's"""
    discounts: tuple[tuple[int, float], ...] = STANDARD_DISCOUNTS
    """quantity discount tiers: [minimum quantity, fraction off]"""
    stock: float = Field(default=0.95, ge=0, le=1)
    """probability that this supplier carries a given product"""
    stock_units: int = Field(default=500, ge=0)
    """median units on hand of a carried product; a larger order is out of stock"""
    delivery_days: tuple[int, int] = (2, 5)
    """range of delivery days when in stock"""
    backorder_days: tuple[int, int] = (14, 30)
    """range of delivery days when out of stock"""
    latency_ms: float = Field(default=40.0, ge=0, le=60_000)
    """median reply latency (lognormal)"""
    latency_spread: float = Field(default=0.35, ge=0, le=3)
    """sigma of the lognormal latency"""
    outlier_rate: float = Field(default=0.0, ge=0, le=1)
    """probability that a reply is a slow outlier"""
    outlier_factor: float = Field(default=8.0, ge=1, le=1000)
    """how many times slower an outlier is"""
    faults: FaultSettings = FaultSettings()
    """faults from the start (the operator may change them while the fleet runs)"""

    @model_validator(mode="after")
    def _check(self) -> SimProfile:
        for key in ("delivery_days", "backorder_days"):
            low, high = getattr(self, key)
            if not 0 <= low <= high:
                raise ValueError(f"{key}: needs 0 ≤ low ≤ high, got [{low}, {high}]")
        for min_quantity, off in self.discounts:
            if min_quantity < 1 or not 0 <= off < 1:
                raise ValueError(
                    f"discounts: each tier is [quantity ≥ 1, 0 ≤ fraction < 1], "
                    f"got [{min_quantity}, {off}]"
                )
        return self

    def discount(self, quantity: int) -> float:
        return max((off for minimum, off in self.discounts if quantity >= minimum), default=0.0)

    def to_toml_dict(self) -> dict[str, Any]:
        """The non-default settings, as a config's ``sim`` table holds them."""
        data = self.model_dump(exclude_defaults=True, mode="json")
        if "faults" in data:
            data["faults"] = self.faults.model_dump(exclude_defaults=True)
        return data


@dataclass(frozen=True, slots=True)
class SupplierProfile:
    name: str
    sim: SimProfile = field(default_factory=SimProfile)
    port: int = 0
    """the port to listen on; 0 picks a free one"""
    timeout: float | None = None
    """the per-supplier timeout to put in the client config"""


_LOOPBACK_NAMES = {"localhost"}


def _loopback_port(url: str, where: str) -> int:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host in _LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise ConfigError(f"{where}.url: a simulated supplier needs an http URL on 127.0.0.1")
    if parts.path != QUOTE_PATH:
        raise ConfigError(f"{where}.url: a simulated supplier answers on {QUOTE_PATH} only")
    return 80 if parts.port is None else parts.port  # port 0: any free port


def _profile(supplier: SupplierConfig, index: int, source: str) -> SupplierProfile:
    where = f"{source}: suppliers[{index}]"
    try:
        sim = SimProfile.model_validate(supplier.sim or {})
    except ValidationError as exc:
        raise ConfigError(f"{where}.sim.{describe(exc)}") from None
    port = _loopback_port(supplier.url, where)
    return SupplierProfile(supplier.name, sim, port, supplier.timeout)


def profiles_from_config(config: Config) -> list[SupplierProfile]:
    """One profile per HTTP supplier, on the port of its URL; ConfigError names the key.

    Broker suppliers are left out: ``scatterdash responder`` serves those.
    """
    return [
        _profile(s, i, config.source)
        for i, s in enumerate(config.suppliers)
        if s.transport == "http"
    ]
