"""Fixtures for the interoperability suite: real third-party servers and a real proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.interop import apps, servers


@pytest.fixture
def seen() -> apps.Seen:
    return apps.Seen()


@pytest.fixture
def uvicorn_port(seen: apps.Seen) -> Iterator[int]:
    with servers.uvicorn_server(apps.asgi_app(seen, "uvicorn")) as port:
        yield port


@pytest.fixture
def hypercorn_port(seen: apps.Seen) -> Iterator[int]:
    with servers.hypercorn_server(apps.asgi_app(seen, "hypercorn")) as port:
        yield port


@pytest.fixture
def stdlib_port(seen: apps.Seen) -> Iterator[int]:
    with servers.stdlib_server(apps.stdlib_handler(seen, "stdlib")) as port:
        yield port


@pytest.fixture
async def aiohttp_port(seen: apps.Seen) -> AsyncIterator[int]:
    runner = web.AppRunner(
        apps.aiohttp_app(seen, "aiohttp"),
        access_log=None,
        keepalive_timeout=servers.IDLE_TIMEOUT,
        shutdown_timeout=0.1,
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        await runner.cleanup()


@pytest.fixture
def nginx_port(tmp_path: Path, uvicorn_port: int) -> Iterator[int]:
    """nginx in front of uvicorn (``/proxied``) and with a static quote (``/static``)."""
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    with servers.nginx(prefix, uvicorn_port) as port:
        yield port


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """tinyproxy: (port, log file)."""
    prefix = tmp_path / "tinyproxy"
    prefix.mkdir()
    with servers.tinyproxy(prefix) as found:
        yield found
