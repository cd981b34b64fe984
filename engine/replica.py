"""Reads on a read replica (#16 item 4: ``DATABASE_REPLICA_URL``, a PostgreSQL streaming
replica of the primary).

The heavy reads — the control tower, the programme tower, analytics, reports, exports —
may go to the replica; everything else, and every write, uses the primary. A replica
lags the primary by a moment, so a person who has just changed something reads the
primary for ``STICKY_SECONDS`` after it: the tower they open after a move shows the
move. "Just changed" is read from the audit log on the primary (every change writes an
event with its actor in the same transaction; one probe of ``ix_event_actor_at``), so it
holds across web workers and for API clients with tokens alike.

    with heavy_read(store, user_id) as uow:
        ...  # reads only
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import Store, UnitOfWork
from engine.models import Event

STICKY_SECONDS = 60  # well above a healthy replica's lag (under a second on one LAN)


def just_wrote(uow: UnitOfWork, user_id: int | None) -> bool:
    """Did this person change anything in the last STICKY_SECONDS (read on the primary)?"""
    if user_id is None:
        return False
    since = clock.now() - timedelta(seconds=STICKY_SECONDS)
    return uow.session.execute(select(col(Event.id)).where(
        col(Event.actor_id) == user_id, col(Event.at) >= since).limit(1)).first() is not None


def heavy_read(store: Store, user_id: int | None) -> UnitOfWork:
    """A unit of work for a heavy read by this person: on the replica when one is
    configured and the person has not just changed something, else on the primary."""
    if store.replica_engine is None:
        return store.uow()
    with store.uow() as uow:
        fresh = just_wrote(uow, user_id)
    return store.uow(replica=not fresh)
