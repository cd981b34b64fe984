"""Throwaway PostgreSQL databases for the benchmarks (never the tests' or the demo's)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG_BASE = os.environ.get("LEANSCHOOL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new empty database named ``<prefix>_<pid>``, dropped afterwards."""
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
