"""Alembic environment. The URL comes from the caller (engine.db.migrate) or DATABASE_URL."""
from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import engine.models  # noqa: F401  (registers the tables)
from engine.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return (config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
            or "sqlite:///instance/leanschool.db")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Leave the full-text search objects made by hand in revision 0003 to themselves."""
    if type_ == "table" and name and name.startswith("practice_fts"):
        return False
    return not (type_ == "index" and name == "ix_practice_fts")


def run_migrations_offline() -> None:
    url = _url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"), compare_type=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = make_engine(_url())
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # a batch migration rebuilds a table others point to (0010: practice): SQLite
            # checks foreign keys at the end instead (below), as its docs prescribe; the
            # pragma works only outside a transaction
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=sqlite, compare_type=True, include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows without their foreign rows: {broken[:5]}")
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
