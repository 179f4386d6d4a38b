"""The history database: SQLite through the standard library, one connection, no threads.

:class:`HistoryDatabase` is synchronous; the event loop never calls it directly (the
window goes through :class:`core.storage.HistoryService`, a writer thread; the CLI has no
loop to block). Opening it creates or migrates the schema, imports an old
``history.jsonl`` once, drops what is older than ``keep_days`` and makes one small write,
so that a corrupt, locked or read-only file is found at once. Every failure is a
:class:`HistoryUnavailable` with one line naming the file and the problem.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pydantic_core

from core._errors import ScatterdashError
from core._events import BreakerTransition, ProbeCompleted
from core.storage._legacy import read_legacy
from core.storage._records import (
    QUOTE_FIELDS,
    ComparisonRecord,
    HistoryFilter,
    HistorySummary,
    OutcomeRecord,
    StoredComparison,
)
from core.storage._schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["DAY_S", "HistoryBusy", "HistoryDatabase", "HistoryUnavailable"]

log = logging.getLogger("scatterdash.history")

DAY_S = 86_400.0
PRUNE_EVERY_S = 3600.0
T = TypeVar("T")

_SUMMARY_COLUMNS = (
    "c.correlation_id, c.recorded_at, c.product_id, c.quantity, c.strategy, c.decided,"
    " c.partial, c.error, c.winner, c.total_price, c.currency, c.elapsed_ms, c.source"
)
_OUTCOME_COLUMNS = ", ".join(
    (
        "position",
        "supplier",
        "status",
        "latency_ms",
        "arrival_ms",
        "arrival_order",
        "error",
        *QUOTE_FIELDS,
    )
)


class HistoryUnavailable(ScatterdashError):
    """The history database cannot be used (corrupt, locked, read-only, unreachable)."""


class HistoryBusy(HistoryUnavailable):
    """Another process held the database's lock past the busy timeout: worth a retry."""


_LOCKED = "the database is locked by another process"


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        if "not a database" in text or "malformed" in text:
            return f"the database is corrupt ({text})"
        if "locked" in text or "busy" in text:
            return _LOCKED
        if "readonly" in text or "read-only" in text:
            return "the database is read-only"
        if "unable to open" in text:
            return "cannot open the database file (is the directory writable?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return text or type(exc).__name__


@contextlib.contextmanager
def _unavailable_on_error(path: Path) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        reason = _reason(exc)
        kind = HistoryBusy if reason == _LOCKED else HistoryUnavailable
        raise kind(f"{path}: {reason}") from exc


