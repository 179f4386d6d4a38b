"""The supplier protocol for price quotes: the request we send and the reply we accept.

Replies are untrusted. A reply is a valid quote only when it is a JSON object with exactly
the protocol's types (a JSON number where a number belongs, never a string or a bool),
finite positive prices under a plausibility cap, a total that matches unit × quantity,
and the product id that was asked for.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from core._errors import InvalidReplyError
from core._validation import describe

__all__ = ["MAX_PLAUSIBLE_PRICE", "PriceRequest", "Quote", "QuoteCodec"]

#: a unit or total price above this is treated as absurd, not as a quote
MAX_PLAUSIBLE_PRICE = 1e9


@dataclass(frozen=True, slots=True)
class PriceRequest:
    product_id: str
    quantity: int


#: no control characters: these texts are printed on terminals and shown in the window
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
MAX_DELIVERY_DAYS = 36_500
"""a hundred years: past that a reply is not a delivery promise (and SQLite's integers end)"""


class Quote(BaseModel):
    """One supplier's quote, exactly as the protocol defines it."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    supplier_id: str = Field(max_length=200, pattern=_PRINTABLE)
    product_id: str
    unit_price: float = Field(allow_inf_nan=False)
    total_price: float = Field(allow_inf_nan=False)
    currency: str = Field(min_length=1, max_length=16, pattern=_PRINTABLE)
    valid_until: str
    in_stock: StrictBool
    delivery_days: StrictInt = Field(ge=0, le=MAX_DELIVERY_DAYS)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    if first["type"] == "json_invalid":
        return f"malformed JSON: {first['msg']}"
    return describe(error, root="reply")


def _total_tolerance(quantity: int) -> float:
    # unit prices are quoted to the cent: rounding may move the total by half a cent a unit
    return 0.01 + 0.005 * quantity


class QuoteCodec:
    """Encodes price requests and decodes replies into :class:`Quote` or raises."""

    content_type = "application/json"

    def __init__(self, currency: str | None = None) -> None:
        """``currency``: the only one a quote may be in (None: any)."""
        self._currency = currency
        self._last_key: tuple[PriceRequest, str] | None = None
        self._last_body = b""

    def encode(self, request: PriceRequest, correlation_id: str) -> bytes:
        return json.dumps(
            {
                "product_id": request.product_id,
                "quantity": request.quantity,
                "correlation_id": correlation_id,
            }
        ).encode()

    def encode_cached(self, request: PriceRequest, correlation_id: str) -> bytes:
        """``encode``, computed once per scatter: every destination gets the same body."""
        key = (request, correlation_id)
        if self._last_key != key:
            self._last_key, self._last_body = key, self.encode(request, correlation_id)
        return self._last_body

    def decode(self, raw: bytes, request: PriceRequest, correlation_id: str) -> Quote:
        try:
            quote = Quote.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidReplyError(_describe(exc)) from None
        echoed = _echoed_correlation_id(raw)
        if echoed is not None and echoed != correlation_id:
            raise InvalidReplyError(f"reply is for another correlation id ({echoed[:64]!r})")
        self._check_plausible(quote, request)
        return quote

    def _check_plausible(self, quote: Quote, request: PriceRequest) -> None:
        if self._currency is not None and quote.currency != self._currency:
            raise InvalidReplyError(
                f"currency {quote.currency!r}, not the configured {self._currency}"
            )
        if quote.product_id != request.product_id:
            raise InvalidReplyError(
                f"product_id {quote.product_id[:64]!r} is not the product asked for "
                f"({request.product_id!r})"
            )
        for field in ("unit_price", "total_price"):
            price = getattr(quote, field)
            if not price > 0:
                raise InvalidReplyError(f"{field}: must be positive, got {price}")
            if price > MAX_PLAUSIBLE_PRICE:
                raise InvalidReplyError(f"{field}: {price:g} is not a plausible price")
        expected = quote.unit_price * request.quantity
        if not math.isclose(
            quote.total_price, expected, rel_tol=0, abs_tol=_total_tolerance(request.quantity)
        ):
            raise InvalidReplyError(
                f"total_price {quote.total_price} does not match unit_price × quantity "
                f"({expected:.2f})"
            )
        try:
            datetime.fromisoformat(quote.valid_until)
        except ValueError:
            raise InvalidReplyError(
                f"valid_until: {quote.valid_until[:64]!r} is not an ISO-8601 date-time"
            ) from None


def _echoed_correlation_id(raw: bytes) -> str | None:
    # cheap pre-check: most replies do not echo it, and then there is nothing to parse again
    if b"correlation_id" not in raw:
        return None
    value = json.loads(raw).get("correlation_id")
    return value if isinstance(value, str) else repr(value)
