"""The SQLite history through real comparisons: recording, restarts, import, retention,
damaged databases, exports and what the fallback and replay read from it."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core.storage import (
    ComparisonRecord,
    HistoryDatabase,
    HistoryFilter,
    HistoryRecorder,
    HistoryService,
    HistoryUnavailable,
    find_fallback,
    recorded_comparison,
    write_history_csv,
    write_history_json,
)
from core.storage._service import BACKGROUND_NICENESS
from tests.support.scripted import ScriptedFleet, healthy, status

SECRET = "sk-test-history-0123456789abcdef"  # a fake key


async def compare_and_record(
    fleet: ScriptedFleet, path: Path, strategies: tuple[str, ...] = ("best",), **options: object
) -> list[core.Comparison]:
    """Run real comparisons with a recorder on the comparator's events; close the history."""
    config = fleet.config(supplier_options={"b": {"api_key_env": "K"}})
    service = HistoryService(path)
    recorder = HistoryRecorder(service, source="window")
    async with core.PriceComparator(config, environ={"K": SECRET}) as comparator:
        recorder.attach(comparator.events)
        comparisons = [
            await comparator.compare("SKU-1", 4, strategy=strategy, **options)  # type: ignore[arg-type]
            for strategy in strategies
        ]
    await service.aclose()
    return comparisons


def _every_byte_in(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in directory.iterdir() if path.is_file())


