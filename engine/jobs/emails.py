"""The e-mail job (every minute): send pending notifications when SMTP is configured.
A kind the recipient muted on the account page (``email_mute``) is never e-mailed: it
stays in the bell only.

Each notification is claimed with a compare-and-swap on ``emailed_at`` before it is sent,
so two senders never send the same one twice (at most once: a sender that dies between
the claim and the send loses that e-mail; the bell still shows it).
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.io.mail import SmtpConfig, compose, connect
from engine.models import EmailMute, Notification, User
from engine.text import Text

log = logging.getLogger("leanschool.notifications")

# Notifications older than this are not e-mailed any more (in-app only): switching SMTP
# on for an installation with a year of unread bells must not flood everybody's inbox.
EMAIL_MAX_AGE = timedelta(days=3)
EMAIL_BATCH = 500  # per run of the job; it runs every minute


def _claim(store: Store, limit: int) -> tuple[datetime, list[Any]]:
    """Claim what is due with one compare-and-swap UPDATE (the transaction's first
    statement, so SQLite takes its write lock at once); only the rows it returns are ours."""
    now = clock.now()
    muted = exists(select(col(EmailMute.kind)).where(col(EmailMute.user_id) == col(Notification.user_id),
                                                col(EmailMute.kind) == col(Notification.kind)))
    due = (select(col(Notification.id)).join(User, col(User.id) == col(Notification.user_id))
           .where(col(Notification.emailed_at).is_(None), col(Notification.at) >= now - EMAIL_MAX_AGE,
                  col(User.is_active).is_(True), ~muted)
           .order_by(col(Notification.id)).limit(limit))
    with store.uow() as uow:
        claimed = uow.session.execute(
            update(Notification)
            .where(col(Notification.id).in_(due.scalar_subquery()),
                   col(Notification.emailed_at).is_(None))
            .values(emailed_at=now)
            .returning(col(Notification.id))
            .execution_options(synchronize_session=False)).scalars().all()
        rows = uow.session.execute(
            select(col(Notification.id), col(Notification.kind), col(Notification.at), col(Notification.text_ru),
                   col(Notification.text_en), col(User.email), col(User.locale))
            .join(User, col(User.id) == col(Notification.user_id))
            .where(col(Notification.id).in_(claimed)).order_by(col(Notification.id))).all() if claimed else []
        uow.commit()
    return now, list(rows)


def _release(store: Store, ids: list[int], claimed_at: datetime) -> None:
    """Give unsent claims back (only ours: emailed_at still holds our claim time)."""
    if not ids:
        return
    with store.uow() as uow:
        uow.session.execute(update(Notification)
                            .where(col(Notification.id).in_(ids),
                                   col(Notification.emailed_at) == claimed_at)
                            .values(emailed_at=None).execution_options(synchronize_session=False))
        uow.commit()


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
        conn = connect(smtp)
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




def emails(store: Store) -> dict[str, Any]:
    """E-mail pending notifications, when SMTP is configured (SMTP_HOST ...)."""
    smtp = SmtpConfig.from_env()
    if smtp is None:
        return {"sent": 0, "smtp": "off"}
    return {"sent": send_pending_emails(store, smtp)}
