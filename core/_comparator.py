"""PriceComparator: the price-comparison domain on top of the generic engine."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, cast

from core._breaker import CircuitBreaker
from core._broker_config import broker_destination, broker_url
from core._comparison import Comparison, PricedQuote
from core._config import STRATEGIES, Config, SupplierConfig
from core._engine import Destination, ScatterGather, ScatterOutcome
from core._errors import ConfigError, NoAvailableSupplierError
from core._events import ComparisonFinished, ComparisonStarted, Emitter, Event
from core._network import network_options
from core._quotes import PriceRequest, Quote, QuoteCodec
from core._results import SupplierResult
from core._strategies import Judging, make_strategy
from core._validation import printable
from core.health._monitor import HealthMonitor
from core.transports._base import EagerTransport, Endpoint, Transport
from core.transports._factory import TransportSet
from core.transports.http import HttpTransport

__all__ = ["PriceComparator"]

log = logging.getLogger("scatterdash.comparator")

MAX_PRODUCT_ID = 200
MAX_QUANTITY = 1_000_000_000


def _cents(quote: Quote) -> int:
    """The total to the cent: what ``best`` ranks by and ``majority`` agrees on, alike."""
    return round(quote.total_price * 100)


def _rank(result: SupplierResult[Quote]) -> tuple[int, int, float]:
    quote = result.reply
    assert quote is not None
    return (_cents(quote), quote.delivery_days, result.latency_ms or math.inf)


def _judging(product_id: str) -> Judging[Quote]:
    return Judging(
        usable=lambda quote: quote.in_stock,
        rank=_rank,
        # 90 USD and 90 JPY do not agree (with no [defaults] currency both are valid)
        agreement=lambda quote: (quote.currency, _cents(quote)),
        unavailable=lambda: NoAvailableSupplierError(product_id),
    )


def _api_key_headers(
    config: Config, index: int, supplier: SupplierConfig, environ: Mapping[str, str]
) -> dict[str, str]:
    if supplier.api_key_env is None:
        return {}
    key = environ.get(supplier.api_key_env)
    if not key:
        raise ConfigError(
            f"{config.source}: suppliers[{index}].api_key_env: environment variable "
            f"{supplier.api_key_env} is not set"
        )
    if not (key.isascii() and key.isprintable()):
        raise ConfigError(
            f"{config.source}: suppliers[{index}].api_key_env: environment variable "
            f"{supplier.api_key_env} holds characters an HTTP header cannot carry"
        )
    header = supplier.api_key_header
    return {header: f"Bearer {key}" if header.lower() == "authorization" else key}


class PriceComparator:
    """Compares suppliers' prices; owns their connections and circuit breakers.

    Use as ``async with PriceComparator(config) as comparator:``. Calls on one comparator
    share breaker state and may run concurrently. ``events`` reports every call sent,
    every result, every breaker transition and every comparison started and finished.
    """

    def __init__(
        self,
        config: Config,
        *,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.events: Emitter[Event] = Emitter()
        self.codec = QuoteCodec(config.defaults.currency)
        self._environ = os.environ if environ is None else environ
        self._own_transport = transport is None
        self.transport: Transport = transport or HttpTransport(environ=self._environ)
        self.transports = TransportSet(self.transport)
        """the broker transports besides, one per broker URL"""
        self._brokers: dict[str, tuple[str, str | None]] = {}
        self.breakers: dict[str, CircuitBreaker] = {
            supplier.name: CircuitBreaker(
                supplier.name, config.breaker, clock=clock, on_transition=self.events.emit
            )
            for supplier in config.suppliers
        }
        for supplier in config.suppliers:
            if not supplier.enabled:
                self.breakers[supplier.name].disable()
        self.engine = ScatterGather(
            [self._destination(index, supplier) for index, supplier in enumerate(config.suppliers)],
            self.events,
        )
        self._closed = False
        self._running: set[asyncio.Task[object]] = set()
        self.health_monitor: HealthMonitor | None = None
        """probing, once :meth:`start_health_monitor` is called (never for one-shot compare)"""

    def _destination(
        self, index: int, supplier: SupplierConfig
    ) -> Destination[PriceRequest, Quote]:
        headers = _api_key_headers(self.config, index, supplier, self._environ)
        broker = None
        if supplier.transport != "http":
            broker = broker_url(self.config.source, index, supplier, self._environ)
        self._brokers[supplier.name] = (supplier.transport, broker)
        endpoint = Endpoint(
            supplier.name,
            broker_destination(supplier) or supplier.url,
            headers,
            verify=supplier.verify,
            ca_bundle=supplier.ca_bundle,
            **network_options(self.config, supplier),
            broker=broker,
        )
        if not supplier.verify:
            log.warning("TLS verification is OFF for supplier %s", supplier.name)
        transport, codec = self.transports.get(supplier.transport, broker), self.codec
        max_bytes = self.config.defaults.max_reply_bytes

        # not isinstance(): a runtime-checkable Protocol costs ~15 µs a check, per supplier
        eager = callable(getattr(transport, "begin", None))

        def call(request: PriceRequest, correlation_id: str) -> Awaitable[bytes]:
            # not a coroutine function: an eager transport writes the request right here
            body = codec.encode_cached(request, correlation_id)
            if eager:
                return cast(EagerTransport, transport).begin(
                    endpoint, body, correlation_id=correlation_id, max_bytes=max_bytes
                )
            return transport.request(
                endpoint, body, correlation_id=correlation_id, max_bytes=max_bytes
            )

        timeout = supplier.timeout or self.config.defaults.supplier_timeout
        breaker = self.breakers[supplier.name]
        return Destination(supplier.name, call, timeout, breaker, decode=codec.decode)

    def connection_state(self, supplier: str) -> str | None:
        """The supplier's broker connection state ("idle", "connecting", "connected",
        "disconnected", "closed"); None for an HTTP supplier."""
        kind, broker = self._brokers.get(supplier, ("http", None))
        return self.transports.state(kind, broker)

    async def __aenter__(self) -> PriceComparator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def start_health_monitor(self) -> HealthMonitor:
        """Probe every supplier on the config's ``[health]`` interval until closed."""
        if self._closed:
            raise RuntimeError("this PriceComparator is closed")
        if self.health_monitor is None:
            self.health_monitor = HealthMonitor(self)
        self.health_monitor.start()
        return self.health_monitor

    async def idle(self) -> None:
        """Wait until nothing started by finished comparisons is still in flight: abandoned
        calls unwound, replacement connections opened."""
        await self.engine.drain()
        settle = getattr(self.transport, "settle", None)
        if settle is not None:
            await settle()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if self.health_monitor is not None:
                await self.health_monitor.aclose()
            # comparisons still running end as cancelled, not as calls cut by closing sockets
            running = [task for task in self._running if task is not asyncio.current_task()]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await self.engine.drain()
            await self.transports.aclose()
            if self._own_transport:
                await self.transport.aclose()

    async def compare(
        self,
        product_id: str,
        quantity: int,
        *,
        strategy: str | None = None,
        quorum: int | None = None,
        min_responses: int | None = None,
        timeout: float | None = None,
    ) -> Comparison:
        """Scatter a price request to every enabled supplier and decide.

        Raises ``ValueError`` for an unusable argument; an undecided comparison is not an
        exception: see ``Comparison.decided`` and ``Comparison.error``.
        """
        if self._closed:
            raise RuntimeError("this PriceComparator is closed")
        defaults = self.config.defaults
        strategy = strategy or defaults.strategy
        quorum = quorum if quorum is not None else defaults.quorum
        min_responses = min_responses if min_responses is not None else defaults.min_responses
        timeout = timeout if timeout is not None else defaults.timeout
        _check_arguments(product_id, quantity, strategy, quorum, min_responses, timeout)

        request = PriceRequest(product_id, quantity)
        chosen = make_strategy(
            strategy, _judging(product_id), quorum=quorum, min_responses=min_responses
        )
        names = tuple(s.name for s in self.config.suppliers)

        def started(correlation_id: str) -> None:
            self.events.emit(
                ComparisonStarted(
                    correlation_id,
                    strategy,
                    names,
                    timeout,
                    time.perf_counter(),
                    product_id=product_id,
                    quantity=quantity,
                )
            )

        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            outcome = await self.engine.scatter(
                request, chosen, timeout=timeout, on_started=started
            )
        finally:
            self._running.discard(task)
        comparison = _comparison(request, strategy, outcome, chosen.rank_of)
        self.events.emit(
            ComparisonFinished(comparison.correlation_id, comparison, time.perf_counter())
        )
        return comparison


