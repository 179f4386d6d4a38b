"""``-v``: what each supplier did, one line each on stderr; ``-vv`` adds where and when."""

from __future__ import annotations

from typing import TextIO

from core._addresses import public_url
from core._broker_config import display_address
from core._comparison import Comparison
from core._config import Config

__all__ = ["report_suppliers"]


def _security(url: str, verify: bool, ca_bundle: str | None) -> str:
    if not url.startswith("https:"):
        return "plain http"
    if not verify:
        return "tls NOT verified"
    return "tls, own CA" if ca_bundle else "tls"


def report_suppliers(
    comparison: Comparison,
    config: Config,
    stream: TextIO,
    *,
    detail: bool = False,
    sent_at_ms: dict[str, float] | None = None,
) -> None:
    """``supplier NAME  STATUS  LATENCY  [URL  TLS  TIMEOUT  SENT]  ERROR``, config order.

    ``sent_at_ms``: when each call left, in ms after the comparison started (``-vv``).
    """
    suppliers = {supplier.name: supplier for supplier in config.suppliers}
    sent_at_ms = sent_at_ms or {}
    width = max((len(result.name) for result in comparison.suppliers), default=0)
    for result in comparison.suppliers:
        latency = "-" if result.latency_ms is None else f"{result.latency_ms:.1f} ms"
        cells = [f"supplier {result.name:<{width}}", f"{result.status.value:<12}", f"{latency:>10}"]
        supplier = suppliers.get(result.name)
        if detail and supplier is not None:
            timeout = supplier.timeout or config.defaults.supplier_timeout
            sent = sent_at_ms.get(result.name)
            where = (
                [
                    public_url(supplier.url),
                    _security(supplier.url, supplier.verify, supplier.ca_bundle),
                ]
                if supplier.transport == "http"
                else [display_address(supplier)]  # the broker, credentials masked
            )
            cells += [
                *where,
                f"timeout {timeout:g} s",
                "not called" if sent is None else f"sent +{sent:.1f} ms",
            ]
        if result.error:
            cells.append(result.error)
        stream.write("  ".join(cells).rstrip() + "\n")
    stream.flush()
