"""The scatter-gather engine: one request to many destinations, one result for each.

For every scatter each destination ends with exactly one :class:`SupplierResult`:

- ``circuit_open``: its breaker refused the call; it was never contacted;
- ``ok`` / ``error`` / ``invalid``: its call finished;
- ``timeout``: its own timeout (counts against its breaker) or the scatter's deadline
  (does not) cut it off;
- ``cancelled``: the strategy decided first, or the scatter itself was cancelled.

The first word wins: once a destination has a result, anything later from it (a reply
racing its cancel, say) is dropped. Calls still in flight when the strategy settles or
the deadline passes are cancelled at once; they unwind and close their connections in
the next loop iterations, after ``scatter`` has returned the outcome (``drain()`` waits
for that; closing the comparator does). When ``scatter`` itself is cancelled, it waits
for its calls to unwind before it re-raises.

Every call is made from the scatter itself, one after the other, and only its reply is
waited for: a transport that can send without awaiting (HTTP on a pooled connection) has
the whole scatter on the wire before the first reply is read, where a task per call wrote
its request only once every task had been created. A call that gives an
``asyncio.Future`` (HTTP on a pooled connection again) has its reply taken by a
done-callback, with no task at all; any other awaitable is awaited in a task of its own.

Calls leave in the order the decision most likely needs them: slowest-expected first when
the strategy waits for every reply, quickest first when it can decide early. For a
strategy that can decide early they leave in batches of ``SEND_BATCH``, with the replies
that arrived in between taken in before the next batch: deciding while calls are still
being sent (``first`` among a thousand suppliers) spares the rest, which end ``cancelled``
without a latency. A strategy that waits for every reply gains nothing from that and
sends everything at once (the last calls would leave later), unless observers listen: each
call then costs their work too (the window's), and batches keep the loop responsive.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core._breaker import BreakerState, CircuitBreaker, Outcome
from core._errors import AllCircuitsOpenError, InvalidReplyError, TransportError
from core._events import CallResult, CallSent, Emitter, Event
from core._results import Status, SupplierResult
from core._strategies import Decision, Strategy
from core._validation import printable

__all__ = ["OWN_TIMEOUT_REASON", "Destination", "ScatterGather", "ScatterOutcome"]

log = logging.getLogger("scatterdash.engine")

#: calls started per loop iteration before the replies already in are processed
SEND_BATCH = 64
#: calls whose own timeout falls due this close together are cut off by one timer run
OWN_TIMEOUT_SLACK_S = 0.001
#: how the error of a call cut off by its own timeout starts (the history keeps only the
#: error, and tells these from the comparison's deadline by it)
OWN_TIMEOUT_REASON = "no reply within the supplier timeout"

ReqT = TypeVar("ReqT")
RepT = TypeVar("RepT")


@dataclass(frozen=True, slots=True)
class Destination(Generic[ReqT, RepT]):
    name: str
    call: Callable[[ReqT, str], Awaitable[Any]]
    """sends the request with a correlation id; the awaitable gives the reply (through
    ``decode`` when there is one), or raises. It may send before returning (an eager
    transport writes the request at once): the engine then always awaits what it returned,
    or cancels it. An ``asyncio.Future`` is taken by a done-callback, without a task."""
    timeout: float
    """seconds for the whole call"""
    breaker: CircuitBreaker
    decode: Callable[[Any, ReqT, str], RepT] | None = None
    """what the call gave, the request and the correlation id -> the reply (raising
    ``InvalidReplyError`` when it is not one); None: the call gives the reply itself"""


@dataclass(frozen=True, slots=True)
class ScatterOutcome(Generic[RepT]):
    correlation_id: str
    results: tuple[SupplierResult[RepT], ...]
    """one per destination, in destination order"""
    decision: Decision[RepT]
    partial: bool
    """the deadline cut off at least one destination still in flight"""
    elapsed_ms: float


def _outcome_for_breaker(result: SupplierResult[Any]) -> Outcome:
    if result.status is Status.OK:
        return Outcome.SUCCESS
    if result.status in (Status.ERROR, Status.INVALID):
        return Outcome.FAILURE
    if result.status is Status.TIMEOUT and result.own_timeout:
        return Outcome.FAILURE
    return Outcome.IGNORED


async def _raising(error: Exception) -> Any:
    raise error


def _failure(destination: Destination[Any, Any], error: BaseException) -> tuple[Status, str, bool]:
    """A failed call's status, error and whether its own timeout cut it off."""
    if isinstance(error, TimeoutError):
        return Status.TIMEOUT, f"{OWN_TIMEOUT_REASON} ({destination.timeout:g} s)", True
    if isinstance(error, InvalidReplyError):
        return Status.INVALID, printable(str(error)), False
    if isinstance(error, TransportError):
        return Status.ERROR, printable(str(error)), False
    # a bug in a transport or codec must not sink the scatter
    log.error("call to %s failed unexpectedly", destination.name, exc_info=error)
    return Status.ERROR, f"internal error: {type(error).__name__}", False


