"""Requests leave back to back: a destination's call may send before anything is awaited
(the HTTP transport writes on a pooled connection at once), and the engine always awaits
what such a call returned, even when its task never got to run."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Coroutine
from typing import Any

import pytest

import core
from core import CircuitBreaker, Destination, ScatterGather, Status
from core._strategies import AllStrategy, FirstStrategy
from core.transports import Endpoint
from core.transports.http import HttpTransport
from core.transports.http._pool import PoolTransport
from tests.core.test_engine import JUDGING
from tests.core.test_http_client import hand_server
from tests.support.wire import QUOTE, read_request

pytestmark = pytest.mark.timeout(30)

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(QUOTE)


async def test_every_call_is_made_before_the_first_one_is_awaited() -> None:
    made: list[str] = []
    seen_when_awaited: list[list[str]] = []

    def call_of(name: str) -> Any:
        def call(request: str, correlation_id: str) -> Coroutine[Any, Any, str]:
            made.append(name)  # the synchronous part: what an eager transport writes

            async def reply() -> str:
                seen_when_awaited.append(list(made))
                return name

            return reply()

        return call

    names = ["a", "b", "c"]
    gather = ScatterGather([Destination(n, call_of(n), 1.0, CircuitBreaker(n)) for n in names])
    outcome = await gather.scatter("q", AllStrategy(JUDGING), timeout=1.0)
    assert [r.status for r in outcome.results] == [Status.OK] * 3
    assert seen_when_awaited and all(sorted(seen) == names for seen in seen_when_awaited)


async def test_a_call_that_fails_before_returning_is_that_destination_s_error() -> None:
    def broken(request: str, correlation_id: str) -> Coroutine[Any, Any, str]:
        raise core.TransportError("proxy: unsupported scheme 'ftp'")

    async def fine(request: str, correlation_id: str) -> str:
        return "ok"

    gather = ScatterGather(
        [
            Destination("broken", broken, 1.0, CircuitBreaker("broken")),
            Destination("fine", fine, 1.0, CircuitBreaker("fine")),
        ]
    )
    outcome = await gather.scatter("q", AllStrategy(JUDGING), timeout=1.0)
    broken_result, fine_result = outcome.results
    assert broken_result.status is Status.ERROR
    assert broken_result.error == "proxy: unsupported scheme 'ftp'"
    assert fine_result.status is Status.OK


def spy_starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each request the pool was asked to write at once: on an idle connection, or none."""
    log: list[str] = []
    idle_connection = PoolTransport.idle_connection

    def spying(self: PoolTransport, *args: Any) -> Any:
        connection = idle_connection(self, *args)
        log.append("idle" if connection is not None else "none")
        return connection

    monkeypatch.setattr(PoolTransport, "idle_connection", spying)
    return log


async def test_over_http_a_warm_scatter_writes_every_request_before_any_reply_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while await read_request(reader) is not None:
            writer.write(HEAD + QUOTE)
            await writer.drain()

    async with hand_server(handle) as (url, connections):
        config = core.parse_config(
            {"suppliers": [{"name": f"s{i}", "url": url, "proxy": False} for i in range(4)]}
        )
        async with core.PriceComparator(config) as comparator:
            first = await comparator.compare("SKU-1", 1, strategy="all")
            await comparator.idle()
            writes = spy_starts(monkeypatch)
            written_before_replies: list[int] = []
            tasks_per_call: list[int] = []
            replied, call = core._engine._Scatter.replied, core._engine._Scatter.call

            def counting(self: Any, future: Any) -> None:
                written_before_replies.append(writes.count("idle"))
                replied(self, future)

            async def in_a_task(self: Any, index: int, pending: Any) -> None:
                tasks_per_call.append(index)
                await call(self, index, pending)

            monkeypatch.setattr(core._engine._Scatter, "replied", counting)
            monkeypatch.setattr(core._engine._Scatter, "call", in_a_task)
            second = await comparator.compare("SKU-1", 1, strategy="all")
    assert first.decided and second.decided
    assert writes == ["idle"] * 4  # all four went out on the warm connections
    assert written_before_replies == [4, 4, 4, 4]
    assert tasks_per_call == []  # each reply was taken by its future's callback, no task
    assert len(connections) == 4  # and nothing was opened a second time


async def test_a_call_cut_off_before_its_task_ran_still_lets_go_of_its_connection() -> None:
    """An own timeout shorter than the timer's slack ends the call before its task's first
    step: the request is on the wire, and its connection must be drained, not leaked."""
    replies = asyncio.Queue[None]()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while await read_request(reader) is not None:
            await replies.get()
            writer.write(HEAD + QUOTE)
            await writer.drain()

    async with hand_server(handle) as (url, connections):
        transport = HttpTransport(environ={})
        endpoint = Endpoint("s", url, proxy=False)

        def call(request: str, correlation_id: str) -> Coroutine[Any, Any, bytes]:
            return transport.begin(endpoint, b"{}", correlation_id=correlation_id, max_bytes=4096)

        try:
            replies.put_nowait(None)
            assert await transport.request(endpoint, b"{}", correlation_id="w", max_bytes=4096)
            pool = next(iter(transport._pools.values()))
            gather = ScatterGather([Destination("s", call, 1e-6, CircuitBreaker("s"))])
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)  # "never awaited"
                outcome = await gather.scatter("q", AllStrategy(JUDGING), timeout=1.0)
                (result,) = outcome.results
                assert result.status is Status.TIMEOUT and result.own_timeout
                await gather.drain()
                gc.collect()
            # its connection is being drained (the reply is still to come), not left behind
            assert pool._active and pool._active <= set(pool._late._deadlines)
            replies.put_nowait(None)  # the late reply comes, is read and dropped
            await transport.settle()
            assert pool._active == set()
            replies.put_nowait(None)
            raw = await transport.request(endpoint, b"{}", correlation_id="n", max_bytes=4096)
            assert raw == QUOTE
            assert len(connections) == 1  # the drained connection was reused
        finally:
            await transport.aclose()