def product_id_problem(product_id: str) -> str | None:
    """What is wrong with ``product_id`` as a product id ("must be …"), or None."""
    if not product_id.strip() or len(product_id) > MAX_PRODUCT_ID:
        return f"must be 1 to {MAX_PRODUCT_ID} characters"
    try:
        product_id.encode()
    except UnicodeEncodeError:  # a command-line argument that was not UTF-8
        return "must be text (it holds bytes that are not UTF-8)"
    if printable(product_id) != product_id:
        return "must not hold control characters"
    return None


def _check_arguments(
    product_id: str,
    quantity: int,
    strategy: str,
    quorum: int | None,
    min_responses: int,
    timeout: float,
) -> None:
    problem = product_id_problem(product_id)
    if problem is not None:
        raise ValueError(f"product id {problem}")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise ValueError(
            f"quantity must be a whole number, 1 to {MAX_QUANTITY:,}, got {quantity!r}"
        )
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (expected all, first, majority or best)")
    if quorum is not None and quorum < 1:
        raise ValueError(f"quorum must be at least 1, got {quorum}")
    if min_responses < 0:
        raise ValueError(f"min responses must be 0 or more, got {min_responses}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


def _comparison(
    request: PriceRequest,
    strategy: str,
    outcome: ScatterOutcome[Quote],
    rank: Callable[[SupplierResult[Quote]], Any] = _rank,
) -> Comparison:
    """``rank``: _rank, or the strategy's own, which may know the ranks already."""
    decision = outcome.decision
    if decision.ranked is not None:
        by_price = list(decision.ranked)  # ``all`` has ranked every valid reply by _rank
    else:
        by_price = sorted((r for r in outcome.results if r.ok and r.reply is not None), key=rank)
    priced = {id(r): PricedQuote.from_result(r) for r in by_price}  # built once, shared
    in_stock = [r for r in by_price if r.reply is not None and r.reply.in_stock]
    cheapest = in_stock[0] if in_stock else None
    # by_price is in rank order and min() keeps the first of equals: the quickest delivery,
    # then the best rank, without ranking every reply again
    fastest = min(in_stock, key=lambda r: r.reply.delivery_days if r.reply else 0, default=None)
    winner = decision.winner if strategy != "all" else cheapest
    ranked = tuple(priced[id(r)] for r in decision.ranked) if decision.ranked is not None else None
    return Comparison(
        correlation_id=outcome.correlation_id,
        strategy=strategy,
        product_id=request.product_id,
        quantity=request.quantity,
        decided=decision.decided,
        partial=outcome.partial,
        error=str(decision.error) if decision.error else None,
        winner=priced[id(winner)] if winner and decision.decided else None,
        ranked=ranked if decision.decided and strategy == "all" else None,
        cheapest=priced[id(cheapest)] if cheapest else None,
        fastest_delivery=priced[id(fastest)] if fastest else None,
        quotes=tuple(priced.values()),
        suppliers=outcome.results,
        elapsed_ms=outcome.elapsed_ms,
    )
