"""What a simulated supplier offers for (product, quantity): price, stock and delivery.

A pure function of (seed, supplier, product, quantity): the same seed gives the same
offer in every process. Random streams are seeded with strings, which ``random`` hashes
with SHA-512, so they do not depend on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.fleet._catalogue import Catalogue
from core.fleet._profile import SimProfile

__all__ = ["Offer", "offer"]


@dataclass(frozen=True, slots=True)
class Offer:
    unit_price: float
    total_price: float
    currency: str
    in_stock: bool
    delivery_days: int


def offer(
    seed: int,
    supplier: str,
    sim: SimProfile,
    catalogue: Catalogue,
    product_id: str,
    quantity: int,
) -> Offer:
    # One stream per (supplier, product): its price level, whether it carries the product
    # and its delivery time stay put while the quantity changes; the quantity only moves
    # the discount tier and whether the units on hand suffice.
    rng = random.Random(f"{seed}/{supplier}/{product_id}")
    deviation = rng.uniform(-sim.noise, sim.noise) if sim.noise else 0.0
    carried = rng.random() < sim.stock
    on_hand = round(sim.stock_units * rng.lognormvariate(0.0, 0.6))
    in_stock = carried and quantity <= on_hand
    days = sim.delivery_days if in_stock else sim.backorder_days
    delivery_days = rng.randint(*days)

    list_price = catalogue.list_price(product_id)
    unit = list_price * (1 + sim.markup) * (1 + deviation) * (1 - sim.discount(quantity))
    unit_price = max(0.01, round(unit, 2))
    total_price = round(unit_price * quantity, 2)
    currency = sim.currency or catalogue.currency
    return Offer(unit_price, total_price, currency, in_stock, delivery_days)