def _refusal(breaker: CircuitBreaker) -> str:
    state = breaker.state
    if state is BreakerState.DISABLED:
        return "disabled by operator"
    if state is BreakerState.FORCED_OPEN:
        return "circuit forced open by operator"
    if state is BreakerState.HALF_OPEN:
        return "circuit half-open: trial calls already in flight"
    return "circuit open"


class _Scatter(Generic[ReqT, RepT]):
    """The state of one scatter in progress."""

    def __init__(
        self,
        destinations: Sequence[Destination[ReqT, RepT]],
        strategy: Strategy[RepT],
        events: Emitter[Event],
        correlation_id: str,
        expected_ms: list[float],
        request: ReqT,
    ) -> None:
        self.destinations = destinations
        self.request = request
        self.expected_ms = expected_ms
        self.strategy = strategy
        self.events = events
        self.correlation_id = correlation_id
        self.results: list[SupplierResult[RepT] | None] = [None] * len(destinations)
        #: when each call left (0.0: never sent)
        self.sent_at: list[float] = [0.0] * len(destinations)
        #: the breaker generation each call was acquired in (None: never called)
        self.generations: list[int | None] = [None] * len(destinations)
        self.pending = 0
        self.decided = False
        self.done = asyncio.Event()
        #: each call in flight (its task, or the future its destination gave) → its index;
        #: keyed by the call, so that one bound method is every call's done-callback
        self.calls: dict[asyncio.Future[Any], int] = {}
        #: the context the replies' done-callbacks run in (one copy, not one per call)
        self.context = contextvars.copy_context()
        #: each call's awaitable until its task takes it over (see ScatterGather._abandon)
        self.unawaited: list[Awaitable[RepT] | None] = [None] * len(destinations)
        self._own_timeouts: asyncio.TimerHandle | None = None

    def complete(self, index: int, result: SupplierResult[RepT]) -> None:
        if self.results[index] is not None:
            return  # late or duplicate: the destination already has its one result
        self.results[index] = result
        if result.status is Status.OK and result.latency_ms is not None:
            previous = self.expected_ms[index]
            self.expected_ms[index] = (
                result.latency_ms
                if previous == math.inf
                else 0.8 * previous + 0.2 * result.latency_ms
            )
        self.destinations[index].breaker.record(
            _outcome_for_breaker(result), generation=self.generations[index]
        )
        if self.events.listened:
            self.events.emit(CallResult(self.correlation_id, result, time.perf_counter()))
        self.pending -= 1
        if not self.decided and self.strategy.offer(result):
            self.decided = True
        if self.decided or self.pending == 0:
            self.done.set()

    async def call(self, index: int, pending: Awaitable[Any]) -> None:
        """Await a call that did not give a future (a task per call)."""
        self.unawaited[index] = None
        try:
            # the call's own timeout is watch_own_timeouts()'s: one timer for all calls
            raw = await pending
        except Exception as exc:
            self.failed(index, exc)
        else:
            self.took(index, raw)

    def replied(self, future: asyncio.Future[Any]) -> None:
        """The done-callback of a call that gave a future."""
        if future.cancelled():
            return  # whoever cancelled it gave the destination its result
        # taken even when it comes too late to count: asyncio would otherwise report it
        # as "never retrieved"
        error = future.exception()
        index = self.calls.get(future)
        if index is None:
            return  # the comparison is over: every destination has its result
        if error is not None:
            self.failed(index, error)
        else:
            self.took(index, future.result())

    def took(self, index: int, raw: Any) -> None:
        """What a call gave, decoded into the destination's result."""
        decode = self.destinations[index].decode
        try:
            reply = decode(raw, self.request, self.correlation_id) if decode else raw
        except Exception as exc:
            self.failed(index, exc)
        else:
            self.succeeded(index, reply)

    def succeeded(self, index: int, reply: RepT) -> None:
        latency = (time.perf_counter() - self.sent_at[index]) * 1000.0
        name = self.destinations[index].name
        self.complete(index, SupplierResult(name, Status.OK, latency, reply))

    def failed(self, index: int, error: BaseException) -> None:
        destination = self.destinations[index]
        latency = (time.perf_counter() - self.sent_at[index]) * 1000.0
        status, reason, own_timeout = _failure(destination, error)
        self.complete(
            index, SupplierResult(destination.name, status, latency, None, reason, own_timeout)
        )

    def watch_own_timeouts(self) -> None:
        """Cut off each call in flight when its own timeout passes, with one timer for
        them all (a timer per call cost a third of the engine's CPU per call)."""
        now = time.perf_counter()
        earliest = math.inf
        for call, index in self.calls.items():
            if self.results[index] is not None:
                continue
            destination = self.destinations[index]
            due = self.sent_at[index] + destination.timeout
            if due > now + OWN_TIMEOUT_SLACK_S:
                earliest = min(earliest, due)
                continue
            error = f"{OWN_TIMEOUT_REASON} ({destination.timeout:g} s)"
            latency = (now - self.sent_at[index]) * 1000.0
            self.complete(
                index, SupplierResult(destination.name, Status.TIMEOUT, latency, None, error, True)
            )
            call.cancel()
        self._own_timeouts = None
        if earliest < math.inf and not self.done.is_set():
            loop = asyncio.get_running_loop()
            self._own_timeouts = loop.call_later(earliest - now, self.watch_own_timeouts)

    def stop_watching(self) -> None:
        if self._own_timeouts is not None:
            self._own_timeouts.cancel()
            self._own_timeouts = None

    def cut_off(self, status: Status, reason: str) -> None:
        """Give every destination still in flight its result."""
        now = time.perf_counter()
        for index, result in enumerate(self.results):
            if result is None:
                sent_at = self.sent_at[index]
                name = self.destinations[index].name
                if sent_at:
                    latency: float | None = (now - sent_at) * 1000.0
                    error = reason
                else:
                    latency, error = None, f"not called: {reason.partition(': ')[2] or reason}"
                self.complete(index, SupplierResult(name, status, latency, error=error))


