"""Which proxy a call takes: httpx's environment rules, then the config's override."""

from __future__ import annotations

import asyncio
import base64
import re
from urllib.parse import urlsplit

import pytest

import core
from core.transports.http._proxy import Proxy, parse_proxy, pick_proxy

PROXY = "http://proxy.corp:3128"


def chosen(environ: dict[str, str], url: str = "http://api.example.com/quote") -> str | None:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    assert parts.hostname is not None
    proxy = pick_proxy(None, parts.scheme, parts.hostname, parts.port or default, environ)
    return proxy.url if proxy is not None else None


@pytest.mark.parametrize(
    ("environ", "url", "expected"),
    [
        ({}, "http://a.example/", None),
        ({"HTTP_PROXY": PROXY}, "http://a.example/", PROXY),
        ({"http_proxy": PROXY}, "http://a.example/", PROXY),
        ({"HTTP_PROXY": PROXY}, "https://a.example/", None),
        ({"HTTPS_PROXY": PROXY}, "https://a.example/", PROXY),
        ({"ALL_PROXY": PROXY}, "https://a.example/", PROXY),
        (
            {"all_proxy": PROXY, "HTTP_PROXY": "http://other:1"},
            "http://a.example/",
            "http://other:1",
        ),
        (
            {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:2"},
            "http://a/",
            "http://lower:2",
        ),
        ({"HTTP_PROXY": "proxy.corp:3128"}, "http://a.example/", PROXY),
        # NO_PROXY, as httpx reads it
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "*"}, "http://a.example/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "example.com"}, "http://example.com/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "example.com"}, "http://api.example.com/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "example.com"}, "http://notexample.com/", PROXY),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": ".example.com"}, "http://example.com/", PROXY),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": ".example.com"}, "http://api.example.com/", None),
        ({"HTTP_PROXY": PROXY, "no_proxy": " a.b , 10.0.0.7 "}, "http://10.0.0.7/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "10.0.0.7"}, "http://10.0.0.70/", PROXY),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "localhost"}, "http://localhost:8080/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "::1"}, "http://[::1]:8080/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "a.example:8080"}, "http://a.example:8080/", None),
        ({"HTTP_PROXY": PROXY, "NO_PROXY": "a.example:8080"}, "http://a.example:9090/", PROXY),
        ({"ALL_PROXY": PROXY, "NO_PROXY": "https://a.example"}, "https://a.example/", None),
        ({"ALL_PROXY": PROXY, "NO_PROXY": "https://a.example"}, "http://a.example/", PROXY),
        # CGI: HTTP_PROXY may be a request header in disguise ("httpoxy")
        ({"HTTP_PROXY": PROXY, "REQUEST_METHOD": "GET"}, "http://a.example/", None),
    ],
)
def test_environment_rules(environ: dict[str, str], url: str, expected: str | None) -> None:
    assert chosen(environ, url) == expected


def test_the_config_wins_over_the_environment_and_false_means_direct() -> None:
    environ = {"HTTP_PROXY": PROXY}
    assert pick_proxy("http://mine:8080", "http", "a", 80, environ) == Proxy("mine", 8080)
    assert pick_proxy(False, "http", "a", 80, environ) is None


def test_credentials_become_a_header_and_are_never_shown() -> None:
    proxy = parse_proxy("http://us%40er:p%3Ass@proxy.corp:3128")
    assert proxy.authorization == b"Basic " + base64.b64encode(b"us@er:p:ss")
    assert proxy.url == "http://proxy.corp:3128"
    assert "p:ss" not in repr(proxy) and "p%3Ass" not in repr(proxy) and "p%3Ass" not in str(proxy)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "socks5://user:hunter2@h:1080",
            "unsupported proxy scheme 'socks5' (only http:// proxies)",
        ),
        ("https://user:hunter2@h:443", "unsupported proxy scheme 'https' (only http:// proxies)"),
        ("http://user:hunter2@h:99999", "not a proxy URL (expected http://host:port)"),
        ("http://:3128", "proxy URL has no host (expected http://host:port)"),
    ],
)
def test_an_unusable_proxy_url_is_refused_without_repeating_it(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        parse_proxy(url)
    assert str(raised.value) == message


def test_an_unusable_environment_proxy_names_its_variable() -> None:
    with pytest.raises(ValueError, match=r"^ALL_PROXY: unsupported proxy scheme 'socks5'"):
        pick_proxy(None, "http", "a", 80, {"ALL_PROXY": "socks5://h:1080"})


@pytest.mark.parametrize(
    ("defaults", "supplier", "message"),
    [
        ({}, {"proxy": "socks5://u:hunter2@h:1"}, "suppliers[0].proxy: unsupported proxy scheme"),
        ({}, {"proxy": True}, "suppliers[0].proxy: must be an http:// proxy URL or false"),
        ({"proxy": 3128}, {}, "defaults.proxy: must be an http:// proxy URL or false"),
        ({"connect_timeout": 0}, {}, "defaults.connect_timeout: "),
    ],
)
def test_config_errors_name_the_key_and_never_the_password(
    defaults: dict[str, object], supplier: dict[str, object], message: str
) -> None:
    with pytest.raises(core.ConfigError) as raised:
        core.parse_config(
            {
                "defaults": defaults,
                "suppliers": [{"name": "a", "url": "http://a.example/q", **supplier}],
            },
            "s.toml",
        )
    assert str(raised.value).startswith(f"s.toml: {message}")
    assert "hunter2" not in str(raised.value)


def test_a_configured_proxy_password_stays_out_of_the_config_repr() -> None:
    config = core.parse_config(
        {
            "defaults": {"proxy": "http://u:hunter2@p:1"},
            "suppliers": [{"name": "a", "url": "http://a/q", "proxy": "http://u:hunter2@p:2"}],
        }
    )
    assert config.defaults.proxy == "http://u:hunter2@p:1"
    assert "hunter2" not in repr(config)


def test_an_unusable_environment_proxy_is_a_call_error_naming_the_variable() -> None:
    async def run() -> core.SupplierResult[core.Quote]:
        config = core.parse_config({"suppliers": [{"name": "a", "url": "http://127.0.0.1:9/q"}]})
        environ = {"HTTP_PROXY": "socks5://u:hunter2@h:1080"}
        async with core.PriceComparator(config, environ=environ) as comparator:
            return (await comparator.compare("SKU-1", 1)).suppliers[0]

    result = asyncio.run(run())
    assert result.status is core.Status.ERROR
    assert (
        result.error
        == "proxy: HTTP_PROXY: unsupported proxy scheme 'socks5' (only http:// proxies)"
    )