async def test_a_call_that_gives_a_future_is_taken_by_its_callback_without_a_task() -> None:
    """A future's result goes through ``decode``; one the decision no longer needs, or
    whose own timeout passed, is cancelled; what its result raised is the destination's."""
    loop = asyncio.get_running_loop()
    futures: dict[str, asyncio.Future[bytes]] = {}
    all_made = asyncio.Event()

    def call_of(name: str) -> Any:
        def call(request: str, correlation_id: str) -> asyncio.Future[bytes]:
            futures[name] = loop.create_future()
            if len(futures) == len(names):
                all_made.set()
            return futures[name]

        return call

    def decode(raw: bytes, request: str, correlation_id: str) -> str:
        if raw == b"garbage":
            raise core.InvalidReplyError("not a quote")
        return f"{raw.decode()} for {request}"

    names = ["fast", "bad", "broken", "slow", "hung"]
    timeouts = {"hung": 0.05}
    gather = ScatterGather(
        [
            Destination(n, call_of(n), timeouts.get(n, 5.0), CircuitBreaker(n), decode=decode)
            for n in names
        ]
    )
    tasks_before = len(asyncio.all_tasks())
    scatter = asyncio.create_task(gather.scatter("q", AllStrategy(JUDGING), timeout=5.0))
    await all_made.wait()
    assert len(asyncio.all_tasks()) == tasks_before + 1  # the scatter's: none per call
    futures["fast"].set_result(b"12")
    futures["bad"].set_result(b"garbage")
    futures["broken"].set_exception(core.TransportError("connection reset"))
    futures["slow"].set_result(b"30")
    outcome = await scatter
    results = {r.name: r for r in outcome.results}
    assert results["fast"].status is Status.OK and results["fast"].reply == "12 for q"
    assert (results["bad"].status, results["bad"].error) == (Status.INVALID, "not a quote")
    assert (results["broken"].status, results["broken"].error) == (
        Status.ERROR,
        "connection reset",
    )
    assert results["hung"].status is Status.TIMEOUT and results["hung"].own_timeout
    assert futures["hung"].cancelled()  # cut off by its own timeout, and let go


async def test_futures_the_decision_no_longer_needs_are_cancelled() -> None:
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[str]] = []

    def call(request: str, correlation_id: str) -> asyncio.Future[str]:
        futures.append(loop.create_future())
        if len(futures) == 1:
            futures[0].set_result("winner")
        return futures[-1]

    gather = ScatterGather([Destination(n, call, 5.0, CircuitBreaker(n)) for n in "abc"])
    outcome = await gather.scatter("q", FirstStrategy(JUDGING), timeout=5.0)
    assert outcome.decision.winner is not None and outcome.decision.winner.reply == "winner"
    assert [r.status for r in outcome.results].count(Status.CANCELLED) == 2
    await gather.drain()
    assert [f.cancelled() for f in futures] == [False, True, True]


@pytest.mark.parametrize("turns_after_the_decision", range(6))
async def test_an_error_that_comes_just_after_the_decision_is_not_left_unretrieved(
    turns_after_the_decision: int,
) -> None:
    """A call whose future fails while the comparison is being wound up (done, so it is not
    cancelled) must still have its exception taken: asyncio logs "exception was never
    retrieved" for it otherwise, an error report about nothing."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    futures: dict[str, asyncio.Future[str]] = {}

    def fail_later(turns: int) -> None:
        if turns:
            loop.call_soon(fail_later, turns - 1)
        elif not futures["late"].done():  # not cancelled by the winding-up yet
            futures["late"].set_exception(core.TransportError("HTTP 500"))

    def call_of(name: str) -> Any:
        def call(request: str, correlation_id: str) -> asyncio.Future[str]:
            futures[name] = loop.create_future()
            if name == "late":  # both calls made: the winner replies, then the error
                futures["winner"].add_done_callback(lambda _: fail_later(turns_after_the_decision))
                loop.call_soon(futures["winner"].set_result, "quote")
            return futures[name]

        return call

    gather = ScatterGather(
        [Destination(n, call_of(n), 5.0, CircuitBreaker(n)) for n in ("winner", "late")]
    )
    outcome = await gather.scatter("q", FirstStrategy(JUDGING), timeout=5.0)
    assert outcome.decision.winner is not None
    await gather.drain()
    await asyncio.wait([futures["late"]])  # waits without taking its exception
    futures.clear()
    del outcome
    gc.collect()
    assert [c["message"] for c in reported] == []
