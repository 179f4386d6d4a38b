"""GuiEventLoop: asyncio's ready-queue semantics, in slices that leave room for Qt."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time

import pytest
from PySide6.QtCore import QTimer

from gui.loop import SLICE_S, GuiEventLoop
from tests.gui.conftest import AsyncLoop

pytestmark = pytest.mark.gui


def test_ready_callbacks_run_in_order_and_cancelled_ones_do_not(aloop: AsyncLoop) -> None:
    loop = aloop.loop
    assert isinstance(loop, GuiEventLoop)
    seen: list[int] = []
    handles = [loop.call_soon(seen.append, i) for i in range(10)]
    handles[3].cancel()
    loop.call_later(0, seen.append, 10)
    loop.call_at(loop.time() - 1, seen.append, 11)
    aloop.until(lambda: len(seen) == 11)
    assert seen == [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]


def test_a_long_burst_yields_to_qt_between_slices(aloop: AsyncLoop) -> None:
    loop = aloop.loop
    order: list[str] = []

    def busy(i: int) -> None:
        started = time.perf_counter()
        while time.perf_counter() - started < 0.001:
            pass
        order.append(f"cb{i}")

    for i in range(40):  # ~40 ms of work in 1 ms callbacks
        loop.call_soon(busy, i)
    QTimer.singleShot(0, lambda: order.append("qt"))
    aloop.until(lambda: len(order) == 41)
    # Qt's timer ran long before the burst was over: slices are ~SLICE_S long
    assert order.index("qt") <= int(SLICE_S * 1000) * 3


def test_callback_errors_go_to_the_exception_handler(aloop: AsyncLoop) -> None:
    loop = aloop.loop
    caught: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: caught.append(context))

    def boom() -> None:
        raise RuntimeError("boom")

    after: list[bool] = []
    loop.call_soon(boom)
    loop.call_soon(after.append, True)
    aloop.until(lambda: after)
    assert isinstance(caught[0]["exception"], RuntimeError)


def test_tasks_and_sleeps_work(aloop: AsyncLoop) -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        results = await asyncio.gather(*(asyncio.sleep(0.001, result=i) for i in range(100)))
        return sum(results)

    assert aloop.run(work()) == sum(range(100))


def test_sockets_readers_and_writers(aloop: AsyncLoop) -> None:
    loop = aloop.loop
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    try:

        async def echo() -> bytes:
            await loop.sock_sendall(left, b"ping" * 1000)
            chunks = []
            while sum(map(len, chunks)) < 4000:
                chunks.append(await loop.sock_recv(right, 65536))
            return b"".join(chunks)

        assert aloop.run(echo()) == b"ping" * 1000

        seen: list[str] = []
        loop.add_reader(right.fileno(), lambda: seen.append(right.recv(10).decode()))
        loop.add_writer(left.fileno(), lambda: seen.append("writable"))
        aloop.until(lambda: "writable" in seen)
        assert loop.remove_writer(left.fileno())
        left.send(b"hello")
        aloop.until(lambda: "hello" in seen)
        assert loop.remove_reader(right.fileno())
        assert not loop.remove_reader(right.fileno())
    finally:
        left.close()
        right.close()


def test_signals_arrive_through_the_self_pipe(aloop: AsyncLoop) -> None:
    loop = aloop.loop
    got: list[int] = []
    loop.add_signal_handler(signal.SIGUSR1, got.append, 1)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        aloop.until(lambda: got == [1], timeout=2)
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)


def test_other_threads_wake_the_loop_without_qt_signals(aloop: AsyncLoop) -> None:
    """Worker threads (to_thread, run_in_executor) reach the loop through asyncio's
    self-pipe, not qasync's cross-thread signal, and run on plain threads."""
    import threading

    loop = aloop.loop
    got: list[object] = []

    async def work() -> None:
        got.append(await asyncio.to_thread(lambda: threading.current_thread().name))
        done = loop.create_future()
        threads = [
            threading.Thread(target=lambda i=i: loop.call_soon_threadsafe(got.append, i))
            for i in range(50)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        loop.call_soon_threadsafe(done.set_result, None)
        await done

    aloop.run(work())
    assert str(got[0]).startswith("gui-io")
    assert sorted(got[1:]) == list(range(50))  # type: ignore[type-var]
