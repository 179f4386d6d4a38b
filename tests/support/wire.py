"""Raw HTTP/1.1 on the wire, for tests whose servers are written by hand."""

from __future__ import annotations

import asyncio
import json

__all__ = ["QUOTE", "read_request"]

QUOTE = json.dumps(
    {
        "supplier_id": "x",
        "product_id": "SKU-1",
        "unit_price": 2.0,
        "total_price": 2.0,
        "currency": "EUR",
        "valid_until": "2030-01-01T00:00:00",
        "in_stock": True,
        "delivery_days": 1,
    }
).encode()
"""a valid quote for one unit of SKU-1"""


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request (head and body); its target, or None at the end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    await reader.readexactly(length)
    return head.split(b" ", 2)[1]