class ScatterGather(Generic[ReqT, RepT]):
    """Scatters requests to a fixed list of destinations; reusable and concurrency-safe."""

    def __init__(
        self, destinations: Sequence[Destination[ReqT, RepT]], events: Emitter[Event] | None = None
    ) -> None:
        self.destinations = tuple(destinations)
        self.events: Emitter[Event] = events or Emitter()
        self._reapers: set[asyncio.Future[None]] = set()
        #: per destination, a moving average of its ok latencies (infinite until known:
        #: an unknown destination might be the slowest)
        self._expected_ms = [math.inf] * len(self.destinations)

    async def scatter(
        self,
        request: ReqT,
        strategy: Strategy[RepT],
        *,
        timeout: float,
        correlation_id: str | None = None,
        on_started: Callable[[str], None] | None = None,
    ) -> ScatterOutcome[RepT]:
        """Send ``request`` everywhere the breakers allow; decide with ``strategy``.

        Cancelling this coroutine cancels every call in flight (each gets ``cancelled``),
        waits for them to let go of their connections, then re-raises.
        """
        correlation_id = correlation_id or str(uuid.uuid4())
        started = time.perf_counter()
        scatter = _Scatter(
            self.destinations, strategy, self.events, correlation_id, self._expected_ms, request
        )
        if on_started is not None:
            on_started(correlation_id)
        callable_indexes = []
        for index, destination in enumerate(self.destinations):
            if destination.breaker.try_acquire():
                scatter.generations[index] = destination.breaker.generation
                callable_indexes.append(index)
            else:
                result: SupplierResult[RepT] = SupplierResult(
                    destination.name, Status.CIRCUIT_OPEN, None, error=_refusal(destination.breaker)
                )
                scatter.results[index] = result
                self.events.emit(CallResult(correlation_id, result, time.perf_counter()))
        strategy.begin(len(callable_indexes))
        if not callable_indexes:
            return self._outcome(scatter, started, Decision(error=AllCircuitsOpenError()), False)

        scatter.pending = len(callable_indexes)
        calls: list[asyncio.Future[Any]] = []
        # The calls leave over a few milliseconds: start with those the decision most
        # likely waits for (the slowest when waiting for all, the quickest otherwise).
        callable_indexes.sort(key=self._expected_ms.__getitem__, reverse=strategy.waits_for_all)

        partial = False
        try:
            try:
                async with asyncio.timeout(max(0.0, started + timeout - time.perf_counter())):
                    await self._send(scatter, callable_indexes, request, calls)
                    if not scatter.done.is_set():
                        scatter.watch_own_timeouts()
                    await scatter.done.wait()
            except TimeoutError:
                partial = scatter.pending > 0
                scatter.cut_off(Status.TIMEOUT, f"comparison deadline reached ({timeout:g} s)")
            else:
                scatter.cut_off(Status.CANCELLED, strategy.cut_off_reason)
        except asyncio.CancelledError:
            scatter.stop_watching()
            scatter.cut_off(Status.CANCELLED, "cancelled: the comparison was cancelled")
            await self._abandon(scatter, calls)
            raise
        # The outcome is final: the calls still in flight are cancelled now and release
        # their connections in the next loop iterations, while the caller already has the
        # decision (``drain()`` waits for them, as closing the comparator does).
        scatter.stop_watching()
        self._reap(self._abandon(scatter, calls))
        return self._outcome(scatter, started, strategy.conclude(self._finished(scatter)), partial)

    async def _send(
        self,
        scatter: _Scatter[ReqT, RepT],
        indexes: list[int],
        request: ReqT,
        calls: list[asyncio.Future[Any]],
    ) -> None:
        """Start the calls, a batch per loop iteration, until sent or the strategy decides."""
        listened = self.events.listened
        at_once = scatter.strategy.waits_for_all and not listened
        batch = len(indexes) if at_once else SEND_BATCH
        replied, context = scatter.replied, scatter.context
        for position, index in enumerate(indexes):
            if position and position % batch == 0:
                await asyncio.sleep(0)  # this batch leaves; replies already in are read
                if scatter.done.is_set():
                    return
            scatter.sent_at[index] = now = time.perf_counter()
            if listened:
                name = self.destinations[index].name
                self.events.emit(CallSent(scatter.correlation_id, name, now))
            try:
                pending = self.destinations[index].call(request, scatter.correlation_id)
            except Exception as exc:  # failed before anything was awaited: the call's result
                pending = _raising(exc)
            if isinstance(pending, asyncio.Future):
                call = pending
                call.add_done_callback(replied, context=context)
            else:
                scatter.unawaited[index] = pending
                call = asyncio.create_task(scatter.call(index, pending))
            scatter.calls[call] = index
            calls.append(call)

    @staticmethod
    async def _abandon(scatter: _Scatter[ReqT, RepT], calls: list[asyncio.Future[Any]]) -> None:
        running = [call for call in calls if not call.done()]
        for call in running:
            call.cancel()  # a call's own future lets go of its connection right here
        await asyncio.gather(*running, return_exceptions=True)
        # A task cancelled before its first step never awaited its call, which may have
        # sent already: await each such call now, and cancel it once it is under way, so
        # that it lets go of what it holds (a connection waiting for its reply).
        loop = asyncio.get_running_loop()
        leftover: list[asyncio.Future[Any]] = []
        for pending in scatter.unawaited:
            if pending is not None:
                unawaited = asyncio.ensure_future(pending)
                loop.call_soon(unawaited.cancel)  # after its first step
                leftover.append(unawaited)
        scatter.unawaited = []
        await asyncio.gather(*leftover, return_exceptions=True)
        # A cancelled task keeps its CancelledError, whose traceback holds the task's
        # frames and, through them, this scatter: with the calls still listed here that
        # is a cycle, and the whole comparison (a thousand results, replies, decoders)
        # would wait in the heap for a full collection instead of going at once.
        scatter.calls.clear()
        calls.clear()

    def _reap(self, abandoning: Coroutine[Any, Any, None]) -> None:
        reaper = asyncio.ensure_future(abandoning)
        self._reapers.add(reaper)
        reaper.add_done_callback(self._reapers.discard)

    async def drain(self) -> None:
        """Wait until every abandoned call has let go of its connection."""
        while self._reapers:
            await asyncio.gather(*self._reapers, return_exceptions=True)

    @staticmethod
    def _finished(scatter: _Scatter[ReqT, RepT]) -> tuple[SupplierResult[RepT], ...]:
        assert all(result is not None for result in scatter.results)
        return tuple(result for result in scatter.results if result is not None)

    def _outcome(
        self, scatter: _Scatter[ReqT, RepT], started: float, decision: Decision[RepT], partial: bool
    ) -> ScatterOutcome[RepT]:
        return ScatterOutcome(
            scatter.correlation_id,
            self._finished(scatter),
            decision,
            partial,
            (time.perf_counter() - started) * 1000.0,
        )
