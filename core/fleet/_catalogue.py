"""The product catalogue: list prices, and a stable made-up one for any other product id."""

from __future__ import annotations

import functools
import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core._errors import ConfigError
from core._resources import resource

__all__ = ["Catalogue", "Product", "default_catalogue", "load_catalogue"]

_HASHED_MIN, _HASHED_MAX = 2.0, 2000.0


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    name: str
    price: float
    """list price per unit"""


def _hashed_price(product_id: str) -> float:
    # log-uniform between the bounds, from a hash that is the same in every process
    digest = hashlib.blake2b(product_id.encode(), digest_size=8).digest()
    fraction = int.from_bytes(digest, "big") / 2**64
    span = math.log(_HASHED_MAX / _HASHED_MIN)
    return round(_HASHED_MIN * math.exp(fraction * span), 2)


@dataclass(frozen=True)
class Catalogue:
    currency: str = "EUR"
    products: MappingProxyType[str, Product] = field(default_factory=lambda: MappingProxyType({}))

    def product(self, product_id: str) -> Product:
        """The catalogue's product, or an unnamed one with a price derived from the id."""
        known = self.products.get(product_id)
        if known is not None:
            return known
        return Product(product_id, product_id, _hashed_price(product_id))

    def list_price(self, product_id: str) -> float:
        return self.product(product_id).price


def _parse(data: dict[str, Any], source: str) -> Catalogue:
    currency = data.get("currency", "EUR")
    if not isinstance(currency, str) or not currency:
        raise ConfigError(f"{source}: currency: must be a non-empty string")
    products: dict[str, Product] = {}
    table = data.get("products", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: products: must be a table")
    for product_id, entry in table.items():
        where = f"{source}: products.{product_id}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a table with name and price")
        price, name = entry.get("price"), entry.get("name", product_id)
        if isinstance(price, bool) or not isinstance(price, int | float):
            raise ConfigError(f"{where}.price: must be a number")
        if not (math.isfinite(price) and price > 0):
            raise ConfigError(f"{where}.price: must be positive, got {price}")
        if not isinstance(name, str):
            raise ConfigError(f"{where}.name: must be a string")
        products[product_id] = Product(product_id, name, float(price))
    return Catalogue(currency, MappingProxyType(products))


def load_catalogue(path: str | Path) -> Catalogue:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read catalogue: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid catalogue: {exc}") from None
    return _parse(data, str(path))


@functools.cache
def default_catalogue() -> Catalogue:
    """``resources/catalogue.toml``, read once."""
    return load_catalogue(resource("catalogue.toml"))