async def test_comparisons_survive_a_restart_with_their_arrival_order(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet(
        {
            "a": healthy(delay=0.15, unit_price=2.0),
            "b": healthy(unit_price=1.5),
            "c": status(500, delay=0.05),
        }
    ) as fleet:
        best, first = await compare_and_record(fleet, path, ("best", "first"))

    database = HistoryDatabase.open(path)  # a new connection: what a restart sees
    try:
        listed = database.comparisons()
        assert [s.correlation_id for s in listed] == [first.correlation_id, best.correlation_id]
        assert listed[1].winner == "b" and listed[1].total_price == 6.0
        assert listed[1].source == "window" and listed[1].quantity == 4
        stored = database.find(best.correlation_id)
        assert stored is not None
        assert stored.document == best.to_dict()  # exactly what compare --json printed
        assert recorded_comparison(stored).to_dict() == best.to_dict()
        order = {o.supplier: o.arrival_order for o in stored.outcomes}
        assert order == {"b": 0, "c": 1, "a": 2}  # as the results arrived, not config order
        arrival = {o.supplier: o.arrival_ms for o in stored.outcomes}
        assert arrival["b"] < arrival["c"] < arrival["a"]
        assert arrival["a"] == pytest.approx(best.elapsed_ms, abs=20)
        assert stored.deadline_s == 5.0
        assert database.find(best.correlation_id[:8]) is not None  # a unique start is enough
        assert [s.correlation_id for s in database.comparisons(HistoryFilter(search="zz"))] == []
    finally:
        database.close()
    assert SECRET.encode() not in _every_byte_in(tmp_path)


async def test_breaker_transitions_and_probes_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet({"a": healthy(), "b": status(500)}) as fleet:
        config = fleet.config()
        service = HistoryService(path)
        async with core.PriceComparator(config) as comparator:
            HistoryRecorder(service, source="window").attach(comparator.events)
            comparator.breakers["b"].force_open()  # a real breaker transition event
            comparator.events.emit(
                core.ProbeCompleted("a", "ok", 3.5, None, "closed", at=time.time())
            )
            comparator.events.emit(
                core.ProbeCompleted("b", "error", 1.0, "HTTP 500", "open", at=time.time())
            )
            transitions = await service.call(lambda db: db.transitions("b"), [])
            probes = await service.call(lambda db: db.probes(), [])
        await service.aclose()
    assert [(t.supplier, t.old, t.new) for t in transitions] == [("b", "closed", "forced-open")]
    assert [(p.supplier, p.status, p.error, p.state) for p in probes] == [
        ("a", "ok", None, "closed"),
        ("b", "error", "HTTP 500", "open"),
    ]


def _legacy_line(n: int, recorded_at: float) -> str:
    return json.dumps(
        {
            "recorded_at": recorded_at,
            "product_id": "SKU-7",
            "quantity": 2,
            "correlation_id": f"legacy-{n}",
            "strategy": "best",
            "decided": True,
            "partial": False,
            "error": None,
            "result": {"supplier": "a", "total_price": 4.0, "currency": "EUR"},
            "quotes": [
                {
                    "supplier": "a",
                    "supplier_id": "a",
                    "product_id": "SKU-7",
                    "unit_price": 2.0,
                    "total_price": 4.0,
                    "currency": "EUR",
                    "valid_until": "2099-01-01T00:00:00+00:00",
                    "in_stock": True,
                    "delivery_days": 2,
                    "latency_ms": 9.0,
                }
            ],
            "suppliers": [
                {"name": "a", "status": "ok", "latency_ms": 9.0, "error": None},
                {"name": "b", "status": "timeout", "latency_ms": 50.0, "error": "slow"},
            ],
            "elapsed_ms": 50.0,
        }
    )


def test_an_old_history_jsonl_is_imported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    legacy = tmp_path / "history.jsonl"
    now = time.time()
    legacy.write_text(
        _legacy_line(1, now - 60) + "\n{broken\n[1]\n" + _legacy_line(2, now - 30) + "\n"
    )
    path = tmp_path / "history.sqlite3"
    with caplog.at_level(logging.INFO, "scatterdash.history"):
        database = HistoryDatabase.open(path, legacy=[legacy, tmp_path / "missing.jsonl"])
    assert "skipped 2 damaged lines" in caplog.text
    listed = database.comparisons()
    assert [s.correlation_id for s in listed] == ["legacy-2", "legacy-1"]
    assert {s.source for s in listed} == {"import"}
    stored = database.find("legacy-1")
    assert stored is not None
    assert [(o.supplier, o.status, o.quote is not None) for o in stored.outcomes] == [
        ("a", "ok", True),
        ("b", "timeout", False),
    ]
    database.close()

    legacy.write_text(legacy.read_text() + _legacy_line(3, now) + "\n")
    again = HistoryDatabase.open(path, legacy=[legacy])  # already imported: not again
    assert len(again.comparisons()) == 2
    again.close()


async def test_retention_drops_what_is_older_than_keep_days(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    legacy = tmp_path / "history.jsonl"
    day = 86_400
    legacy.write_text(
        _legacy_line(1, time.time() - 40 * day) + "\n" + _legacy_line(2, time.time() - day) + "\n"
    )
    database = HistoryDatabase.open(path, legacy=[legacy], keep_days=30)
    assert [s.correlation_id for s in database.comparisons()] == ["legacy-2"]
    assert database.find("legacy-1") is None
    # the outcomes go with their comparison
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM outcomes").fetchone()
    assert rows == (2,)
    database.close()


async def test_retention_is_applied_again_while_the_history_stays_open(tmp_path: Path) -> None:
    """A window may run for weeks: keep_days is applied hourly, not only at open."""
    legacy = tmp_path / "history.jsonl"
    now = time.time()
    legacy.write_text(_legacy_line(1, now - 25 * 3600) + "\n")
    # opened two hours ago: the 25-hour-old comparison was within one day then
    database = HistoryDatabase.open(
        tmp_path / "history.sqlite3", legacy=[legacy], keep_days=1, now=now - 2 * 3600
    )
    assert [s.correlation_id for s in database.comparisons()] == ["legacy-1"]
    async with ScriptedFleet({"a": healthy()}) as fleet:
        async with core.PriceComparator(fleet.config()) as comparator:
            fresh = await comparator.compare("SKU-1", 1)
    database.add_comparison(
        ComparisonRecord.from_comparison(fresh, recorded_at=time.time(), source="cli")
    )
    assert [s.correlation_id for s in database.comparisons()] == [fresh.correlation_id]
    database.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` really read-only: by mode, or (root ignores modes) immutable."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a file read-only for root here (chattr +i refused)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_corrupt_locked_and_read_only_databases_are_one_clear_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database, it was overwritten " * 200)
    with pytest.raises(HistoryUnavailable, match=r"corrupt\.sqlite3: the database is corrupt"):
        HistoryDatabase.open(corrupt)

    locked = tmp_path / "locked.sqlite3"
    HistoryDatabase.open(locked).close()
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryUnavailable, match="locked by another process"):
            HistoryDatabase.open(locked, busy_timeout_s=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    readonly = tmp_path / "readonly.sqlite3"
    database = HistoryDatabase.open(readonly)
    database.close()
    sqlite3.connect(readonly).execute("PRAGMA journal_mode = DELETE").fetchone()
    with read_only(readonly), pytest.raises(HistoryUnavailable, match="read-only"):
        HistoryDatabase.open(readonly)

    newer = tmp_path / "newer.sqlite3"
    sqlite3.connect(newer).execute("PRAGMA user_version = 99")
    with pytest.raises(HistoryUnavailable, match="newer Scatterdash"):
        HistoryDatabase.open(newer)


async def test_a_corrupt_database_turns_history_off_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)
    async with ScriptedFleet({"a": healthy(), "b": healthy(unit_price=1.0)}) as fleet:
        with caplog.at_level(logging.WARNING, "scatterdash.history"):
            comparisons = await compare_and_record(fleet, path, ("best", "all", "first"))
    assert all(c.decided for c in comparisons)  # the comparisons themselves went on
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "history off" in warnings[0].getMessage() and "corrupt" in warnings[0].getMessage()
    assert path.read_bytes().startswith(b"\x00garbage")  # never "repaired" over


async def test_exports_parse(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet(
        {"a": healthy(unit_price=2.0), "b": healthy(unit_price=1.5), "c": status(500)}
    ) as fleet:
        comparisons = await compare_and_record(fleet, path, ("best", "all"))
    database = HistoryDatabase.open(path)
    out = io.StringIO()
    assert write_history_csv(database.outcome_rows(), out) == 6
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["correlation_id"], r["supplier"], r["status"]) for r in rows[:3]] == [
        (comparisons[0].correlation_id, "a", "ok"),
        (comparisons[0].correlation_id, "b", "ok"),
        (comparisons[0].correlation_id, "c", "error"),
    ]
    assert rows[1]["total_price"] == "6.0" and rows[1]["quantity"] == "4"
    assert rows[2]["total_price"] == "" and rows[2]["error"].startswith("HTTP 500")
    assert float(rows[0]["latency_ms"]) > 0
    out = io.StringIO()
    assert write_history_json(database.documents(), out) == 2
    documents = json.loads(out.getvalue())
    assert [d["strategy"] for d in documents] == ["best", "all"]
    assert documents[1] == {
        **comparisons[1].to_dict(),
        "recorded_at": documents[1]["recorded_at"],
        "product_id": "SKU-1",
        "quantity": 4,
    }
    database.close()


async def test_the_fallback_is_the_newest_good_quote_within_max_age(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet(
        {
            "a": healthy(unit_price=2.0),
            "b": healthy(unit_price=1.5, in_stock=False),
            "c": healthy(unit_price=1.75),
        }
    ) as fleet:
        (older,) = await compare_and_record(fleet, path)
        (newer,) = await compare_and_record(fleet, path, ("majority",), quorum=3)
    assert not newer.decided
    database = HistoryDatabase.open(path)
    now = time.time()
    found = find_fallback(database, newer, max_age_s=3600, now=now)
    assert found is not None
    # the newest good quote is the older comparison's cheapest in-stock one, never the
    # undecided comparison's own
    assert (found.supplier, found.correlation_id) == ("c", older.correlation_id)
    document = found.to_dict()
    assert document["stale"] is True and document["total_price"] == 7.0
    assert document["product_id"] == "SKU-1" and 0 <= document["age_s"] < 60
    assert find_fallback(database, newer, max_age_s=3600, now=now + 7200) is None  # too old
    assert find_fallback(database, older, max_age_s=3600, now=now) is None  # decided
    # with [defaults] currency, a quote recorded in another is never offered
    assert find_fallback(database, newer, max_age_s=3600, now=now, currency="USD") is None
    in_euros = find_fallback(database, newer, max_age_s=3600, now=now, currency="EUR")
    assert in_euros is not None and in_euros.supplier == "c"
    database.close()


async def test_writes_never_wait_on_the_event_loop(tmp_path: Path) -> None:
    """A write is queued and returns at once, even while the database is locked."""
    path = tmp_path / "history.sqlite3"
    service = HistoryService(path, busy_timeout_s=5.0)
    assert await service.call(lambda db: db.comparisons(), None) == []
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    started = time.perf_counter()
    for _ in range(100):
        service.submit(lambda db: db.prune(0))
    assert time.perf_counter() - started < 0.05
    holder.execute("ROLLBACK")
    holder.close()
    await asyncio.wait_for(service.aclose(), 10)
    assert service.available


async def test_a_cancelled_read_leaves_the_history_working(tmp_path: Path) -> None:
    """A caller that stops waiting (the window closing) does not kill the database thread."""
    service = HistoryService(tmp_path / "history.sqlite3")
    gate = threading.Event()
    service.submit(lambda db: gate.wait(10))  # holds the thread while the read is queued
    read = asyncio.ensure_future(service.call(lambda db: db.comparisons(), None))
    await asyncio.sleep(0)  # the read is queued behind the gate
    read.cancel()
    closing = [asyncio.ensure_future(service.aclose()) for _ in range(2)]
    await asyncio.sleep(0)
    closing[0].cancel()  # one closer giving up must not cancel the close for the other
    gate.set()
    await asyncio.wait_for(closing[1], 10)
    assert read.cancelled() and service.available
    assert not service._thread.is_alive()


async def test_a_write_reaches_the_thread_after_the_loop_s_current_callback(
    tmp_path: Path,
) -> None:
    """The writer does not compete with the callback that handed it the write (the window
    drawing a comparison's end), and a read still sees every write submitted before it."""
    service = HistoryService(tmp_path / "history.sqlite3")
    written: list[str] = []
    service.submit(lambda db: written.append("first"))
    assert service._jobs.empty() and not written  # held until this callback is done
    service.submit(lambda db: written.append("second"))
    assert await service.call(lambda db: list(written), None) == ["first", "second"]
    service.submit(lambda db: written.append("third"))
    await asyncio.sleep(0)  # the callback that submitted it is over: it is queued now
    assert not service._held
    service.submit(lambda db: written.append("fourth"))  # closing writes what is held
    await asyncio.wait_for(service.aclose(), 10)
    assert written == ["first", "second", "third", "fourth"]


def test_without_an_event_loop_a_write_is_queued_at_once(tmp_path: Path) -> None:
    service = HistoryService(tmp_path / "history.sqlite3")
    done = threading.Event()
    service.submit(lambda db: done.set())
    assert done.wait(10)
    asyncio.run(service.aclose())


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux schedules a thread by its nice")
async def test_the_writer_thread_runs_in_the_background_and_the_loop_does_not() -> None:
    """Recording a large comparison must not take turns with the window's loop on its core."""
    service = HistoryService(":memory:")
    try:
        writer = await service.call(lambda db: os.getpriority(os.PRIO_PROCESS, 0), None)
        ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert writer == max(ours, BACKGROUND_NICENESS)  # pytest itself may run niced
        assert ours < writer or ours >= BACKGROUND_NICENESS
    finally:
        await service.aclose()


async def test_an_all_comparison_is_stored_as_compare_json_prints_it(tmp_path: Path) -> None:
    """`all` names each quote twice (ranked and quotes): both come back, as separate dicts."""
    path = tmp_path / "history.sqlite3"
    async with ScriptedFleet(
        {"a": healthy(unit_price=2.0), "b": healthy(unit_price=1.5), "c": status(500)}
    ) as fleet:
        (every,) = await compare_and_record(fleet, path, ("all",))
    document = every.to_dict()
    assert [q["supplier"] for q in document["result"]] == ["b", "a"]
    assert document["result"][0] == document["cheapest"] == document["quotes"][0]
    document["result"][0]["total_price"] = -1.0
    assert document["quotes"][0]["total_price"] == 6.0  # never one dict in two places
    database = HistoryDatabase.open(path)
    try:
        stored = database.find(every.correlation_id)
        assert stored is not None and stored.document == every.to_dict()
    finally:
        database.close()


async def test_a_lock_held_past_the_busy_timeout_delays_writes_without_losing_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holding the lock (a `history` command pruning, a sqlite3 shell) does
    not turn the history off for the rest of a long-running window: the writes wait."""
    path = tmp_path / "history.sqlite3"
    service = HistoryService(path, busy_timeout_s=0.05)
    assert await service.call(lambda db: db.comparisons(), None) == []
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    service.submit(lambda db: db.add_comparison(_record("held-1")))
    # a read goes on meanwhile (WAL), and comes after the write was tried
    assert await service.call(lambda db: db.comparisons(), None) == []
    assert "writes wait" in caplog.text
    holder.execute("ROLLBACK")
    holder.close()
    service.submit(lambda db: db.add_comparison(_record("held-2")))
    await asyncio.wait_for(service.aclose(), 10)
    assert service.available
    database = HistoryDatabase.open(path)
    assert sorted(s.correlation_id for s in database.comparisons()) == ["held-1", "held-2"]
    database.close()


async def test_writes_still_locked_at_close_are_counted_in_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "history.sqlite3"
    service = HistoryService(path, busy_timeout_s=0.05)
    assert await service.call(lambda db: db.comparisons(), None) == []
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for n in range(3):
            service.submit(lambda db, n=n: db.add_comparison(_record(f"lost-{n}")))
        await asyncio.wait_for(service.aclose(), 10)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "3 comparisons or events not recorded: the database stayed locked" in caplog.text


async def test_a_legacy_file_with_values_sqlite_cannot_hold_is_imported_without_them(
    tmp_path: Path,
) -> None:
    """A quantity past 2**63 or a lone surrogate (what an old version wrote for a non-UTF-8
    argument) skips that line; it must not kill the writer thread and hang the close."""
    legacy = tmp_path / "history.jsonl"
    huge = json.loads(_legacy_line(2, time.time() - 20))
    huge["quantity"] = 2**70
    surrogate = json.loads(_legacy_line(3, time.time() - 10))
    surrogate["product_id"] = "SKU-\udcff"
    legacy.write_text(
        "\n".join([_legacy_line(1, time.time() - 30), json.dumps(huge), json.dumps(surrogate), ""])
    )
    service = HistoryService(tmp_path / "history.sqlite3", legacy=[legacy])
    listed = await service.call(lambda db: db.comparisons(), None)
    await asyncio.wait_for(service.aclose(), 10)
    assert service.available
    assert listed is not None and [s.correlation_id for s in listed] == ["legacy-1"]


async def test_a_bug_while_opening_turns_history_off_and_still_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_open(*args: object, **kwargs: object) -> HistoryDatabase:
        raise RuntimeError("a bug")

    monkeypatch.setattr(HistoryDatabase, "open", broken_open)
    service = HistoryService(tmp_path / "history.sqlite3")
    assert await service.call(lambda db: db.comparisons(), "off") == "off"
    await asyncio.wait_for(service.aclose(), 10)
    assert service.problem is not None and "RuntimeError: a bug" in service.problem


def _record(correlation_id: str) -> ComparisonRecord:
    return ComparisonRecord(
        correlation_id=correlation_id,
        recorded_at=time.time(),
        product_id="SKU-1",
        quantity=1,
        strategy="best",
        decided=False,
        partial=False,
        error="no valid responses",
        winner=None,
        total_price=None,
        currency=None,
        elapsed_ms=1.0,
        deadline_s=1.0,
        source="cli",
        document={},
        outcomes=(),
    )


def test_a_document_stored_as_text_by_an_earlier_build_still_reads(tmp_path: Path) -> None:
    database = HistoryDatabase.open(tmp_path / "history.sqlite3")
    database.add_comparison(_record("text-1"))
    database._db.execute("UPDATE comparisons SET document = ?", ('{"product_id": "SKU-1"}',))
    stored = database.find("text-1")
    database.close()
    assert stored is not None and stored.document == {"product_id": "SKU-1"}


async def test_a_value_sqlite_cannot_hold_costs_one_record_and_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = HistoryService(tmp_path / "history.sqlite3")

    def overflowing(db: HistoryDatabase) -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    service.submit(overflowing)
    service.submit(lambda db: db.add_comparison(_record("after")))
    listed = await service.call(lambda db: db.comparisons(), None)
    await asyncio.wait_for(service.aclose(), 10)
    assert listed is not None and [s.correlation_id for s in listed] == ["after"]
    assert "history: a record was not written: Python int too large" in caplog.text
    assert "Traceback" not in caplog.text and service.available
