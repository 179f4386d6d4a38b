"""The supplier protocol from the supplier's side: read a price request, write a reply.

The fault variants (malformed JSON, wrong schema, absurd price) are built here too, so
every body a simulated supplier can send is in one place.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from core.fleet._faults import FaultSettings
from core.fleet._pricing import Offer

__all__ = ["ABSURD_UNIT_PRICE", "BadRequest", "PriceAsk", "parse_ask", "reply_body", "safe_id"]

ABSURD_UNIT_PRICE = 1e12
QUOTE_VALIDITY = timedelta(hours=24)
_HEADER_SAFE = re.compile(r"[\x21-\x7e]{1,200}")


class BadRequest(ValueError):
    """A request body that is not a price request: answered with HTTP 400."""


class PriceAsk(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    product_id: StrictStr = Field(min_length=1, max_length=200)
    quantity: StrictInt = Field(ge=1, le=10**9)
    correlation_id: StrictStr = Field(max_length=200)


def parse_ask(raw: bytes) -> PriceAsk:
    try:
        return PriceAsk.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadRequest(f"{where}: {first['msg']}") from None


def safe_id(value: str | None) -> str | None:
    """A correlation id that can go back in a header unchanged, or None."""
    return value if value is not None and _HEADER_SAFE.fullmatch(value) else None


def reply_body(supplier: str, ask: PriceAsk, offer: Offer, faults: FaultSettings) -> bytes:
    if faults.wrong_schema:
        return _dumps(
            {
                "supplier": supplier,
                "sku": ask.product_id,
                "price": f"{offer.unit_price:.2f}",
                "qty": ask.quantity,
                "available": "yes" if offer.in_stock else "no",
            }
        )
    unit, total = offer.unit_price, offer.total_price
    if faults.absurd_price:
        unit = ABSURD_UNIT_PRICE
        total = ABSURD_UNIT_PRICE * ask.quantity
    valid_until = datetime.now(UTC) + QUOTE_VALIDITY
    body = _dumps(
        {
            "supplier_id": supplier,
            "product_id": ask.product_id,
            "unit_price": unit,
            "total_price": total,
            "currency": offer.currency,
            "valid_until": valid_until.isoformat(timespec="seconds"),
            "in_stock": offer.in_stock,
            "delivery_days": offer.delivery_days,
        }
    )
    if faults.malformed_json:
        return body[: len(body) // 2]  # cut off mid-object
    return body


def _dumps(data: dict[str, object]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
