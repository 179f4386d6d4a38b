"""The history database's schema, versioned with ``PRAGMA user_version``.

Each entry of :data:`MIGRATIONS` takes the database from the version before it to its
own; a new version appends one. Indexes answer what operators ask: by product (and
quantity, for the fallback), by supplier, by time and by correlation id. ``document``
is the ``compare --json`` object, zlib-compressed JSON (a sixth of its size).
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE comparisons (
    id INTEGER PRIMARY KEY,
    correlation_id TEXT NOT NULL UNIQUE,
    recorded_at REAL NOT NULL,
    product_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    strategy TEXT NOT NULL,
    decided INTEGER NOT NULL,
    partial INTEGER NOT NULL,
    error TEXT,
    winner TEXT,
    total_price REAL,
    currency TEXT,
    elapsed_ms REAL,
    deadline_s REAL,
    source TEXT NOT NULL,
    document BLOB NOT NULL
);
CREATE INDEX comparisons_by_product ON comparisons (product_id, recorded_at);
CREATE INDEX comparisons_by_request ON comparisons (product_id, quantity, recorded_at);
CREATE INDEX comparisons_by_time ON comparisons (recorded_at);

CREATE TABLE outcomes (
    comparison_id INTEGER NOT NULL REFERENCES comparisons (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    supplier TEXT NOT NULL,
    status TEXT NOT NULL,
    latency_ms REAL,
    arrival_ms REAL,
    arrival_order INTEGER NOT NULL,
    error TEXT,
    supplier_id TEXT,
    unit_price REAL,
    total_price REAL,
    currency TEXT,
    valid_until TEXT,
    in_stock INTEGER,
    delivery_days INTEGER,
    PRIMARY KEY (comparison_id, position)
) WITHOUT ROWID;
CREATE INDEX outcomes_by_supplier ON outcomes (supplier, comparison_id);

CREATE TABLE breaker_transitions (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    supplier TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX transitions_by_supplier ON breaker_transitions (supplier, at);
CREATE INDEX transitions_by_time ON breaker_transitions (at);

CREATE TABLE probes (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    supplier TEXT NOT NULL,
    status TEXT NOT NULL,
    latency_ms REAL,
    error TEXT,
    state TEXT NOT NULL
);
CREATE INDEX probes_by_supplier ON probes (supplier, at);
CREATE INDEX probes_by_time ON probes (at);
"""

MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)
