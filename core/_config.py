"""The TOML config: defaults, breaker settings and the suppliers.

``load_config(path)`` returns a validated :class:`Config` or raises :class:`ConfigError`
with one line naming the file, the key and the problem.
"""

from __future__ import annotations

import re
import ssl
import tomllib
import unicodedata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core._broker_config import TransportKind, check_transport_keys, mask_url
from core._errors import ConfigError
from core._proxy_setting import ProxySetting
from core._validation import Number, describe

__all__ = [
    "BreakerSettings",
    "Config",
    "Defaults",
    "FallbackSettings",
    "HealthSettings",
    "HistorySettings",
    "StrategyName",
    "SupplierConfig",
    "load_config",
    "parse_config",
]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

StrategyName = Literal["all", "first", "majority", "best"]
STRATEGIES: tuple[StrategyName, ...] = ("all", "first", "majority", "best")


#: RFC 9110 token characters: what a header name may hold
_HEADER_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}")
#: headers the HTTP client writes itself: an API key there would break or leak the request
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "x-correlation-id",
    }
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Defaults(_Section):
    timeout: Number = Field(default=5.0, gt=0, le=3600)
    """seconds for a whole comparison"""
    supplier_timeout: Number = Field(default=2.0, gt=0, le=3600)
    """seconds for one supplier call: connect, headers and body together"""
    strategy: StrategyName = "best"
    min_responses: int = Field(default=1, ge=1)
    quorum: int | None = Field(default=None, ge=1)
    """agreeing quotes `majority` needs; default: more than half of the suppliers queried"""
    max_reply_bytes: int = Field(default=1024 * 1024, ge=256)
    """cap on a reply body, counted after content decoding"""
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    """the currency every quote must be in (ISO 4217: EUR); a quote in another is invalid.
    Default: any, compared by their numbers (there is no exchange rate here)"""
    # -- networks (README "Networks") --
    proxy: ProxySetting = Field(default=None, repr=False)
    """HTTP proxy for every supplier, or false for direct; default: the environment's"""
    connect_timeout: Number | None = Field(default=None, gt=0, le=3600)
    """seconds to open a connection; default: half of the call's timeout"""


class BreakerSettings(_Section):
    """Resilience4j-like circuit-breaker settings, shared by every supplier."""

    consecutive_failures: int = Field(default=5, ge=1, le=1_000_000)
    window_size: int = Field(default=20, ge=1, le=1_000_000)
    minimum_calls: int = Field(default=10, ge=1, le=1_000_000)
    failure_rate: Number = Field(default=0.5, gt=0, le=1)
    open_seconds: Number = Field(default=30.0, gt=0, le=86400)
    half_open_calls: int = Field(default=3, ge=1, le=1_000_000)


class HistorySettings(_Section):
    """``[history]``: the comparison history (SQLite in the per-user data directory)."""

    keep_days: Number = Field(default=30, gt=0, le=36500)
    """comparisons, breaker transitions and probes older than this are dropped"""


class FallbackSettings(_Section):
    """``[fallback]``: ``compare --fallback`` and the window's stale-quote suggestion."""

    max_age: Number = Field(default=86400, gt=0, le=36500 * 86400)
    """seconds: the oldest recorded quote a fallback may offer (default 24 h)"""


class HealthSettings(_Section):
    """The health monitor: probes every enabled supplier while the window or ``watch`` runs."""

    interval: Number = Field(default=5.0, gt=0, le=3600)
    """seconds between two probes of one supplier (each one jittered)"""
    jitter: Number = Field(default=0.2, ge=0, lt=1)
    """each interval is drawn from interval × (1 ± jitter), so probes do not align"""
    probe_product: str = Field(default="HEALTH-PROBE", min_length=1, max_length=200)
    """a probe is a quote request for this product, quantity 1 (unless ``health_url``)"""
    window: Number = Field(default=60.0, gt=0, le=86400)
    """seconds of calls and probes behind the rolling statistics (error rate, p50/p95/p99)"""


