"""Which proxy, if any, a supplier call goes through.

A supplier's own ``proxy`` setting wins, then ``[defaults] proxy``; ``false`` means a
direct connection. Otherwise the environment decides, with httpx's rules:
``HTTP_PROXY`` for ``http://`` targets, ``HTTPS_PROXY`` for ``https://`` ones, ``ALL_PROXY``
for both when those are unset (lower-case names win over upper-case ones), and
``NO_PROXY`` lists the hosts reached directly: ``*`` for all, an IP address or
``localhost`` exactly, ``example.com`` for it and its subdomains, ``.example.com`` for its
subdomains only, ``scheme://host`` for that scheme only, ``host:port`` for that port only.

Only ``http://`` proxies are supported. Credentials in a proxy URL become a
``Proxy-Authorization`` header and appear nowhere else: a proxy is always shown as
``http://host:port``.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

__all__ = ["NoProxyRule", "Proxy", "ProxyChoice", "environment_proxy", "parse_proxy", "pick_proxy"]

ProxyChoice = str | bool | None
"""a proxy URL, ``False`` for a direct connection, ``None`` for the environment's choice"""


@dataclass(frozen=True, slots=True)
class Proxy:
    host: str
    port: int
    authorization: bytes | None = field(default=None, repr=False)
    """the ``Proxy-Authorization`` value, when the URL carried credentials"""

    @property
    def url(self) -> str:
        """The proxy as it may be shown: never its credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url


def parse_proxy(url: str) -> Proxy:
    """A proxy from its URL; ``ValueError`` (whose message never holds the credentials)."""
    if "://" not in url:
        url = "http://" + url  # as curl and httpx read "proxy.example:3128"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("not a proxy URL (expected http://host:port)") from None
    scheme = parts.scheme.lower()
    if scheme != "http":
        raise ValueError(f"unsupported proxy scheme {scheme[:16]!r} (only http:// proxies)")
    if not parts.hostname:
        raise ValueError("proxy URL has no host (expected http://host:port)")
    authorization = None
    if parts.username is not None or parts.password is not None:
        credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        authorization = b"Basic " + base64.b64encode(credentials.encode("utf-8"))
    return Proxy(parts.hostname, port or 80, authorization)


@dataclass(frozen=True, slots=True)
class NoProxyRule:
    """One ``NO_PROXY`` entry."""

    host: str
    scheme: str | None = None
    port: int | None = None
    subdomains_only: bool = False
    exact: bool = False

    @classmethod
    def parse(cls, entry: str) -> NoProxyRule:
        scheme = None
        if "://" in entry:
            scheme, entry = entry.split("://", 1)
            scheme = scheme.lower()
        host, port = entry, None
        if entry.startswith("["):  # [::1]:8080
            host, _, rest = entry[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        elif entry.count(":") == 1:
            name, _, number = entry.partition(":")
            if number.isdigit():
                host, port = name, int(number)
        host = host.lower().rstrip("/")
        exact = scheme is not None or host == "localhost" or _is_ip(host)
        host = host.removeprefix("*")  # "*.example.com" as ".example.com"
        return cls(host, scheme, port, host.startswith("."), exact)

    def matches(self, scheme: str, host: str, port: int) -> bool:
        if self.scheme is not None and self.scheme != scheme:
            return False
        if self.port is not None and self.port != port:
            return False
        if self.exact:
            return host == self.host
        if self.subdomains_only:
            return host.endswith(self.host) and len(host) > len(self.host)
        return host == self.host or host.endswith("." + self.host)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _environment_variables(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``{"http": (value, variable name)}``…: lower-case names win, as urllib's do."""
    found: dict[str, tuple[str, str]] = {}
    for lower_first in (False, True):
        for name, value in environ.items():
            if not value or not name.lower().endswith("_proxy"):
                continue
            if (name == name.lower()) != lower_first:
                continue
            if name == "HTTP_PROXY" and "REQUEST_METHOD" in environ:
                continue  # CGI: HTTP_PROXY may come from a request header ("httpoxy")
            found[name.lower().removesuffix("_proxy")] = (value, name)
    return found


def environment_proxy(
    scheme: str, host: str, port: int, environ: Mapping[str, str]
) -> tuple[str, str] | None:
    """``(proxy URL, variable it came from)`` for this target, or ``None`` to go direct."""
    variables = _environment_variables(environ)
    chosen = variables.get(scheme) or variables.get("all")
    if chosen is None:
        return None
    no_proxy = variables.get("no", ("", ""))[0]
    host = host.lower().strip("[]")
    for entry in (part.strip() for part in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return None
        if NoProxyRule.parse(entry).matches(scheme, host, port):
            return None
    return chosen


def pick_proxy(
    choice: ProxyChoice, scheme: str, host: str, port: int, environ: Mapping[str, str]
) -> Proxy | None:
    """The proxy for one target: the configured one, or the environment's; ``ValueError``."""
    if choice is False:
        return None
    if isinstance(choice, str):
        return parse_proxy(choice)
    found = environment_proxy(scheme, host, port, environ)
    if found is None:
        return None
    url, variable = found
    try:
        return parse_proxy(url)
    except ValueError as exc:
        raise ValueError(f"{variable}: {exc}") from None
