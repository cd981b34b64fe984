"""The settings every connection of a Store gets (engine.db.make_engine): on PostgreSQL no
JIT and no parallel workers (a region's short statements ran slower with both, see
make_engine); on SQLite foreign keys enforced and the write-ahead log."""
from __future__ import annotations

from sqlalchemy import text

from engine.db import Store


def test_each_connection_of_the_store_has_our_settings(store: Store) -> None:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            assert conn.execute(text("SHOW jit")).scalar() == "off"
            assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
        else:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
