"""Every strategy over every broker transport, and one comparison mixing all four."""

from __future__ import annotations

import asyncio

import psutil
import pytest

import core
from tests.brokers._support import QUICK, broker_supplier, config, responders, trio, unique
from tests.support.scripted import ScriptedFleet, healthy

pytestmark = pytest.mark.broker


@pytest.fixture(params=["amqp", "nats", "kafka"])
def broker(request: pytest.FixtureRequest) -> tuple[str, str]:
    kind = request.param
    return kind, request.getfixturevalue(f"{kind}_url")


async def test_every_strategy_decides_over_the_broker(broker: tuple[str, str]) -> None:
    kind, url = broker
    cfg = trio(kind, url)
    sockets_before = len(psutil.Process().net_connections())
    async with responders(cfg), core.PriceComparator(cfg) as comparator:
        everything = await comparator.compare("P-1001", 3, strategy="all")
        assert everything.decided, everything.error
        assert [s.status for s in everything.suppliers] == [core.Status.OK] * 3
        assert all(s.latency_ms is not None and s.latency_ms > 0 for s in everything.suppliers)
        assert everything.ranked is not None and everything.ranked[0].supplier == "c"
        list_price = everything.ranked[-1].quote.unit_price

        best = await comparator.compare("P-1001", 3, strategy="best")
        assert best.decided and best.winner is not None and best.winner.supplier == "c"

        agreed = await comparator.compare("P-1001", 3, strategy="majority", quorum=2)
        assert agreed.decided and agreed.winner is not None
        assert agreed.winner.supplier in ("a", "b") and agreed.winner.quote.unit_price == list_price

        first = await comparator.compare("P-1001", 3, strategy="first")
        assert first.decided and first.winner is not None
        assert {s.status for s in first.suppliers} <= {core.Status.OK, core.Status.CANCELLED}
        assert comparator.connection_state("a") == "connected"
    assert comparator.connection_state("a") == "closed"
    # nothing left behind: no task, no socket
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert len(psutil.Process().net_connections()) == sockets_before


async def test_one_comparison_over_http_amqp_nats_and_kafka(
    amqp_url: str, nats_url: str, kafka_url: str
) -> None:
    async with ScriptedFleet({"web": healthy()}) as fleet:
        web = fleet.config().suppliers[0].model_dump(exclude_defaults=True)
        cfg = config(
            [
                web,
                broker_supplier("rabbit", "amqp", amqp_url, unique("mixed"), QUICK),
                broker_supplier("swift", "nats", nats_url, unique("mixed"), QUICK),
                broker_supplier("kappa", "kafka", kafka_url, unique("mixed"), QUICK),
            ]
        )
        async with responders(cfg, "rabbit", "swift", "kappa"):
            async with core.PriceComparator(cfg) as comparator:
                comparison = await comparator.compare("SKU-1", 2, strategy="all")
                states = {s.name: comparator.connection_state(s.name) for s in cfg.suppliers}
    assert comparison.decided, comparison.error
    by_name = {s.name: s for s in comparison.suppliers}
    assert {n: s.status for n, s in by_name.items()} == dict.fromkeys(
        ("web", "rabbit", "swift", "kappa"), core.Status.OK
    )
    assert states == {
        "web": None,
        "rabbit": "connected",
        "swift": "connected",
        "kappa": "connected",
    }
