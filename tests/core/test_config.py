"""Config loading: every problem is one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

import core

GOOD = """
[defaults]
timeout = 5
supplier_timeout = 2.0
strategy = "majority"
min_responses = 1

[breaker]
open_seconds = 10

[[suppliers]]
name = "acme"
url = "http://127.0.0.1:9101/quote"
timeout = 1.0

[[suppliers]]
name = "globex"
url = "https://127.0.0.1:9102/quote"
sim = { markup = 1.1 }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scatterdash.toml"
    path.write_text(text)
    return path


def test_a_good_config_loads(tmp_path: Path) -> None:
    config = core.load_config(write(tmp_path, GOOD))
    assert config.defaults.timeout == 5.0 and config.defaults.strategy == "majority"
    assert config.breaker.open_seconds == 10.0 and config.breaker.consecutive_failures == 5
    assert [s.name for s in config.suppliers] == ["acme", "globex"]
    assert config.suppliers[0].timeout == 1.0


def test_names_may_hold_joiners_and_direction_marks() -> None:
    for name in ("👨\u200d👩\u200d👧 Family", "חנות\u200f", "ACME\xadparts"):
        config = core.parse_config({"suppliers": [{"name": name, "url": "http://127.0.0.1:9/q"}]})
        assert config.suppliers[0].name == name


def test_the_demo_config_loads() -> None:
    config = core.load_config(core.resource("demo.toml"))
    assert len(config.suppliers) >= 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("timeout = 5\n", 'timeout = "5"\n'),
            "defaults.timeout: Input should be a valid number",
        ),
        (
            GOOD.replace('strategy = "majority"', 'strategy = "cheapest"'),
            "defaults.strategy: Input should be",
        ),
        (
            GOOD.replace("min_responses = 1", "min_responses = 1\nretries = 3"),
            "defaults.retries: unknown key",
        ),
        (
            GOOD.replace('name = "globex"', 'name = "acme"'),
            "suppliers[1].name: duplicate supplier name 'acme'",
        ),
        (
            GOOD.replace("http://127.0.0.1:9101/quote", "127.0.0.1:9101"),
            "suppliers[0].url: '127.0.0.1:9101' is not an http(s) URL",
        ),
        (
            GOOD.replace("9101", "99999"),
            "suppliers[0].url: 'http://127.0.0.1:99999/quote' has an invalid port",
        ),
        (  # a broker URL written as url: its credentials are not echoed
            GOOD.replace("http://127.0.0.1:9101/quote", "amqp://ops:s3cret@127.0.0.1:5672/"),
            "suppliers[0].url: 'amqp://***@127.0.0.1:5672/' is not an http(s) URL",
        ),
        (
            GOOD.replace("http://127.0.0.1:9101/", "http://ops:s3cret@127.0.0.1:99999/"),
            "suppliers[0].url: 'http://***@127.0.0.1:99999/quote' has an invalid port",
        ),
        (
            GOOD.replace("timeout = 1.0", "timeout = -1.0"),
            "suppliers[0].timeout: Input should be greater than 0",
        ),
        ("[defaults]\ntimeout = 1\n", "suppliers: required key is missing"),
        (
            GOOD.replace("min_responses = 1", "min_responses = 0"),
            "defaults.min_responses: Input should be greater than or equal to 1",
        ),
        ("[[suppliers]]\nname = 'x'\n", "suppliers[0].url: required key is missing"),
        ("[defaults\n", "invalid TOML"),
        (GOOD.replace("open_seconds = 10", "open_secs = 10"), "breaker.open_secs: unknown key"),
        (
            GOOD.replace("open_seconds = 10", "open_seconds = inf"),
            "breaker.open_seconds: Input should be less than or equal to 86400",
        ),
        (
            GOOD.replace("open_seconds = 10", "window_size = 99999999999999999999"),
            "breaker.window_size: Input should be less than or equal to 1000000",
        ),
        ("x = " + "[" * 5000, "invalid TOML: nested too deeply"),
        (
            GOOD.replace("min_responses = 1", "min_responses = 3"),
            "defaults.min_responses: 3 is more than the 2 suppliers listed, so it can never be met",
        ),
        (
            GOOD.replace('name = "acme"', 'name = "acme "'),
            "suppliers[0].name: 'acme ' has spaces at its start or end",
        ),
        (
            GOOD.replace('name = "acme"', 'name = "acme\\u001b[31m"'),
            "suppliers[0].name: 'acme\\x1b[31m' holds control characters",
        ),
        (
            GOOD.replace('name = "acme"', 'name = "acme"\napi_key_header = "Host"'),
            "suppliers[0].api_key_header: 'Host' is set by Scatterdash itself",
        ),
        (
            GOOD.replace('name = "acme"', 'name = "acme"\napi_key_header = "X-Key\\r\\nB: 1"'),
            "suppliers[0].api_key_header: 'X-Key\\r\\nB: 1' is not an HTTP header name",
        ),
    ],
)
def test_bad_configs_name_file_key_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(core.ConfigError) as caught:
        core.load_config(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(core.ConfigError, match=r"missing\.toml: cannot read config: No such file"):
        core.load_config(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(core.ConfigError, match="not UTF-8"):
        core.load_config(binary)
