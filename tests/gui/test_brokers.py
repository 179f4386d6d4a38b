"""Broker suppliers in the window: their transport with its connection state, and their
broker URL's credentials shown nowhere (tables, tooltips, log, exports, logging)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from core.fleet import Fleet
from core.fleet._broker_responder import BrokerResponder
from gui.main_window import MainWindow
from gui.models.destinations_model import Column
from tests.brokers._support import AMQP_URL, QUICK, broker_supplier, unique
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy
from tests.gui.test_secrets import _everything_shown

pytestmark = [pytest.mark.gui, pytest.mark.broker]


async def _settled(task: asyncio.Task[None]) -> None:
    await asyncio.gather(task, return_exceptions=True)


def test_broker_suppliers_show_their_connection_and_never_their_credentials(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("qasync").setLevel(logging.INFO)
    password = "pw-" + secrets.token_hex(12)
    healthy(fleet)
    web = fleet.config.suppliers[0]
    served = broker_supplier("rabbit", "amqp", AMQP_URL, unique("gui"), QUICK)
    down = broker_supplier("down", "amqp", f"amqp://scott:{password}@127.0.0.1:1/", "q")
    config = fleet.config.model_validate(
        {
            "defaults": fleet.config.defaults.model_dump(),
            "suppliers": [web.model_dump(exclude_defaults=True), served, down],
        }
    )
    responder = BrokerResponder(config, "rabbit")
    ready = asyncio.Event()
    serving = aloop.loop.create_task(responder.serve(ready.set))
    try:
        aloop.until(ready.is_set)
        window = make_window(config)
        model = window.destinations_model
        transports = [model.index(row, Column.TRANSPORT).data() for row in range(3)]
        assert transports == ["http", "amqp · idle", "amqp · idle"]

        set_strategy(window, "all")
        comparison = compare(aloop, window)
        window.refresh_health(full=True)
        by_name = {s.name: s for s in comparison.suppliers}
        assert by_name["rabbit"].status == "ok"
        assert by_name["down"].status == "error"
        transports = [model.index(row, Column.TRANSPORT).data() for row in range(3)]
        assert transports == ["http", "amqp · connected", "amqp · disconnected"]
        addresses = [model.index(row, Column.ADDRESS).data() for row in range(1, 3)]
        assert addresses[1] == "amqp://***@127.0.0.1:1/ queue=q"

        export = tmp_path / "result.json"
        task = window.export_result(export)
        assert task is not None
        aloop.until(task.done)
        shown = list(_everything_shown(window))
    finally:
        serving.cancel()
        aloop.run(_settled(serving))
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert export in files
    assert not [text for text in shown if password in text or "scott" in text]
    assert not [path for path in files if password.encode() in path.read_bytes()]
    assert password not in caplog.text
