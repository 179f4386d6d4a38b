"""How a supplier URL is shown: host:port in the table, no secrets anywhere."""

from __future__ import annotations

import pytest

from core import host_port, public_url


@pytest.mark.parametrize(
    ("url", "short", "shown"),
    [
        ("http://127.0.0.1:9101/quote", "127.0.0.1:9101", "http://127.0.0.1:9101/quote"),
        (
            "https://bob:s3cret@quotes.example/v1?key=abc#x",
            "quotes.example:443",
            "https://quotes.example:443/v1",
        ),
        ("http://[::1]:8080/q", "[::1]:8080", "http://[::1]:8080/q"),
        ("http://host.example/q", "host.example:80", "http://host.example:80/q"),
    ],
)
def test_addresses_keep_no_credentials_or_query(url: str, short: str, shown: str) -> None:
    assert host_port(url) == short
    assert public_url(url) == shown
    assert "s3cret" not in public_url(url) and "abc" not in public_url(url)
