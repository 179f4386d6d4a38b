"""The broker keys of a supplier: ``transport``, ``broker``/``broker_env`` and where its
requests go (``queue`` for amqp, ``subject`` for nats, ``topic`` for kafka).

A broker URL may carry credentials (``amqp://user:password@host/``): messages built here
show it through :func:`mask_url` only, never as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from core._errors import ConfigError

if TYPE_CHECKING:
    from core._config import SupplierConfig

__all__ = [
    "BROKER_KINDS",
    "TransportKind",
    "broker_destination",
    "broker_url",
    "check_transport_keys",
    "destination_key",
    "display_address",
    "mask_url",
]

TransportKind = Literal["http", "amqp", "nats", "kafka"]
BROKER_KINDS: tuple[TransportKind, ...] = ("amqp", "nats", "kafka")

_DESTINATION_KEY: dict[str, str] = {"amqp": "queue", "nats": "subject", "kafka": "topic"}
_SCHEMES: dict[str, tuple[str, ...]] = {
    "amqp": ("amqp", "amqps"),
    "nats": ("nats", "tls"),
}
_KAFKA_SERVER = re.compile(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}")
_PLACES = {
    # AMQP: any short string; "amq." names are the broker's own
    "amqp": re.compile(r"(?!amq\.)\S{1,200}"),
    # NATS: dot-separated tokens, no wildcards (a request goes to one subject)
    "nats": re.compile(r"[^\s*>.]+(\.[^\s*>.]+)*"),
    # Kafka's legal topic characters
    "kafka": re.compile(r"[A-Za-z0-9._\-]{1,200}"),
}


def broker_destination(supplier: SupplierConfig) -> str | None:
    """The queue, subject or topic of a broker supplier; None for HTTP."""
    if supplier.transport == "http":
        return None
    return {"amqp": supplier.queue, "nats": supplier.subject, "kafka": supplier.topic}[
        supplier.transport
    ]


def display_address(supplier: SupplierConfig) -> str:
    """Where a supplier is, fit to show: its URL, or its masked broker and destination."""
    if supplier.transport == "http":
        return supplier.url
    broker = mask_url(supplier.broker) if supplier.broker else f"${supplier.broker_env}"
    key = destination_key(supplier.transport)
    return f"{broker} {key}={broker_destination(supplier)}"


def destination_key(kind: str) -> str:
    """``queue``, ``subject`` or ``topic``: the key naming where a broker supplier's
    requests go."""
    return _DESTINATION_KEY[kind]


def mask_url(url: str) -> str:
    """The URL with any password (and, for safety, any user name) replaced by ``***``."""
    if "@" not in url:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    # the authority ends at the first / ? or #; its user info at its last @ (an @ in the
    # path or query, "amqp://u:p@host/vhost@eu", is not the one to cut at)
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    userinfo, at, _ = authority.rpartition("@")
    if not at:
        # "u:pa/ss@host", "u:12#x@host": a password with a raw / ? or # (not valid, but
        # typed) is masked too. Safety first: so is "host:4222/x@y", a host and port with
        # an @ in its path, which cannot be told from "u:4222/x@host"
        before, at, _ = rest.partition("@")
        if not at or ":" not in before:
            return url
        userinfo = before
    return f"{scheme}{sep}***@{rest[len(userinfo) + 1 :]}"


def _check_broker_url(kind: str, url: str, where: str) -> None:
    shown = mask_url(url)
    if kind == "kafka":
        servers = [s.strip() for s in url.split(",")]
        if not all(_KAFKA_SERVER.fullmatch(s) for s in servers):
            raise ValueError(
                f"{where}: {shown!r} is not a Kafka bootstrap list (host:port[,host:port…])"
            )
        return
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES[kind] or not parts.hostname:
        schemes = " or ".join(f"{s}://" for s in _SCHEMES[kind])
        raise ValueError(f"{where}: {shown!r} is not a {schemes} URL with a host")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError(f"{where}: {shown!r} has an invalid port") from None


def check_transport_keys(index: int, supplier: SupplierConfig) -> None:
    """Raise ValueError naming ``suppliers[index].KEY`` when the transport keys do not fit."""
    where = f"suppliers[{index}]"
    kind = supplier.transport
    places = {"queue": supplier.queue, "subject": supplier.subject, "topic": supplier.topic}
    if kind == "http":
        for key, value in (("broker", supplier.broker), ("broker_env", supplier.broker_env)):
            if value is not None:
                raise ValueError(f"{where}.{key}: only for transport amqp, nats or kafka")
        for key, value in places.items():
            if value is not None:
                raise ValueError(f"{where}.{key}: only for a broker transport, not http")
        if not supplier.url:
            raise ValueError(f"{where}.url: required key is missing")
        return
    if supplier.url:
        raise ValueError(
            f"{where}.url: not used with transport {kind} (give broker and {destination_key(kind)})"
        )
    for key, given in (("api_key_env", supplier.api_key_env), ("proxy", supplier.proxy)):
        if given is not None:  # nothing would read it: better said than silently ignored
            raise ValueError(f"{where}.{key}: only for http suppliers, not transport {kind}")
    if (supplier.broker is None) == (supplier.broker_env is None):
        raise ValueError(f"{where}.broker: give either broker or broker_env for transport {kind}")
    if supplier.broker is not None:
        _check_broker_url(kind, supplier.broker, f"{where}.broker")
    wanted = destination_key(kind)
    for key, value in places.items():
        if key != wanted and value is not None:
            raise ValueError(f"{where}.{key}: not used with transport {kind} (use {wanted})")
    value = places[wanted]
    if value is None:
        raise ValueError(f"{where}.{wanted}: required for transport {kind}")
    if not _PLACES[kind].fullmatch(value) or len(value) > 200:
        raise ValueError(f"{where}.{wanted}: {value[:64]!r} is not a valid {wanted} name")
    if len(value.encode()) > 255:  # AMQP's short strings; the brokers' own limits too
        raise ValueError(f"{where}.{wanted}: {value[:64]!r}… is longer than 255 bytes in UTF-8")


def broker_url(
    source: str, index: int, supplier: SupplierConfig, environ: Mapping[str, str]
) -> str:
    """The supplier's broker URL, read from ``broker_env`` when it names a variable."""
    if supplier.broker is not None:
        return supplier.broker
    variable = supplier.broker_env
    assert variable is not None
    url = environ.get(variable)
    where = f"{source}: suppliers[{index}].broker_env"
    if not url:
        raise ConfigError(f"{where}: environment variable {variable} is not set")
    try:
        _check_broker_url(supplier.transport, url, f"environment variable {variable}")
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return url
