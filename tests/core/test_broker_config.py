"""Broker supplier config: the keys of each transport, one-line errors naming the key,
credentials never repeated, ``broker_env`` read when the comparator is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import core

ISSUE_EXAMPLE = """
[[suppliers]]
name = "acme"
transport = "amqp"
broker = "amqp://guest:guest@127.0.0.1:5672/"
queue = "quotes.acme"

[[suppliers]]
name = "zenith"
transport = "nats"
broker = "nats://127.0.0.1:4222"
subject = "quotes.zenith"

[[suppliers]]
name = "kappa"
transport = "kafka"
broker = "127.0.0.1:9092"
topic = "quotes.kappa"

[[suppliers]]
name = "web"
url = "http://127.0.0.1:9101/quote"
"""


def test_the_issue_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "brokers.toml"
    path.write_text(ISSUE_EXAMPLE)
    config = core.load_config(path)
    kinds = [(s.transport, s.broker, s.queue or s.subject or s.topic) for s in config.suppliers]
    assert kinds == [
        ("amqp", "amqp://guest:guest@127.0.0.1:5672/", "quotes.acme"),
        ("nats", "nats://127.0.0.1:4222", "quotes.zenith"),
        ("kafka", "127.0.0.1:9092", "quotes.kappa"),
        ("http", None, None),
    ]
    assert [core.display_address(s) for s in config.suppliers] == [
        "amqp://***@127.0.0.1:5672/ queue=quotes.acme",
        "nats://127.0.0.1:4222 subject=quotes.zenith",
        "127.0.0.1:9092 topic=quotes.kappa",
        "http://127.0.0.1:9101/quote",
    ]


def _error(supplier: dict[str, Any]) -> str:
    with pytest.raises(core.ConfigError) as caught:
        core.parse_config({"suppliers": [supplier]}, "f.toml")
    return str(caught.value)


AMQP = {"name": "a", "transport": "amqp", "broker": "amqp://127.0.0.1/", "queue": "q"}


@pytest.mark.parametrize(
    ("supplier", "message"),
    [
        ({**AMQP, "transport": "mqtt"}, "f.toml: suppliers[0].transport: Input should be"),
        (
            {k: v for k, v in AMQP.items() if k != "queue"},
            "suppliers[0].queue: required for transport amqp",
        ),
        (
            {**AMQP, "subject": "s"},
            "suppliers[0].subject: not used with transport amqp (use queue)",
        ),
        (
            {**AMQP, "url": "http://127.0.0.1/quote"},
            "suppliers[0].url: not used with transport amqp",
        ),
        (
            {k: v for k, v in AMQP.items() if k != "broker"},
            "suppliers[0].broker: give either broker or broker_env",
        ),
        ({**AMQP, "broker_env": "X"}, "suppliers[0].broker: give either broker or broker_env"),
        (
            {**AMQP, "api_key_env": "ACME_KEY"},
            "suppliers[0].api_key_env: only for http suppliers, not transport amqp",
        ),
        (
            {**AMQP, "proxy": "http://127.0.0.1:3128"},
            "suppliers[0].proxy: only for http suppliers, not transport amqp",
        ),
        (
            {**AMQP, "broker": "http://127.0.0.1/"},
            "suppliers[0].broker: 'http://127.0.0.1/' is not a amqp:// or amqps:// URL",
        ),
        (
            {**AMQP, "broker": "amqp://127.0.0.1:99999/"},
            "suppliers[0].broker: 'amqp://127.0.0.1:99999/' has an invalid port",
        ),
        (
            {**AMQP, "queue": "has space"},
            "suppliers[0].queue: 'has space' is not a valid queue name",
        ),
        (
            {**AMQP, "queue": "é" * 150},
            f"suppliers[0].queue: {'é' * 64!r}… is longer than 255 bytes in UTF-8",
        ),
        (
            {**AMQP, "transport": "nats", "queue": None, "subject": "a.*", "broker": "nats://h"},
            "suppliers[0].subject: 'a.*' is not a valid subject name",
        ),
        (
            {"name": "k", "transport": "kafka", "broker": "kafka://h:9092", "topic": "t"},
            "suppliers[0].broker: 'kafka://h:9092' is not a Kafka bootstrap list",
        ),
        (
            {"name": "h", "url": "http://127.0.0.1/quote", "queue": "q"},
            "suppliers[0].queue: only for a broker transport, not http",
        ),
        (
            {"name": "h", "url": "http://127.0.0.1/quote", "broker": "amqp://h/"},
            "suppliers[0].broker: only for transport amqp, nats or kafka",
        ),
        ({"name": "h"}, "suppliers[0].url: required key is missing"),
        (
            {**AMQP, "broker": None, "broker_env": "amqp://u:p@h/"},
            "suppliers[0].broker_env: must be the name of an environment variable",
        ),
    ],
)
def test_a_bad_broker_key_is_one_line_naming_it(supplier: dict[str, Any], message: str) -> None:
    supplier = {k: v for k, v in supplier.items() if v is not None}
    error = _error(supplier)
    assert message in error
    assert "\n" not in error


def test_a_bad_broker_url_is_shown_without_its_password() -> None:
    error = _error({**AMQP, "broker": "amqps://scott:tiger-secret@127.0.0.1:x/"})
    assert "suppliers[0].broker" in error
    assert "tiger-secret" not in error and "scott" not in error


def test_kafka_takes_a_bootstrap_list() -> None:
    config = core.parse_config(
        {
            "suppliers": [
                {"name": "k", "transport": "kafka", "broker": "a:9092, b:9093", "topic": "t"}
            ]
        }
    )
    assert config.suppliers[0].broker == "a:9092, b:9093"


def test_broker_env_is_read_when_the_comparator_is_built() -> None:
    supplier = {"name": "a", "transport": "amqp", "broker_env": "ACME_BROKER", "queue": "q"}
    config = core.parse_config({"suppliers": [supplier]}, "f.toml")
    with pytest.raises(
        core.ConfigError,
        match=r"^f.toml: suppliers\[0\].broker_env: environment variable ACME_BROKER is not set$",
    ):
        core.PriceComparator(config, environ={})
    with pytest.raises(core.ConfigError) as caught:
        core.PriceComparator(config, environ={"ACME_BROKER": "http://u:tiger-secret@h/"})
    assert "suppliers[0].broker_env: environment variable ACME_BROKER" in str(caught.value)
    assert "tiger-secret" not in str(caught.value)
    comparator = core.PriceComparator(
        config, environ={"ACME_BROKER": "amqp://u:tiger-secret@127.0.0.1/"}
    )
    assert comparator.connection_state("a") == "idle"
    assert core.display_address(config.suppliers[0]) == "$ACME_BROKER queue=q"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/", "amqp://***@127.0.0.1:5672/"),
        ("amqps://token@broker.example/vhost", "amqps://***@broker.example/vhost"),
        ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
        ("amqp://u:p%40ss@h/", "amqp://***@h/"),
        ("127.0.0.1:9092", "127.0.0.1:9092"),
        ("amqp://ops:Hunter2@rabbit:5672/ops@eu", "amqp://***@rabbit:5672/ops@eu"),
        ("amqp://u:p@ss@h/v", "amqp://***@h/v"),
        ("amqp://guest:pa/SECRET@127.0.0.1:5672/", "amqp://***@127.0.0.1:5672/"),
        # safety first: an @ after a colon cannot be told from a password's
        ("nats://h:4222?name=a@b", "nats://***@b"),
        ("amqp://u:2024/secret@host", "amqp://***@host"),
        ("amqp://u:12#x@host", "amqp://***@host"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert core.mask_url(url) == masked


@pytest.mark.parametrize(
    ("kind", "place", "ok"),
    [
        ("amqp", "quotes:acme/eu", True),
        ("amqp", "amq.rabbitmq.reply-to", False),
        ("amqp", "two words", False),
        ("nats", "quotes.acme", True),
        ("nats", "quotes.>", False),
        ("nats", "quotes..acme", False),
        ("kafka", "quotes.acme_eu-1", True),
        ("kafka", "quotes:acme", False),
    ],
)
def test_where_requests_go_is_checked_per_transport(kind: str, place: str, ok: bool) -> None:
    key = {"amqp": "queue", "nats": "subject", "kafka": "topic"}[kind]
    broker = {"amqp": "amqp://h/", "nats": "nats://h", "kafka": "h:9092"}[kind]
    supplier = {"name": "s", "transport": kind, "broker": broker, key: place}
    if ok:
        core.parse_config({"suppliers": [supplier]})
    else:
        assert f"suppliers[0].{key}: " in _error(supplier)
