"""Reads on a read replica (#16 item 4: ``DATABASE_REPLICA_URL``, a PostgreSQL streaming
replica of the primary).

The heavy reads — the control tower, the programme tower, analytics, reports, exports —
may go to the replica; everything else, and every write, uses the primary. A replica
lags the primary by a moment, so a person who has just changed something reads the
primary for ``STICKY_SECONDS`` after it: the tower they open after a move shows the
move. "Just changed" is read from the audit log on the primary (every change writes an
event with its actor in the same transaction; one probe of ``ix_event_actor_at``), so it
holds across web workers and for API clients with tokens alike.

    with store.uow() as uow:
        on_replica = reads_from_replica(uow, user_id)
    with store.uow(replica=on_replica) as uow:
        ...  # reads only
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.models import Event

STICKY_SECONDS = 60  # well above a healthy replica's lag (under a second on one LAN)


def just_wrote(uow: UnitOfWork, user_id: int | None) -> bool:
    """Did this person change anything in the last STICKY_SECONDS (read on the primary)?"""
    if user_id is None:
        return False
    since = clock.now() - timedelta(seconds=STICKY_SECONDS)
    return uow.session.execute(select(col(Event.id)).where(
        col(Event.actor_id) == user_id, col(Event.at) >= since).limit(1)).first() is not None


def reads_from_replica(uow: UnitOfWork, user_id: int | None) -> bool:
    """Whether a heavy read for this person may go to the replica: one is configured and
    the person has not just changed something. ``uow`` is a unit of work on the primary."""
    return uow.store.replica_engine is not None and not just_wrote(uow, user_id)