class SupplierConfig(_Section):
    name: str = Field(min_length=1, max_length=100)
    url: str = ""
    """the supplier's URL (transport http); see core/_broker_config.py for the broker keys"""
    transport: TransportKind = "http"
    broker: str | None = Field(default=None, repr=False)
    """a broker's URL (may hold credentials: shown masked only)"""
    broker_env: str | None = None
    """name of the environment variable holding the broker URL instead"""
    queue: str | None = None
    subject: str | None = None
    topic: str | None = None
    timeout: Number | None = Field(default=None, gt=0, le=3600)
    enabled: bool = True
    api_key_env: str | None = None
    """name of the environment variable holding this supplier's API key (never the key)"""
    api_key_header: str = "Authorization"
    verify: bool = True
    ca_bundle: str | None = None
    proxy: ProxySetting = Field(default=None, repr=False)
    """this supplier's HTTP proxy, or false for a direct connection"""
    sim: dict[str, Any] | None = None
    """simulation profile for the demo fleet; the engine ignores it"""
    health_url: str | None = None
    """probe with a GET here (any 2xx is healthy) instead of a quote request"""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError(f"{value!r} has spaces at its start or end")
        # not Cf: zero-width joiners (emoji), right-to-left marks and soft hyphens are text
        if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
            raise ValueError(f"{value!r} holds control characters")
        return value

    @field_validator("api_key_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not _HEADER_TOKEN.fullmatch(value):
            raise ValueError(f"{value[:64]!r} is not an HTTP header name")
        if value.lower() in _RESERVED_HEADERS:
            raise ValueError(f"{value!r} is set by Scatterdash itself: choose another header")
        return value

    @field_validator("api_key_env", "broker_env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        # never echo the value: an operator may have pasted the key itself here
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "must be the name of an environment variable (letters, digits and _), "
                "not the key itself"
            )
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _readable_bundle(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not Path(value).is_file():
            raise ValueError(f"no CA bundle file at {value!r}")
        try:
            ssl.create_default_context(cafile=value)
        except (ssl.SSLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
            raise ValueError(f"{value!r} is not a readable PEM CA bundle ({reason})") from None
        return value

    @field_validator("health_url")
    @classmethod
    def _http_health_url(cls, value: str | None) -> str | None:
        return None if value is None else cls._http_url(value)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{mask_url(value)!r} is not an http(s) URL with a host")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise ValueError(f"{mask_url(value)!r} has an invalid port") from None
        return value


class Config(_Section):
    defaults: Defaults = Defaults()
    breaker: BreakerSettings = BreakerSettings()
    history: HistorySettings = HistorySettings()
    fallback: FallbackSettings = FallbackSettings()
    health: HealthSettings = HealthSettings()
    suppliers: tuple[SupplierConfig, ...] = Field(min_length=1, strict=False)
    source: str = "<memory>"
    """where the config was read from, for messages"""

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for index, supplier in enumerate(self.suppliers):
            if supplier.name in seen:
                raise ValueError(
                    f"suppliers[{index}].name: duplicate supplier name {supplier.name!r}"
                )
            seen.add(supplier.name)
        return self

    @model_validator(mode="after")
    def _reachable_counts(self) -> Config:
        count = len(self.suppliers)
        for key, value in (
            ("quorum", self.defaults.quorum),
            ("min_responses", self.defaults.min_responses),
        ):
            if value is not None and value > count and count > 0:
                listed = f"{count} supplier{'s' if count != 1 else ''} listed"
                raise ValueError(
                    f"defaults.{key}: {value} is more than the {listed}, so it can never be met"
                )
        return self

    @model_validator(mode="after")
    def _transport_keys(self) -> Config:
        for index, supplier in enumerate(self.suppliers):
            check_transport_keys(index, supplier)
        return self

    def supplier(self, name: str) -> SupplierConfig:
        for supplier in self.suppliers:
            if supplier.name == name:
                return supplier
        raise KeyError(name)


def parse_config(data: dict[str, Any], source: str = "<memory>") -> Config:
    """Validate an already-parsed TOML document."""
    try:
        return Config.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe(exc)}") from None


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    if "source" in data:
        raise ConfigError(f"{path}: source: unknown key")
    return parse_config(data, str(path))
