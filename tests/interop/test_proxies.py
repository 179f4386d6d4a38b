"""A real forward proxy (tinyproxy) between the client and its suppliers.

Plain ``http://`` suppliers are reached through it in absolute form (tinyproxy adds a
``Via`` header the supplier sees); ``https://`` ones through a CONNECT tunnel with TLS to
the supplier inside it (tinyproxy's log names the tunnel). The environment or the config
chooses the proxy; ``NO_PROXY`` and ``proxy = false`` bypass it.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

import core
from core import Status
from core.fleet import Fleet, embedded_demo_fleet
from core.health import HealthMonitor
from tests.fleet._helpers import quick
from tests.interop import apps, servers
from tests.support.scripted import closed_port

pytestmark = pytest.mark.timeout(60)

PASSWORD = "pr0xy-s3cret-Zq9"


def comparator(url: str, **options: Any) -> core.PriceComparator:
    defaults = options.pop("defaults", {})
    environ = options.pop("environ", None)
    supplier = {"name": "acme", "url": url, **options}
    config = core.parse_config({"defaults": defaults, "suppliers": [supplier]})
    return core.PriceComparator(config, environ=environ)


async def one_call(url: str, **options: Any) -> core.SupplierResult[core.Quote]:
    async with comparator(url, **options) as it:
        comparison = await it.compare("SKU-1", 1)
    return comparison.suppliers[0]


def via_proxy(seen: apps.Seen) -> list[bool]:
    return ["tinyproxy" in headers.get("via", "") for headers in seen.headers]


async def test_http_proxy_from_the_environment(
    uvicorn_port: int, seen: apps.Seen, proxy: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy[0]}")
    result = await one_call(f"http://127.0.0.1:{uvicorn_port}/quote")
    assert result.status is Status.OK, result.error
    assert via_proxy(seen) == [True]


async def test_lower_case_all_proxy_serves_http_too(
    uvicorn_port: int, seen: apps.Seen, proxy: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("all_proxy", f"127.0.0.1:{proxy[0]}")  # no scheme: http:// is meant
    result = await one_call(f"http://127.0.0.1:{uvicorn_port}/quote")
    assert result.status is Status.OK, result.error
    assert via_proxy(seen) == [True]


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1:{port}", "*"])
async def test_no_proxy_bypasses_it(
    uvicorn_port: int,
    seen: apps.Seen,
    proxy: tuple[int, Path],
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy[0]}")
    monkeypatch.setenv("NO_PROXY", no_proxy.format(port=uvicorn_port))
    result = await one_call(f"http://127.0.0.1:{uvicorn_port}/quote")
    assert result.status is Status.OK, result.error
    assert via_proxy(seen) == [False]


async def test_config_proxy_in_defaults_and_false_per_supplier(
    uvicorn_port: int, seen: apps.Seen, proxy: tuple[int, Path]
) -> None:
    url = f"http://127.0.0.1:{uvicorn_port}/quote"
    config = core.parse_config(
        {
            "defaults": {"proxy": f"http://127.0.0.1:{proxy[0]}"},
            "suppliers": [
                {"name": "proxied", "url": url},
                {"name": "direct", "url": url, "proxy": False},
            ],
        }
    )
    async with core.PriceComparator(config, environ={}) as it:
        comparison = await it.compare("SKU-1", 1, strategy="all")
    assert [r.status for r in comparison.suppliers] == [Status.OK, Status.OK]
    assert sorted(via_proxy(seen)) == [False, True]


async def test_config_proxy_wins_over_the_environment(
    uvicorn_port: int, seen: apps.Seen, proxy: tuple[int, Path]
) -> None:
    environ = {"HTTP_PROXY": f"http://127.0.0.1:{closed_port()}"}
    result = await one_call(
        f"http://127.0.0.1:{uvicorn_port}/quote",
        proxy=f"http://127.0.0.1:{proxy[0]}",
        environ=environ,
    )
    assert result.status is Status.OK, result.error
    assert via_proxy(seen) == [True]


async def test_a_refused_proxy_is_an_error_naming_the_proxy(uvicorn_port: int) -> None:
    port = closed_port()
    result = await one_call(
        f"http://127.0.0.1:{uvicorn_port}/quote", environ={"HTTP_PROXY": f"127.0.0.1:{port}"}
    )
    assert result.status is Status.ERROR
    assert result.error == f"proxy http://127.0.0.1:{port}: connection refused"


async def test_a_proxy_that_cannot_reach_the_supplier_is_named(proxy: tuple[int, Path]) -> None:
    result = await one_call(
        f"http://127.0.0.1:{closed_port()}/quote", proxy=f"http://127.0.0.1:{proxy[0]}"
    )
    assert result.status is Status.ERROR
    # tinyproxy says 500 where others say 502: either way the proxy is named
    assert result.error == f"HTTP 500 Unable to connect (through proxy http://127.0.0.1:{proxy[0]})"


@pytest.fixture
def authenticating_proxy(tmp_path: Path) -> Iterator[int]:
    prefix = tmp_path / "authproxy"
    prefix.mkdir()
    with servers.tinyproxy(prefix, credentials=("operator", PASSWORD)) as (port, _):
        yield port


async def test_proxy_credentials_are_sent_and_never_shown(
    uvicorn_port: int,
    seen: apps.Seen,
    authenticating_proxy: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://127.0.0.1:{uvicorn_port}/quote"
    good = f"http://operator:{PASSWORD}@127.0.0.1:{authenticating_proxy}"
    bad = f"http://operator:wrong-{PASSWORD}@127.0.0.1:{authenticating_proxy}"
    events: list[core.Event] = []
    shown: list[str] = []
    for proxy_url in (good, bad, f"http://127.0.0.1:{authenticating_proxy}"):
        async with comparator(url, proxy=proxy_url) as it:
            it.events.subscribe(events.append)
            comparison = await it.compare("SKU-1", 1)
            shown += [json.dumps(comparison.to_dict()), repr(it.config)]
        shown.append(repr(comparison))
    ok, wrong, missing = (e.result for e in events if isinstance(e, core.CallResult))
    assert ok.status is Status.OK, ok.error
    assert via_proxy(seen) == [True]
    assert "proxy-authorization" not in seen.headers[0]  # the proxy took it, not the supplier
    shown_proxy = f"http://127.0.0.1:{authenticating_proxy}"
    # tinyproxy answers wrong credentials with 401, missing ones with 407
    assert wrong.error == f"HTTP 401 Unauthorized (through proxy {shown_proxy})"
    assert missing.error == f"proxy {shown_proxy} answered HTTP 407 Proxy Authentication Required"
    shown += [caplog.text, *(repr(e) for e in events)]
    assert not [text for text in shown if PASSWORD in text]


# -- https through a CONNECT tunnel ----------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_supplier(ca: trustme.CA, seen: apps.Seen) -> AsyncIterator[tuple[int, list[str]]]:
    """aiohttp over TLS for ``localhost``: (port, [SNI name, ALPN protocol] per handshake)."""
    handshakes: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["h2", "http/1.1"])

    def on_sni(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        handshakes.append(name or "")

    context.sni_callback = on_sni  # type: ignore[assignment]
    app = apps.aiohttp_app(seen, "tls")

    @web.middleware
    async def record_alpn(request: web.Request, handler: Any) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        handshakes.append(transport.get_extra_info("ssl_object").selected_alpn_protocol())
        return await handler(request)  # type: ignore[no-any-return]

    app.middlewares.append(record_alpn)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    assert site._server is not None
    try:
        yield site._server.sockets[0].getsockname()[1], handshakes
    finally:
        await runner.cleanup()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


async def test_https_through_a_connect_tunnel_from_the_environment(
    tls_supplier: tuple[int, list[str]], ca_file: str, proxy: tuple[int, Path]
) -> None:
    port, handshakes = tls_supplier
    environ = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy[0]}", "SSL_CERT_FILE": ca_file}
    result = await one_call(f"https://localhost:{port}/quote", environ=environ)
    assert result.status is Status.OK, result.error
    assert f"CONNECT localhost:{port} HTTP/1.1" in proxy[1].read_text()
    assert handshakes == ["localhost", "http/1.1"]  # SNI and ALPN, end to end through the tunnel


async def test_https_through_the_config_proxy_with_a_ca_bundle(
    tls_supplier: tuple[int, list[str]], ca_file: str, proxy: tuple[int, Path]
) -> None:
    port, _ = tls_supplier
    result = await one_call(
        f"https://localhost:{port}/quote",
        proxy=f"http://127.0.0.1:{proxy[0]}",
        ca_bundle=ca_file,
        environ={},
    )
    assert result.status is Status.OK, result.error
    assert f"CONNECT localhost:{port}" in proxy[1].read_text()


async def test_the_supplier_certificate_is_verified_inside_the_tunnel(
    tls_supplier: tuple[int, list[str]], proxy: tuple[int, Path]
) -> None:
    port, _ = tls_supplier
    result = await one_call(
        f"https://localhost:{port}/quote", proxy=f"http://127.0.0.1:{proxy[0]}", environ={}
    )
    assert result.status is Status.ERROR
    assert result.error is not None and "CERTIFICATE_VERIFY_FAILED" in result.error


async def test_a_tunnel_refused_for_want_of_credentials_names_the_proxy(
    tls_supplier: tuple[int, list[str]], ca_file: str, authenticating_proxy: int
) -> None:
    port, _ = tls_supplier
    result = await one_call(
        f"https://localhost:{port}/quote",
        proxy=f"http://127.0.0.1:{authenticating_proxy}",
        ca_bundle=ca_file,
    )
    assert result.status is Status.ERROR
    assert result.error == (
        f"proxy http://127.0.0.1:{authenticating_proxy}: refused the tunnel to "
        f"localhost:{port}: HTTP 407 Proxy Authentication Required"
    )


async def test_the_demo_fleets_are_never_proxied() -> None:
    """An operator behind a proxy still gets the demo: its suppliers are on this machine."""
    environ = {"HTTP_PROXY": f"http://127.0.0.1:{closed_port()}"}
    async with embedded_demo_fleet(latency_scale=0.01) as demo, Fleet([quick("a")]) as generated:
        for fleet in (demo, generated):
            async with core.PriceComparator(fleet.config, environ=environ) as it:
                comparison = await it.compare("SKU-123", 1, strategy="all")
            errors = [r.error for r in comparison.suppliers if r.status is Status.ERROR]
            assert not [e for e in errors if e and "proxy" in e]
            assert comparison.quotes


async def test_vv_names_the_tunnel_and_tls_and_never_the_proxy_password(
    tls_supplier: tuple[int, list[str]],
    ca_file: str,
    uvicorn_port: int,
    authenticating_proxy: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="scatterdash.http")
    port, _ = tls_supplier
    proxy = f"http://operator:{PASSWORD}@127.0.0.1:{authenticating_proxy}"
    tunnelled = await one_call(
        f"https://localhost:{port}/quote", proxy=proxy, ca_bundle=ca_file, environ={}
    )
    forwarded = await one_call(f"http://127.0.0.1:{uvicorn_port}/quote", proxy=proxy, environ={})
    assert tunnelled.status is forwarded.status is Status.OK, (tunnelled.error, forwarded.error)
    shown = f"http://127.0.0.1:{authenticating_proxy}"
    new = [r.getMessage() for r in caplog.records if r.getMessage().startswith("new connection")]
    assert new[0].startswith(
        f"new connection to https://localhost:{port}, tunnel through proxy {shown}, TLSv1."
    )
    assert new[1].startswith(
        f"new connection to http://127.0.0.1:{uvicorn_port}, through proxy {shown}, plain, "
    )
    assert PASSWORD not in caplog.text


async def test_a_status_inside_the_tunnel_is_the_supplier_s_not_the_proxy_s(
    ca: trustme.CA, ca_file: str, proxy: tuple[int, Path]
) -> None:
    """The proxy cannot write inside a CONNECT tunnel: a 503 there is the supplier's, and
    naming the proxy would send the operator after the wrong machine."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)

    async def overloaded(request: web.Request) -> web.Response:
        return web.Response(status=503, text="busy")

    app = web.Application()
    app.router.add_post("/quote", overloaded)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]
    try:
        result = await one_call(
            f"https://localhost:{port}/quote",
            proxy=f"http://127.0.0.1:{proxy[0]}",
            ca_bundle=ca_file,
            environ={},
        )
    finally:
        await runner.cleanup()
    assert result.status is Status.ERROR
    assert result.error == "HTTP 503 Service Unavailable"
    assert f"CONNECT localhost:{port}" in proxy[1].read_text()


async def test_a_probe_through_a_refusing_proxy_names_it_as_a_call_does(
    uvicorn_port: int, authenticating_proxy: int
) -> None:
    shown_proxy = f"http://127.0.0.1:{authenticating_proxy}"
    async with comparator(
        f"http://127.0.0.1:{uvicorn_port}/quote",
        health_url=f"http://127.0.0.1:{uvicorn_port}/healthz",
        proxy=shown_proxy,
        environ={},
    ) as it:
        probe = await HealthMonitor(it).probe("acme")
        call = (await it.compare("SKU-1", 1)).suppliers[0]
    assert probe is not None and probe.status == "error"
    assert probe.error == call.error
    assert call.error == f"proxy {shown_proxy} answered HTTP 407 Proxy Authentication Required"
