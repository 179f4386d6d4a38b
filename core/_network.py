"""How a supplier's connections are made: its proxy and connect timeout, from the config."""

from __future__ import annotations

from typing import Any

from core._config import Config, SupplierConfig

__all__ = ["network_options"]


def network_options(config: Config, supplier: SupplierConfig) -> dict[str, Any]:
    """Proxy and connect timeout: the supplier's own, else the defaults' (README "Networks")."""
    defaults = config.defaults
    proxy = supplier.proxy if supplier.proxy is not None else defaults.proxy
    call_timeout = supplier.timeout or defaults.supplier_timeout
    connect_timeout = min(defaults.connect_timeout or call_timeout / 2, call_timeout)
    return {"proxy": proxy, "connect_timeout": connect_timeout}
