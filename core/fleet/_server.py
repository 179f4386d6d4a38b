"""The HTTP side of the fleet: one aiohttp request handler for every supplier's port.

A request is attributed to the supplier whose port it arrived on; what it gets is drawn
from that supplier's profile and faults as they are when the request arrives. Handlers
are cancelled when their connection drops (the client gave up, an outage, the fleet
stopped), so a hang or a drip never outlives its connection.
"""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from core.fleet._faults import FaultSettings
from core.fleet._profile import QUOTE_PATH
from core.fleet._replies import BadRequest, PriceAsk, parse_ask, reply_body, safe_id
from core.fleet._stats import OverheadStats
from core.fleet._supplier import SimulatedSupplier

__all__ = ["DRIP_BYTES", "DRIP_INTERVAL_S", "QuoteHandler"]

#: a slow drip sends this many bytes of the body, then pauses this long, until done:
#: a ~230-byte quote takes about half a minute
DRIP_BYTES = 4
DRIP_INTERVAL_S = 0.5

_JSON = "application/json"


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps({"error": message}).encode()
    return web.Response(status=status, body=body, content_type=_JSON, headers=headers)


class QuoteHandler:
    def __init__(self, stats: OverheadStats) -> None:
        self._stats = stats
        self._by_port: dict[int, SimulatedSupplier] = {}

    def add(self, supplier: SimulatedSupplier) -> None:
        self._by_port[supplier.port] = supplier

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        start = time.perf_counter()
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        supplier = self._by_port.get(sockname[1]) if sockname else None
        if supplier is None:
            return _error(404, "no supplier on this port")
        faults = supplier.faults
        if faults.outage:
            # the request came on a connection opened before the outage: drop it unanswered
            request.protocol.force_close()
            return web.Response(status=503)  # never sent: the connection is gone
        if request.path != QUOTE_PATH:
            return _error(404, f"supplier endpoints are POST {QUOTE_PATH}")
        if request.method != "POST":
            return _error(405, f"use POST {QUOTE_PATH}", {"Allow": "POST"})
        try:
            ask = parse_ask(await request.read())
        except BadRequest as exc:
            return _error(400, f"not a price request: {exc}")
        correlation_id = safe_id(request.headers.get("X-Correlation-ID") or ask.correlation_id)
        headers = {"X-Correlation-ID": correlation_id} if correlation_id else {}
        supplier.requests_served += 1
        return await self._answer(request, supplier, faults, ask, headers, start)

    async def _answer(
        self,
        request: web.BaseRequest,
        supplier: SimulatedSupplier,
        faults: FaultSettings,
        ask: PriceAsk,
        headers: dict[str, str],
        start: float,
    ) -> web.StreamResponse:
        draw = supplier.draw(faults)
        if draw.hang:
            # until the client gives up or the fleet stops: either drops the connection,
            # which cancels this handler
            await asyncio.get_running_loop().create_future()
        if draw.delay_s > 0:
            await asyncio.sleep(draw.delay_s)
        if draw.error:
            response = _error(500, "simulated internal error", headers)
        else:
            offer = supplier.offer(ask.product_id, ask.quantity)
            body = reply_body(supplier.name, ask, offer, faults)
            if faults.slow_drip:
                return await self._drip(request, body, headers)
            response = web.Response(body=body, content_type=_JSON, headers=headers)
        self._stats.record(time.perf_counter() - start - draw.delay_s)
        return response

    async def _drip(
        self, request: web.BaseRequest, body: bytes, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        response.content_type = _JSON
        response.content_length = len(body)
        await response.prepare(request)
        sent = 0
        try:
            while sent < len(body):
                chunk = body[sent : sent + DRIP_BYTES]
                await response.write(chunk)
                sent += len(chunk)
                if sent < len(body):
                    await asyncio.sleep(DRIP_INTERVAL_S)
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up waiting: that is what a drip is for
        return response
