"""The supplier protocol as served by code no one here wrote: an ASGI app (for uvicorn and
hypercorn), an aiohttp app and a stdlib ``http.server`` handler. Each answers a quote that
echoes the request's correlation id, and counts what it was asked."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from aiohttp import web

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def quote(request: dict[str, Any], supplier: str) -> bytes:
    quantity = request["quantity"]
    return json.dumps(
        {
            "supplier_id": supplier,
            "product_id": request["product_id"],
            "unit_price": 2.5,
            "total_price": 2.5 * quantity,
            "currency": "EUR",
            "valid_until": "2030-01-01T00:00:00+00:00",
            "in_stock": True,
            "delivery_days": 2,
            "correlation_id": request["correlation_id"],
        }
    ).encode()


@dataclass
class Seen:
    """What a server was sent: thread-safe, servers may run in threads of their own."""

    correlation_ids: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: dict[str, Any], headers: dict[str, str]) -> None:
        with self.lock:
            self.correlation_ids.append(request["correlation_id"])
            self.headers.append({k.lower(): v for k, v in headers.items()})


def asgi_app(seen: Seen, supplier: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """``/quote``: Content-Length; ``/chunked``: a streamed body; ``/close``: Connection: close."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = (await receive())["type"]
                await send({"type": f"{event}.complete"})
                if event == "lifespan.shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = json.loads(body)
        seen.add(request, headers)
        reply = quote(request, supplier)
        path = scope["path"]
        response_headers = [(b"content-type", b"application/json")]
        if path == "/chunked":
            await send({"type": "http.response.start", "status": 200, "headers": response_headers})
            half = len(reply) // 2
            await send({"type": "http.response.body", "body": reply[:half], "more_body": True})
            await send({"type": "http.response.body", "body": reply[half:]})
            return
        response_headers.append((b"content-length", str(len(reply)).encode()))
        if path == "/close":
            response_headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": reply})

    return app


def aiohttp_app(seen: Seen, supplier: str) -> web.Application:
    """``/quote``: Content-Length; ``/chunked``: chunked; ``/gzip``: compressed by aiohttp."""

    async def handle(http: web.Request) -> web.StreamResponse:
        request = await http.json()
        seen.add(request, dict(http.headers))
        reply = quote(request, supplier)
        if http.path == "/chunked":
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(http)
            await response.write(reply[:10])
            await response.write(reply[10:])
            await response.write_eof()
            return response
        response = web.Response(body=reply, content_type="application/json")
        if http.path == "/gzip":
            response.enable_compression(web.ContentCoding.gzip)
        return response

    app = web.Application()
    app.router.add_post("/{path}", handle)
    return app


def stdlib_handler(seen: Seen, supplier: str) -> type[BaseHTTPRequestHandler]:
    """``http.server``: ``/hints`` sends 103 Early Hints then 200; ``/continue`` a 100 first;
    HTTP/1.0 replies (``/http10``) end with the connection, without a length."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            request = json.loads(self.rfile.read(length))
            seen.add(request, dict(self.headers))
            reply = quote(request, supplier)
            if self.path == "/http10":
                self.protocol_version = "HTTP/1.0"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply)
                self.close_connection = True
                return
            if self.path == "/hints":
                self.send_response_only(103)
                self.send_header("Link", "</style.css>; rel=preload; as=style")
                self.end_headers()
            elif self.path == "/continue":
                self.send_response_only(100)
                self.end_headers()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