class HistoryDatabase:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Use :meth:`open`."""
        self._db = connection
        self.path = path
        self._keep_days: float | None = None
        self._pruned_at = 0.0

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        keep_days: float | None = 30.0,
        legacy: Sequence[Path] = (),
        busy_timeout_s: float = 2.0,
        now: float | None = None,
    ) -> HistoryDatabase:
        """Open (creating if needed), migrate, import ``legacy`` JSONL files once, and
        drop what is older than ``keep_days`` (``None``: keep everything this time)."""
        path = Path(path)
        connection: sqlite3.Connection | None = None
        with _unavailable_on_error(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            try:
                database = cls(connection, path)
                database._prepare(keep_days, legacy, time.time() if now is None else now)
            except BaseException:
                connection.close()
                raise
        return database

    @classmethod
    def open_read_only(cls, path: str | Path, *, busy_timeout_s: float = 2.0) -> HistoryDatabase:
        """Open for reading only: no write at all (no migration, import or pruning), so a
        read-only file (a backup, another user's) or one another process keeps locked
        can still be listed and shown."""
        path = Path(path)
        with _unavailable_on_error(path):
            if not path.is_file():
                raise sqlite3.OperationalError("unable to open database file")
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
            except BaseException:
                connection.close()
                raise
        if version != SCHEMA_VERSION:
            connection.close()
            raise HistoryUnavailable(
                f"{path}: schema {version}, this Scatterdash reads {SCHEMA_VERSION}; "
                "it cannot be updated while it is read-only"
            )
        return cls(connection, path)

    def _prepare(self, keep_days: float | None, legacy: Sequence[Path], now: float) -> None:
        db = self._db
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryUnavailable(
                f"{self.path}: written by a newer Scatterdash (schema {version}, "
                f"this one knows {SCHEMA_VERSION})"
            )
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
        # with WAL, NORMAL cannot corrupt the database; a power cut may lose the last
        # comparisons. FULL would fsync every one (about 3 ms each here)
        db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            # one script, one transaction (executescript commits whatever is open first)
            steps = "".join(MIGRATIONS[version:])
            with _unavailable_on_error(self.path):
                try:
                    db.executescript(
                        f"BEGIN IMMEDIATE;{steps};PRAGMA user_version = {SCHEMA_VERSION};COMMIT;"
                    )
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
        with self._transaction():
            # the one write every open makes: a read-only or locked file shows up here
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?)", (repr(now),)
            )
        for candidate in legacy:
            self._import_legacy(candidate)
        self._keep_days = keep_days
        self._prune_if_due(now)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with _unavailable_on_error(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        with _unavailable_on_error(self.path):
            return query(self._db)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    # -- the one-time import of history.jsonl ----------------------------------------------

    def _import_legacy(self, source: Path) -> int:
        key = f"imported:{source.resolve()}"
        done = self._read(
            lambda db: db.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone()
        )
        if done is not None or not source.is_file():
            return 0
        try:
            records, skipped = read_legacy(source)
        except OSError as exc:
            log.warning("history: cannot import %s: %s", source, _reason(exc))
            return 0
        with self._transaction() as db:
            imported = 0
            for record in records:
                db.execute("SAVEPOINT record")
                try:
                    imported += self._insert(db, record)
                except (OverflowError, UnicodeError, ValueError, TypeError) as exc:
                    # a value SQLite cannot hold (a quantity past 2**63, a lone surrogate
                    # an old version wrote for a non-UTF-8 argument): that record only
                    db.execute("ROLLBACK TO record")
                    log.debug(
                        "history: %s: cannot import %s: %s", source, record.correlation_id, exc
                    )
                    skipped += 1
                db.execute("RELEASE record")
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)", (key, f"{imported} {skipped}")
            )
        log.info("history: imported %d comparisons from %s", imported, source)
        if skipped:
            log.warning("history: %s: skipped %d damaged lines while importing", source, skipped)
        return imported

    # -- writing ---------------------------------------------------------------------------

    def add_comparison(self, record: ComparisonRecord) -> bool:
        """False if a comparison with that correlation id is already recorded."""
        self._prune_if_due(time.time())
        with self._transaction() as db:
            return self._insert(db, record)

    @staticmethod
    def _insert(db: sqlite3.Connection, record: ComparisonRecord) -> bool:
        cursor = db.execute(
            "INSERT OR IGNORE INTO comparisons (correlation_id, recorded_at, product_id, quantity,"
            " strategy, decided, partial, error, winner, total_price, currency, elapsed_ms,"
            " deadline_s, source, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.correlation_id,
                record.recorded_at,
                record.product_id,
                record.quantity,
                record.strategy,
                record.decided,
                record.partial,
                record.error,
                record.winner,
                record.total_price,
                record.currency,
                record.elapsed_ms,
                record.deadline_s,
                record.source,
                _pack(record.document),
            ),
        )
        if cursor.rowcount == 0:
            return False
        comparison_id = cursor.lastrowid
        db.executemany(
            f"INSERT INTO outcomes (comparison_id, {_OUTCOME_COLUMNS})"
            f" VALUES ({', '.join('?' * (8 + len(QUOTE_FIELDS)))})",
            [
                (
                    comparison_id,
                    o.position,
                    o.supplier,
                    o.status,
                    o.latency_ms,
                    o.arrival_ms,
                    o.arrival_order,
                    o.error,
                    *((o.quote or {}).get(name) for name in QUOTE_FIELDS),
                )
                for o in record.outcomes
            ],
        )
        return True

    def add_transition(self, event: BreakerTransition) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO breaker_transitions (at, supplier, old, new, reason)"
                " VALUES (?, ?, ?, ?, ?)",
                (event.at, event.supplier, event.old, event.new, event.reason),
            )

    def add_probe(self, event: ProbeCompleted) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO probes (at, supplier, status, latency_ms, error, state)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event.at,
                    event.supplier,
                    event.status,
                    event.latency_ms,
                    event.error,
                    event.state,
                ),
            )

    def _prune_if_due(self, now: float) -> None:
        """Apply ``keep_days`` at open and then hourly (a window may run for weeks)."""
        if self._keep_days is not None and now - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = now
            self.prune(now - self._keep_days * DAY_S)

    def prune(self, before: float) -> int:
        """Forget everything recorded before ``before`` (wall-clock seconds)."""
        with self._transaction() as db:
            removed = db.execute("DELETE FROM comparisons WHERE recorded_at < ?", (before,))
            db.execute("DELETE FROM breaker_transitions WHERE at < ?", (before,))
            db.execute("DELETE FROM probes WHERE at < ?", (before,))
            return removed.rowcount

    # -- reading ---------------------------------------------------------------------------

    def comparisons(self, where: HistoryFilter | None = None) -> list[HistorySummary]:
        """Newest first."""
        where = where or HistoryFilter()
        clauses: list[str] = []
        parameters: list[str | float] = []
        if where.product:
            clauses.append("c.product_id = ?")
            parameters.append(where.product)
        if where.supplier:
            clauses.append(
                "EXISTS (SELECT 1 FROM outcomes o WHERE o.comparison_id = c.id AND o.supplier = ?)"
            )
            parameters.append(where.supplier)
        if where.since is not None:
            clauses.append("c.recorded_at >= ?")
            parameters.append(where.since)
        if where.until is not None:
            clauses.append("c.recorded_at < ?")
            parameters.append(where.until)
        if where.search:
            clauses.append("instr(c.correlation_id, ?) > 0")
            parameters.append(where.search)
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM comparisons c"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY c.recorded_at DESC, c.id DESC"
        if where.limit is not None:
            sql += f" LIMIT {int(where.limit)}"
        rows = self._read(lambda db: db.execute(sql, parameters).fetchall())
        return [_summary(row) for row in rows]

    def find(self, correlation_id: str) -> StoredComparison | None:
        """The comparison with this correlation id (or the only one it starts)."""

        def query(db: sqlite3.Connection) -> StoredComparison | None:
            row = db.execute(
                f"SELECT c.id, c.deadline_s, c.document, {_SUMMARY_COLUMNS} FROM comparisons c"
                " WHERE c.correlation_id = ?",
                (correlation_id,),
            ).fetchone()
            if row is None and len(correlation_id) >= 4:
                rows = db.execute(
                    f"SELECT c.id, c.deadline_s, c.document, {_SUMMARY_COLUMNS} FROM comparisons c"
                    " WHERE c.correlation_id >= ? AND c.correlation_id < ? LIMIT 2",
                    (correlation_id, correlation_id + "\U0010ffff"),
                ).fetchall()
                row = rows[0] if len(rows) == 1 else None
            if row is None:
                return None
            outcomes = db.execute(
                f"SELECT {_OUTCOME_COLUMNS} FROM outcomes WHERE comparison_id = ?"
                " ORDER BY position",
                (row[0],),
            ).fetchall()
            return StoredComparison(
                summary=_summary(row[3:]),
                deadline_s=row[1],
                document=_document(row[2]),
                outcomes=tuple(_outcome(o) for o in outcomes),
            )

        return self._read(query)

    def documents(
        self, since: float | None = None
    ) -> Iterator[tuple[HistorySummary, dict[str, Any]]]:
        """Every comparison's ``compare --json`` object, oldest first."""
        rows = self._read(
            lambda db: db.execute(
                f"SELECT c.document, {_SUMMARY_COLUMNS} FROM comparisons c"
                " WHERE c.recorded_at >= ? ORDER BY c.recorded_at, c.id",
                (-math.inf if since is None else since,),
            ).fetchall()
        )
        for row in rows:
            yield _summary(row[1:]), _document(row[0])

    def outcome_rows(
        self, since: float | None = None, until: float | None = None
    ) -> Iterator[tuple[HistorySummary, OutcomeRecord]]:
        """One row per supplier outcome of the comparisons recorded from ``since`` until
        before ``until``, oldest comparison first, suppliers in config order."""
        columns = ", ".join(f"o.{name}" for name in _OUTCOME_COLUMNS.split(", "))
        rows = self._read(
            lambda db: db.execute(
                f"SELECT {_SUMMARY_COLUMNS}, {columns} FROM comparisons c"
                " JOIN outcomes o ON o.comparison_id = c.id"
                " WHERE c.recorded_at >= ? AND c.recorded_at < ?"
                " ORDER BY c.recorded_at, c.id, o.position",
                _between(since, until),
            ).fetchall()
        )
        for row in rows:
            yield _summary(row[:13]), _outcome(row[13:])

    def newest_good_quote(
        self,
        product_id: str,
        quantity: int,
        *,
        since: float,
        now: float,
        exclude: str | None = None,
        currency: str | None = None,
    ) -> tuple[HistorySummary, OutcomeRecord] | None:
        """The newest comparison's best valid, in-stock, unexpired quote for this request
        (in ``currency`` when one is given)."""
        columns = ", ".join(f"o.{name}" for name in _OUTCOME_COLUMNS.split(", "))
        rows = self._read(
            lambda db: db.execute(
                f"SELECT {_SUMMARY_COLUMNS}, {columns} FROM comparisons c"
                " JOIN outcomes o ON o.comparison_id = c.id"
                " WHERE c.product_id = ? AND c.quantity = ? AND c.recorded_at >= ?"
                " AND c.correlation_id != ? AND o.status = 'ok' AND o.in_stock = 1"
                " ORDER BY c.recorded_at DESC, c.id DESC, round(o.total_price, 2),"
                " o.delivery_days, o.latency_ms LIMIT 500",
                (product_id, quantity, since, exclude or ""),
            ).fetchall()
        )
        for row in rows:
            outcome = _outcome(row[13:])
            quote = outcome.quote
            if quote is None or (currency is not None and quote.get("currency") != currency):
                continue
            if _still_valid(quote.get("valid_until"), now):
                return _summary(row[:13]), outcome
        return None

    def transitions(
        self, supplier: str | None = None, *, since: float | None = None, until: float | None = None
    ) -> list[BreakerTransition]:
        """Oldest first, from ``since`` until before ``until``; with ``since``, each
        supplier's last one before it too (the state the supplier was in at ``since``)."""
        low, high = _between(since, until)
        rows = self._read(
            lambda db: db.execute(
                "SELECT id, supplier, old, new, reason, at FROM breaker_transitions"
                " WHERE (?1 IS NULL OR supplier = ?1) AND at >= ?2 AND at < ?3"
                " UNION ALL SELECT id, supplier, old, new, reason, at FROM ("
                "  SELECT *, row_number() OVER (PARTITION BY supplier ORDER BY at DESC, id DESC)"
                "  AS newest FROM breaker_transitions"
                "  WHERE (?1 IS NULL OR supplier = ?1) AND at < min(?2, ?3)"
                " ) WHERE newest = 1 ORDER BY at, id",
                (supplier, low, high),
            ).fetchall()
        )
        return [BreakerTransition(*row[1:]) for row in rows]

    def probes(
        self, supplier: str | None = None, *, since: float | None = None, until: float | None = None
    ) -> list[ProbeCompleted]:
        """Oldest first, from ``since`` until before ``until``."""
        rows = self._read(
            lambda db: db.execute(
                "SELECT supplier, status, latency_ms, error, state, at FROM probes"
                " WHERE (? IS NULL OR supplier = ?) AND at >= ? AND at < ? ORDER BY at, id",
                (supplier, supplier, *_between(since, until)),
            ).fetchall()
        )
        return [ProbeCompleted(*row) for row in rows]


def _between(since: float | None, until: float | None) -> tuple[float, float]:
    """``since`` and ``until`` as bounds for ``at >= ? AND at < ?`` (``None``: open)."""
    return (-math.inf if since is None else since, math.inf if until is None else until)


def _pack(document: Mapping[str, Any]) -> bytes:
    # pydantic-core's serializer is ~5x faster than json.dumps on a 1000-supplier document
    # and zlib's fastest level ~3x faster than its default for ~15 % more bytes: the
    # writer shares the window's core (tests/bench/bench_gui.py --sustained)
    return zlib.compress(pydantic_core.to_json(document), 1)


def _document(stored: bytes | str) -> dict[str, Any]:
    # text: written before documents were compressed (the same schema version)
    document: dict[str, Any] = json.loads(
        stored if isinstance(stored, str) else zlib.decompress(stored)
    )
    return document


def _still_valid(valid_until: Any, now: float) -> bool:
    if not isinstance(valid_until, str):
        return False
    try:
        moment = datetime.fromisoformat(valid_until)
    except ValueError:
        return False
    if moment.tzinfo is None:  # a naive time is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() > now


def _summary(row: Sequence[Any]) -> HistorySummary:
    return HistorySummary(
        correlation_id=row[0],
        recorded_at=row[1],
        product_id=row[2],
        quantity=row[3],
        strategy=row[4],
        decided=bool(row[5]),
        partial=bool(row[6]),
        error=row[7],
        winner=row[8],
        total_price=row[9],
        currency=row[10],
        elapsed_ms=row[11],
        source=row[12],
    )


def _outcome(row: Sequence[Any]) -> OutcomeRecord:
    quote: Mapping[str, Any] | None = None
    if row[2] == "ok" and row[8] is not None:
        values = dict(zip(QUOTE_FIELDS, row[7:], strict=True))
        values["in_stock"] = bool(values["in_stock"])
        quote = values
    return OutcomeRecord(
        position=row[0],
        supplier=row[1],
        status=row[2],
        latency_ms=row[3],
        arrival_ms=row[4],
        arrival_order=row[5],
        error=row[6],
        quote=quote,
    )
