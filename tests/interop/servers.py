"""Real servers on 127.0.0.1, started and stopped by the tests: uvicorn (h11), hypercorn,
stdlib ``http.server`` (each in a thread with a loop of its own), nginx and tinyproxy (Debian
packages, as subprocesses with a temporary config and prefix)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig

#: servers close keep-alive connections idle this long (seconds): the tests wait longer
IDLE_TIMEOUT = 1
#: servers close a keep-alive connection after this many requests
MAX_REQUESTS = 3


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)  # polling a subprocess's port: there is no event to await
    raise RuntimeError(f"{what} did not listen on {port}")


@contextlib.contextmanager
def uvicorn_server(app: Any) -> Iterator[int]:
    """uvicorn with its h11 protocol, idle keep-alive closed after IDLE_TIMEOUT."""
    sock = listening_socket()
    config = uvicorn.Config(
        app,
        http="h11",
        loop="asyncio",
        lifespan="off",
        timeout_keep_alive=IDLE_TIMEOUT,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)  # another thread's loop: no event of ours to await
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def hypercorn_server(app: Any) -> Iterator[int]:
    """hypercorn (h11 for HTTP/1.1), idle keep-alive closed after IDLE_TIMEOUT and after
    MAX_REQUESTS requests on one connection."""
    sock = listening_socket()
    config = HypercornConfig()
    config.bind = [f"fd://{sock.fileno()}"]
    config.keep_alive_timeout = IDLE_TIMEOUT
    config.keep_alive_max_requests = MAX_REQUESTS
    config.accesslog = None
    config.errorlog = None
    started = threading.Event()
    stop: list[asyncio.Event] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def run() -> None:
        stop.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        asyncio.get_running_loop().call_soon(started.set)
        await hypercorn_serve(app, config, shutdown_trigger=stop[0].wait, mode="asgi")

    thread = threading.Thread(target=lambda: asyncio.run(run()))
    thread.start()
    try:
        if not started.wait(10):
            raise RuntimeError("hypercorn did not start")
        yield sock.getsockname()[1]
    finally:
        loops[0].call_soon_threadsafe(stop[0].set)
        thread.join(10)
        sock.detach()  # hypercorn closed the descriptor it was given


@contextlib.contextmanager
def stdlib_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """``http.server``: closes a keep-alive connection idle for IDLE_TIMEOUT."""
    handler.timeout = IDLE_TIMEOUT
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_timeout {idle}s;
    keepalive_requests {max_requests};
    gzip on;
    gzip_types application/json;
    gzip_min_length 1;
    gzip_proxied any;
    upstream supplier {{ server 127.0.0.1:{upstream}; keepalive 4; }}
    server {{
        listen 127.0.0.1:{port};
        location = /static {{
            default_type application/json;
            add_header X-Correlation-ID $http_x_correlation_id;
            return 200 '{{"supplier_id": "nginx", "product_id": "SKU-1", "unit_price": 2.5, "total_price": 2.5, "currency": "EUR", "valid_until": "2030-01-01T00:00:00+00:00", "in_stock": true, "delivery_days": 2, "correlation_id": "$http_x_correlation_id"}}';
        }}
        location = /proxied {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://supplier/quote;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx(tmp: Path, upstream: int) -> Iterator[int]:
    """nginx serving a static quote at ``/static`` and reverse-proxying ``/proxied`` to
    ``upstream``, gzip on, keep-alive closed when idle and after MAX_REQUESTS."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            prefix=tmp, port=port, upstream=upstream, idle=IDLE_TIMEOUT, max_requests=MAX_REQUESTS
        )
    )
    process = subprocess.Popen(
        [binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process, "nginx")
        yield port
    finally:
        process.terminate()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


TINYPROXY_CONF = """
Port {port}
Listen 127.0.0.1
Timeout 30
MaxClients 50
Allow 127.0.0.1
LogFile "{log}"
LogLevel Connect
PidFile "{prefix}/tinyproxy.pid"
{auth}
"""


@contextlib.contextmanager
def tinyproxy(
    tmp: Path, *, credentials: tuple[str, str] | None = None
) -> Iterator[tuple[int, Path]]:
    """tinyproxy, a real forward proxy: ``(port, log file)``; the log names every request
    it forwarded (``CONNECT host:port`` for a tunnel)."""
    binary = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
    port = free_port()
    log = tmp / "tinyproxy.log"
    auth = f"BasicAuth {credentials[0]} {credentials[1]}" if credentials else ""
    conf = tmp / "tinyproxy.conf"
    conf.write_text(TINYPROXY_CONF.format(port=port, log=log, prefix=tmp, auth=auth))
    process = subprocess.Popen(
        [binary, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process, "tinyproxy")
        yield port, log
    finally:
        process.terminate()
        process.wait(10)
