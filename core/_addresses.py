"""A supplier URL as an operator may see it: no credentials, no query string."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["host_port", "public_url"]


def host_port(url: str) -> str:
    """``host:port`` of ``url`` (the scheme's default port when none is given)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{host}:{port}"


def public_url(url: str) -> str:
    """``scheme://host:port/path``: user, password, query and fragment left out."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{host_port(url)}{parts.path}"
