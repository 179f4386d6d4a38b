"""A proxy's credentials never reach the window; a refusing proxy is named in it."""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Callable

import pytest

from core.fleet import Fleet
from gui.main_window import MainWindow
from tests.gui.conftest import AsyncLoop, compare, healthy, set_strategy
from tests.gui.test_secrets import _everything_shown

pytestmark = pytest.mark.gui


def test_proxy_credentials_are_shown_nowhere_and_the_refusing_proxy_is_named(
    aloop: AsyncLoop,
    fleet: Fleet,
    make_window: Callable[..., MainWindow],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("qasync").setLevel(logging.INFO)
    healthy(fleet)
    password = secrets.token_urlsafe(18)
    with socket.socket() as sock:  # a port nothing listens on: the proxy refuses
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    first, *rest = fleet.config.suppliers
    proxied = first.model_copy(update={"proxy": f"http://operator:{password}@127.0.0.1:{port}"})
    config = fleet.config.model_copy(update={"suppliers": (proxied, *rest)})
    window = make_window(config)
    set_strategy(window, "all")

    comparison = compare(aloop, window)

    refused = comparison.suppliers[0]
    assert refused.error == f"proxy http://127.0.0.1:{port}: connection refused"
    assert all(r.ok for r in comparison.suppliers[1:])
    shown = list(_everything_shown(window))
    assert any(refused.error in text for text in shown)  # the operator sees which proxy
    window.close()
    aloop.run(window.aclose())
    out, err = capfd.readouterr()
    assert not [text for text in shown if password in text]
    assert password not in caplog.text and password not in out and password not in err
