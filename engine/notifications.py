"""Notifications: the in-app bell, and e-mail when SMTP is configured.

A notification is written in the same transaction as the change that causes it
(``notify`` does not commit). E-mail is sent later by the scheduler's ``emails`` job:
each notification is claimed with a compare-and-swap on ``emailed_at`` before it is
sent, so two senders never send the same one twice (at most once: a sender that dies
between the claim and the send loses that e-mail; the bell still shows it).
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from engine import clock
from engine.errors import ValidationFailed
from engine.models import Notification, User
from engine.policy import Actor
from engine.services.common import record
from engine.text import Text

if TYPE_CHECKING:
    from engine.db import Store, UnitOfWork

log = logging.getLogger("leanschool.notifications")

# Notifications older than this are not e-mailed any more (in-app only): switching SMTP
# on for an installation with a year of unread bells must not flood everybody's inbox.
EMAIL_MAX_AGE = timedelta(days=3)
EMAIL_BATCH = 500  # per run of the job; it runs every minute

SUBJECTS: dict[str, Text] = {
    "stalled": Text("Проект остановился", "A project has stalled"),
    "approval_reminder": Text("Запрос ждёт вашего согласования", "A request is waiting for your approval"),
    "risk_overdue": Text("Срок по риску прошёл", "A risk is past its due date"),
}
DEFAULT_SUBJECT = Text("Уведомление", "Notification")
FOOTER = Text("Это автоматическое письмо Lean School; уведомление видно и в системе (колокольчик).",
              "This is an automatic message from Lean School; the notification is also shown in the app.")


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
        session.execute(insert(Notification.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (the number on the bell)."""
    stmt = select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))  # type: ignore[union-attr]
    return int(session.execute(stmt).scalar_one())


def list_for(uow: UnitOfWork, actor: Actor, limit: int = 50) -> list[Notification]:
    """The actor's own notifications, newest first (the system has none)."""
    if actor.user_id is None:
        return []
    limit = max(1, min(int(limit), 500))
    stmt = (select(Notification).where(Notification.user_id == actor.user_id)
            .order_by(Notification.at.desc(), Notification.id.desc())  # type: ignore[attr-defined,union-attr]
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
            .where(Notification.user_id == actor.user_id,
                   Notification.read_at.is_(None))  # type: ignore[union-attr]
            .values(read_at=clock.now())
            .execution_options(synchronize_session=False))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))  # type: ignore[union-attr]
    marked = uow.session.execute(stmt).rowcount  # type: ignore[attr-defined]
    if marked:
        record(uow.session, actor, "notifications_read", None,
               {"count": marked, "all": ids is None, "ids": ids if ids is not None else None})
    uow.commit()
    return marked


# --- e-mail ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "leanschool@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """SMTP_HOST, SMTP_PORT (25), SMTP_FROM, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS;
        None when SMTP_HOST is not set (notifications stay in-app only)."""
        env = os.environ if env is None else env
        host = (env.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        port_text = (env.get("SMTP_PORT") or "").strip()
        try:
            port = int(port_text) if port_text else 25
        except ValueError:
            raise ValueError(f"SMTP_PORT must be a number, not {port_text!r}") from None
        return cls(host=host, port=port,
                   sender=(env.get("SMTP_FROM") or "").strip() or f"leanschool@{host}",
                   user=(env.get("SMTP_USER") or "").strip() or None,
                   password=env.get("SMTP_PASSWORD") or None,
                   starttls=(env.get("SMTP_STARTTLS") or "").strip().lower() in ("1", "true", "yes", "on"))


def compose(smtp: SmtpConfig, to: str, locale: str | None, kind: str, text: Text,
            at: datetime) -> EmailMessage:
    """One e-mail in the recipient's language (Russian unless the user chose English)."""
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Subject"] = "Lean School: " + SUBJECTS.get(kind, DEFAULT_SUBJECT).get(locale)
    msg["Date"] = format_datetime(clock.as_utc(at))
    msg["Message-ID"] = make_msgid(domain="leanschool")
    msg.set_content(f"{text.get(locale)}\n\n-- \n{FOOTER.get(locale)}\n")
    return msg


def _claim(store: Store, limit: int) -> tuple[datetime, list[Any]]:
    """Claim what is due with one compare-and-swap UPDATE (the transaction's first
    statement, so SQLite takes its write lock at once); only the rows it returns are ours."""
    now = clock.now()
    due = (select(Notification.id).join(User, User.id == Notification.user_id)
           .where(Notification.emailed_at.is_(None), Notification.at >= now - EMAIL_MAX_AGE,  # type: ignore[union-attr]
                  User.is_active.is_(True))  # type: ignore[attr-defined]
           .order_by(Notification.id).limit(limit))
    with store.uow() as uow:
        claimed = uow.session.execute(
            update(Notification)
            .where(Notification.id.in_(due.scalar_subquery()),  # type: ignore[union-attr]
                   Notification.emailed_at.is_(None))  # type: ignore[union-attr]
            .values(emailed_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)).scalars().all()
        rows = uow.session.execute(
            select(Notification.id, Notification.kind, Notification.at, Notification.text_ru,
                   Notification.text_en, User.email, User.locale)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id.in_(claimed)).order_by(Notification.id)).all() if claimed else []  # type: ignore[union-attr]
        uow.commit()
    return now, list(rows)


def _release(store: Store, ids: list[int], claimed_at: datetime) -> None:
    """Give unsent claims back (only ours: emailed_at still holds our claim time)."""
    if not ids:
        return
    with store.uow() as uow:
        uow.session.execute(update(Notification)
                            .where(Notification.id.in_(ids),  # type: ignore[union-attr]
                                   Notification.emailed_at == claimed_at)
                            .values(emailed_at=None).execution_options(synchronize_session=False))
        uow.commit()


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls:
            conn.starttls(context=ssl.create_default_context())
        if smtp.user:
            conn.login(smtp.user, smtp.password or "")
    except BaseException:
        conn.close()
        raise
    return conn


def send_pending_emails(store: Store, smtp: SmtpConfig | None, limit: int = EMAIL_BATCH) -> int:
    """E-mail the notifications not e-mailed yet; returns how many were sent.

    Without SMTP configured nothing is sent (in-app only). A refused recipient is given
    up (logged); when the server cannot be reached the unsent claims are released so the
    next run tries again, and the error is raised.
    """
    if smtp is None:
        return 0
    claimed_at, rows = _claim(store, limit)
    if not rows:
        return 0
    sent = 0
    unsent = [r.id for r in rows]
    try:
        conn = _connect(smtp)
        try:
            for r in rows:
                msg = compose(smtp, r.email, r.locale, r.kind, Text(r.text_ru, r.text_en), r.at)
                try:
                    conn.send_message(msg)
                    sent += 1
                except smtplib.SMTPRecipientsRefused as exc:  # this address only: give up
                    log.warning("notification %s to %s not e-mailed: %s", r.id, r.email, exc)
                unsent.remove(r.id)
        finally:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()
    except (smtplib.SMTPException, OSError):
        _release(store, unsent, claimed_at)
        raise
    return sent
