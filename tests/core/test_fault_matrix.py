"""Every fault a supplier can throw at us, through real sockets, for every strategy."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

import core
from core import Status
from tests.support.scripted import (
    ScriptedFleet,
    drip,
    hang,
    hang_mid_body,
    healthy,
    huge,
    raw,
    reset_mid_body,
    status,
)

pytestmark = pytest.mark.timeout(30)

GOOD_BODY = {
    "supplier_id": "x",
    "product_id": "SKU-1",
    "unit_price": 10.0,
    "total_price": 20.0,
    "currency": "EUR",
    "valid_until": "2026-12-31T00:00:00",
    "in_stock": True,
    "delivery_days": 1,
}


def body(**changes: Any) -> bytes:
    return json.dumps({**GOOD_BODY, **changes}).encode()


FAULTS = {
    # name: (behaviour, expected status, words of the reason)
    "good": (healthy(unit_price=10.0, delay=0.05), Status.OK, None),
    "out-of-stock": (healthy(unit_price=1.0, in_stock=False), Status.OK, None),
    "hang": (hang(), Status.TIMEOUT, "supplier timeout"),
    "hang-mid-body": (hang_mid_body(), Status.TIMEOUT, "supplier timeout"),
    "drip": (drip(), Status.TIMEOUT, "supplier timeout"),
    "http500": (status(500), Status.ERROR, "HTTP 500"),
    "http503": (status(503), Status.ERROR, "HTTP 503"),
    "http404": (status(404), Status.ERROR, "HTTP 404"),
    "http401": (status(401), Status.ERROR, "HTTP 401"),
    "reset": (reset_mid_body(), Status.ERROR, "connection"),
    "malformed": (raw(b'{"supplier_id": '), Status.INVALID, "malformed JSON"),
    "not-json": (raw(b"<html>oops</html>"), Status.INVALID, "malformed JSON"),
    "wrong-shape": (raw(b"[1, 2, 3]"), Status.INVALID, "Input should be an object"),
    "wrong-schema": (raw(json.dumps({"price": 3}).encode()), Status.INVALID, "supplier_id"),
    "string-number": (raw(body(unit_price="10.0")), Status.INVALID, "unit_price"),
    "bool-number": (raw(body(delivery_days=True)), Status.INVALID, "delivery_days"),
    "negative": (
        raw(body(unit_price=-10.0, total_price=-20.0)),
        Status.INVALID,
        "must be positive",
    ),
    "zero": (raw(body(unit_price=0, total_price=0)), Status.INVALID, "must be positive"),
    "nan": (raw(body().replace(b"10.0", b"NaN")), Status.INVALID, "unit_price"),
    "infinite": (raw(body().replace(b"10.0", b"1e999")), Status.INVALID, "finite"),
    "absurd": (
        raw(body(unit_price=1e12, total_price=2e12)),
        Status.INVALID,
        "not a plausible price",
    ),
    "bad-total": (raw(body(total_price=25.0)), Status.INVALID, "does not match"),
    "wrong-product": (raw(body(product_id="SKU-2")), Status.INVALID, "not the product asked for"),
    "bad-date": (raw(body(valid_until="soon")), Status.INVALID, "valid_until"),
    "other-correlation-header": (
        raw(body(), headers={"X-Correlation-ID": "another"}),
        Status.INVALID,
        "another correlation id",
    ),
    "other-correlation-body": (
        raw(body(correlation_id="another")),
        Status.INVALID,
        "another correlation id",
    ),
    "huge": (huge(100 * 1024 * 1024), Status.INVALID, "larger than"),
    "gzip-bomb": (huge(64 * 1024 * 1024, gzipped=True), Status.INVALID, "larger than"),
}

EXPECTED_DECISION = {
    "all": ("decided", None),
    "best": ("decided", "good"),
    "first": ("decided", "good"),
    # out of reach once half the suppliers have failed, so it may settle before "good" answers
    "majority": ("undecided", "quorum not reached: required 16, best agreement "),
}


@pytest.fixture
def unresolvable(monkeypatch: pytest.MonkeyPatch) -> str:
    """A host name that does not resolve, without asking any DNS server."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "supplier.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return "http://supplier.invalid:9/quote"


@pytest.mark.parametrize("strategy", core.STRATEGIES)
async def test_fault_matrix(strategy: str, unresolvable: str) -> None:
    timeout = 3.0
    async with ScriptedFleet({name: fault[0] for name, fault in FAULTS.items()}) as fleet:
        config = fleet.config(refused=("refused",), supplier_timeout=1.0, timeout=timeout)
        config = config.model_copy(
            update={
                "suppliers": (
                    *config.suppliers,
                    core.SupplierConfig(name="unresolvable", url=unresolvable),
                )
            }
        )
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-1", 2, strategy=strategy)

    results = {r.name: r for r in comparison.suppliers}
    expected = {name: (fault[1], fault[2]) for name, fault in FAULTS.items()}
    expected["refused"] = (Status.ERROR, "connection refused")
    expected["unresolvable"] = (Status.ERROR, "cannot resolve host")
    assert set(results) == set(expected)
    for name, (want, reason) in expected.items():
        result = results[name]
        if strategy in ("first", "majority") and result.status is Status.CANCELLED:
            continue  # settled before it answered (a winner, or a quorum out of reach)
        assert result.status is want, (name, result)
        if reason is not None:
            assert result.error is not None and reason in result.error, (name, result.error)
        if want is not Status.OK:
            assert result.error and "\n" not in result.error
    outcome, detail = EXPECTED_DECISION[strategy]
    assert comparison.decided is (outcome == "decided"), comparison.error
    if strategy == "all":
        assert [q.supplier for q in comparison.ranked or ()] == ["out-of-stock", "good"]
    elif outcome == "decided":
        assert comparison.winner is not None and comparison.winner.supplier == detail
    else:
        assert comparison.error is not None and comparison.error.startswith(detail)
    assert comparison.elapsed_ms <= timeout * 1000 + 50
