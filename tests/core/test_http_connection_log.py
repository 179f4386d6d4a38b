"""``-vv``'s connection detail: the pool's debug log, through real loopback suppliers.

New connections with route, TLS and connect time; reused ones; ones closed as unusable,
with the reason. (Through a proxy and a CONNECT tunnel: tests/interop/test_proxies.py;
as ``compare -vv`` prints it: tests/core/test_cli_operator.py.)
"""

from __future__ import annotations

import logging

import pytest

import core
from tests.support.scripted import ScriptedFleet, hang, healthy

pytestmark = pytest.mark.timeout(30)


def connection_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "scatterdash.http"]


async def test_a_second_comparison_reuses_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="scatterdash.http")
    async with ScriptedFleet({"acme": healthy()}) as fleet:
        origin = f"http://127.0.0.1:{fleet.suppliers['acme'].port}"
        async with core.PriceComparator(fleet.config()) as comparator:
            for _ in range(2):
                assert (await comparator.compare("P", 1)).decided
    lines = connection_lines(caplog)
    assert [line.split(",")[0] for line in lines[:2]] == [
        f"new connection to {origin}",
        f"reusing the connection to {origin}",
    ]
    assert lines[0].startswith(f"new connection to {origin}, direct, plain, connected in ")
    assert lines[1].endswith(" ms") and ", idle " in lines[1]


async def test_an_abandoned_call_closes_its_connection_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="scatterdash.http")
    async with ScriptedFleet({"fast": healthy(), "stuck": hang()}) as fleet:
        stuck = f"http://127.0.0.1:{fleet.suppliers['stuck'].port}"
        async with core.PriceComparator(fleet.config()) as comparator:
            assert (await comparator.compare("P", 1, strategy="first")).decided
    assert (
        f"closing the connection to {stuck}: its reply was not read to the end "
        "(the call was abandoned or failed)"
    ) in connection_lines(caplog)


async def test_nothing_is_logged_without_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="scatterdash.http")
    async with ScriptedFleet({"fast": healthy(), "stuck": hang()}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            for _ in range(2):
                await comparator.compare("P", 1, strategy="first")
    assert connection_lines(caplog) == []
