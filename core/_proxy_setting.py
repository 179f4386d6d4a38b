"""The ``proxy`` config key: an ``http://`` proxy URL, or ``false`` for a direct connection."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from core.transports.http._proxy import parse_proxy

__all__ = ["ProxySetting"]


def _check(value: Any) -> Any:
    if value is None or value is False:
        return value
    if not isinstance(value, str):
        raise ValueError("must be an http:// proxy URL or false")
    parse_proxy(value)  # its ValueError never repeats the URL: it may hold a password
    return value


ProxySetting = Annotated[str | bool | None, BeforeValidator(_check)]
"""``None``: follow HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY"""
