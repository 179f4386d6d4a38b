"""The fleet's control endpoint: faults and counters over HTTP, for other processes.

Loopback only: it listens on 127.0.0.1, refuses peers and ``Host`` headers that are not
loopback (so a web page cannot reach it by DNS rebinding), and takes changes only as
``application/json`` (which a page cannot send cross-origin without a preflight, which
is never answered).

Routes::

    GET    /suppliers                  every supplier: url, port, faults, requests served
    GET    /suppliers/{name}           one supplier
    GET    /suppliers/{name}/faults    its faults
    POST   /suppliers/{name}/faults    change some: {"error_rate": 0.5, "outage": true}
    DELETE /suppliers/{name}/faults    back to the profile's faults
    POST   /faults                     change some, for every supplier
    DELETE /faults                     every supplier back to its profile's faults
    GET    /stats                      replies served and the fleet's own added latency
    DELETE /stats                      start counting afresh
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

from core._validation import describe

if TYPE_CHECKING:
    from core.fleet._fleet import Fleet

__all__ = ["control_app"]

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_LOOPBACK_HOSTS = {"localhost"}


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]")
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, indent=1))


def _problem(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


@web.middleware
async def _loopback_only(request: web.Request, handler: _Handler) -> web.StreamResponse:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not (peer and _is_loopback(peer[0]) and _is_loopback(request.url.host)):
        return _problem(403, "the fleet's control endpoint answers loopback clients only")
    if request.method == "POST" and request.content_type != "application/json":
        return _problem(415, "send changes as application/json")
    return await handler(request)


async def _changes(request: web.Request) -> dict[str, Any]:
    try:
        changes = await request.json()
    except (ValueError, LookupError):  # LookupError: a charset nobody knows
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(changes, dict):
        raise web.HTTPBadRequest(text='the body must be a JSON object: {"setting": value}')
    return changes


def control_app(fleet: Fleet) -> web.Application:
    def supplier_or_404(request: web.Request) -> str:
        name = request.match_info["name"]
        try:
            fleet.supplier(name)
        except KeyError:
            raise web.HTTPNotFound(text=f"no supplier named {name!r}") from None
        return name

    async def list_suppliers(request: web.Request) -> web.Response:
        return _json([s.describe() for s in fleet.suppliers])

    async def one_supplier(request: web.Request) -> web.Response:
        return _json(fleet.supplier(supplier_or_404(request)).describe())

    async def get_faults(request: web.Request) -> web.Response:
        return _json(fleet.faults(supplier_or_404(request)).model_dump())

    def apply(change: Callable[[], object]) -> web.Response | None:
        """Run a fault change; the error response if it was refused."""
        try:
            change()
        except TypeError as exc:
            return _problem(400, str(exc))
        except ValidationError as exc:
            return _problem(400, describe(exc))
        except OSError as exc:
            return _problem(409, f"cannot listen again: {exc.strerror or exc}")
        return None

    async def set_faults(request: web.Request) -> web.Response:
        name = supplier_or_404(request)
        changes = await _changes(request)
        refused = apply(lambda: fleet.set_faults(name, **changes))
        return refused or _json(fleet.faults(name).model_dump())

    async def reset_faults(request: web.Request) -> web.Response:
        name = supplier_or_404(request)
        refused = apply(lambda: fleet.reset_faults(name))
        return refused or _json(fleet.faults(name).model_dump())

    async def set_all_faults(request: web.Request) -> web.Response:
        changes = await _changes(request)
        for supplier in fleet.suppliers:
            refused = apply(lambda: fleet.set_faults(supplier.name, **changes))  # noqa: B023
            if refused is not None:
                return refused
        return _json({"changed": len(fleet.suppliers)})

    async def reset_all_faults(request: web.Request) -> web.Response:
        for supplier in fleet.suppliers:
            refused = apply(lambda: fleet.reset_faults(supplier.name))  # noqa: B023
            if refused is not None:
                return refused
        return _json({"changed": len(fleet.suppliers)})

    async def stats(request: web.Request) -> web.Response:
        return _json(fleet.stats())

    async def reset_stats(request: web.Request) -> web.Response:
        fleet.reset_stats()
        return _json(fleet.stats())

    app = web.Application(middlewares=[_loopback_only])
    app.router.add_get("/suppliers", list_suppliers)
    app.router.add_get("/suppliers/{name}", one_supplier)
    app.router.add_get("/suppliers/{name}/faults", get_faults)
    app.router.add_post("/suppliers/{name}/faults", set_faults)
    app.router.add_delete("/suppliers/{name}/faults", reset_faults)
    app.router.add_post("/faults", set_all_faults)
    app.router.add_delete("/faults", reset_all_faults)
    app.router.add_get("/stats", stats)
    app.router.add_delete("/stats", reset_stats)
    return app
