"""Notifications: the in-app bell.

A notification is written in the same transaction as the change that causes it
(``notify`` does not commit). E-mail is sent later by the scheduler's ``emails`` job
(engine/jobs/emails.py, through engine/io/mail.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from engine import clock
from engine.errors import ValidationFailed
from engine.models import Notification, table_of
from engine.policy import Actor
from engine.services.common import record
from engine.text import Text
from engine.vocab import EventKind

if TYPE_CHECKING:
    from engine.db import UnitOfWork



# --- in-app ------------------------------------------------------------------------------

def notify(session: Session, user_id: int, kind: str, project_id: int | None, text: Text) -> Notification:
    """Add a notification for one user, in the caller's transaction (no commit)."""
    n = Notification(user_id=user_id, at=clock.now(), kind=kind, project_id=project_id,
                     text_ru=text.ru, text_en=text.en)
    session.add(n)
    return n


def notify_many(session: Session, notes: Iterable[tuple[int, str, int | None, Text]]) -> int:
    """Add many notifications ``(user_id, kind, project_id, text)`` with one multi-row
    INSERT, in the caller's transaction (no commit); for the scheduler's batches.
    Returns how many were added."""
    at = clock.now()
    rows = [{"user_id": user_id, "at": at, "kind": kind, "project_id": project_id,
             "text_ru": text.ru, "text_en": text.en} for user_id, kind, project_id, text in notes]
    if rows:
        session.execute(insert(table_of(Notification)), rows)
    return len(rows)


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (the number on the bell)."""
    stmt = select(func.count()).select_from(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    return int(session.execute(stmt).scalar_one())


def list_for(uow: UnitOfWork, actor: Actor, limit: int = 50) -> list[Notification]:
    """The actor's own notifications, newest first (the system has none)."""
    if actor.user_id is None:
        return []
    limit = max(1, min(int(limit), 500))
    stmt = (select(Notification).where(col(Notification.user_id) == actor.user_id)
            .order_by(col(Notification.at).desc(), col(Notification.id).desc())
            .limit(limit))
    return list(uow.session.execute(stmt).scalars())


def mark_read(uow: UnitOfWork, actor: Actor, ids: list[int] | None) -> int:
    """Mark the actor's notifications read: those in ``ids``, or all when None.

    Ids of other users' notifications are ignored (never touched, never revealed).
    Writes a ``notifications_read`` event when anything was marked; commits.
    Returns how many were marked.
    """
    if ids is not None and (not isinstance(ids, list)
                            or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)):
        raise ValidationFailed({"ids": Text("Ожидается список номеров уведомлений",
                                            "A list of notification ids is expected")})
    if actor.user_id is None or ids == []:
        return 0
    stmt = (update(Notification)
            .where(col(Notification.user_id) == actor.user_id,
                   col(Notification.read_at).is_(None))
            .values(read_at=clock.now())
            .execution_options(synchronize_session=False))
    if ids is not None:
        stmt = stmt.where(col(Notification.id).in_(ids))
    marked = uow.session.exec(stmt).rowcount
    if marked:
        record(uow.session, actor, EventKind.NOTIFICATIONS_READ, None,
               {"count": marked, "all": ids is None, "ids": ids if ids is not None else None})
    uow.commit()
    return marked
