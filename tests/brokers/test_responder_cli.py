"""`scatterdash responder` as real processes: ready line, -v logging, exit codes, and the
scale-out story: two responders share a queue, one is killed mid-run, comparisons go on."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

import core
from tests.brokers._support import unique
from tests.support.cli import start

pytestmark = [pytest.mark.broker, pytest.mark.timeout(90)]


async def until_ready(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert line.startswith(b"responder ready"), line
    return line.decode()


def write_config(tmp_path: Path, url: str, queue: str, latency_ms: float = 30.0) -> Path:
    path = tmp_path / "brokers.toml"
    path.write_text(
        f"""
[defaults]
timeout = 8
supplier_timeout = 6

[[suppliers]]
name = "shared"
transport = "amqp"
broker = "{url}"
queue = "{queue}"
sim = {{ latency_ms = {latency_ms}, latency_spread = 0.0, stock = 1.0 }}

[[suppliers]]
name = "web"
url = "http://127.0.0.1:9/quote"
"""
    )
    return path


async def test_two_responders_share_the_work_and_one_killed_mid_run_loses_nothing(
    amqp_url: str, tmp_path: Path
) -> None:
    path = write_config(tmp_path, amqp_url, unique("scale"))
    first = await start("responder", "--config", str(path), "--name", "shared", "-v")
    second = await start("responder", "--config", str(path), "--name", "shared", "-v")
    try:
        ready = await until_ready(first)
        await until_ready(second)
        assert "amqp://***@127.0.0.1:5672/" in ready and "guest" not in ready
        config = core.load_config(path)
        enabled = config.model_copy(update={"suppliers": config.suppliers[:1]})
        outcomes: list[core.Comparison] = []
        async with core.PriceComparator(enabled) as comparator:

            async def batch(product: str = "SKU-100") -> None:
                outcomes.extend(
                    await asyncio.gather(*(comparator.compare(product, n) for n in range(1, 9)))
                )

            for _ in range(3):
                await batch()
            # killed with requests in flight (it logs a request as it takes it, then works
            # 30 ms on it): RabbitMQ hands the unacknowledged ones to the survivor
            running = asyncio.create_task(batch("SKU-KILL"))
            assert first.stderr is not None
            while b"shared: SKU-KILL" not in await asyncio.wait_for(first.stderr.readline(), 10):
                pass
            first.kill()
            await first.wait()
            await running
            for _ in range(3):
                await batch()
    finally:
        for process in (first, second):
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        _, survivor_log = await asyncio.wait_for(second.communicate(), 20)
        await asyncio.wait_for(first.communicate(), 20)
    assert second.returncode == 0
    assert len(outcomes) == 56
    assert all(o.decided for o in outcomes), [o.error for o in outcomes if not o.decided]
    survivor = survivor_log.decode()
    assert survivor.count("shared: SKU-100") >= 24, "it took over the whole load after the kill"
    assert "shared: SKU-KILL" in survivor


async def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write_config(tmp_path, "amqp://guest:guest@127.0.0.1:5672/", "q")
    for name, expected in (
        ("nobody", "no supplier named 'nobody'"),
        ("web", "suppliers[1].transport: 'web' is an http supplier"),
    ):
        process = await start("responder", "--config", str(path), "--name", name)
        _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2
        assert expected in err.decode() and len(err.decode().splitlines()) == 1


async def test_an_unreachable_broker_exits_1_without_showing_credentials(tmp_path: Path) -> None:
    path = write_config(tmp_path, "amqp://scott:tiger-secret@127.0.0.1:1/", "q")
    process = await start("responder", "--config", str(path), "--name", "shared")
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    message = err.decode()
    assert "responder shared: cannot connect to the broker" in message
    assert "tiger-secret" not in message + out.decode()
    assert len(message.splitlines()) == 1


async def test_vv_names_a_broker_supplier_by_its_masked_broker_and_queue(
    amqp_url: str, tmp_path: Path
) -> None:
    path = write_config(tmp_path, amqp_url, unique("nobody-serves"))
    process = await start(
        "compare", "--config", str(path), "--product", "SKU-1", "--quantity", "1", "-vv"
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    lines = [line for line in err.decode().splitlines() if line.startswith("supplier shared")]
    assert len(lines) == 1, err.decode()
    assert "queue=test.nobody-serves." in lines[0] and "127.0.0.1:5672" in lines[0]
    assert "://?" not in lines[0] and "guest:guest" not in err.decode()
