"""Sign-in throttling, kept in the database so that every web worker (and every process
behind a load balancer) counts the same failures.

A failed sign-in is a row of ``login_attempt`` (moment, e-mail as typed, client address).
Nobody is locked out: beyond a free allowance of failures in a row (each less than
``WINDOW`` after the one before) the next try must wait a delay that doubles with each
further failure, up to ``MAX_DELAY``; it stays there while the tries go on, and
``WINDOW`` without a failure starts afresh:

- per account (the e-mail, from any address): ``ACCOUNT_FREE`` failures, then 15 s, 30 s ...
- per address: ``ADDRESS_FREE`` failures, higher, since a whole school signs in from one
  NAT address (30 people mistyping now and then must not stop each other).

So a password guesser is slowed on the account it tries and on the address it tries from,
while a colleague behind the same address signs in to their own account as long as the
address has not itself failed too often. A successful sign-in clears that account's
failures (not the address's). Unknown e-mails are counted like known ones, so the
throttle tells nothing about which accounts exist. Rows older than ``KEEP`` are deleted
as new ones are written.

No audit ``Event`` is written for these rows, on purpose: they are security records, not
changes of the domain. Events are the permanent history of what people did to projects
and accounts; a failed sign-in changes nothing, is mostly typed by someone who is not
(yet) an actor, and an attacker could otherwise flood the permanent log at will. The rows
themselves are the record, kept for a day. All times come from ``engine.clock``.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Mapped
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.models import LoginAttempt

WINDOW = timedelta(minutes=15)
ACCOUNT_FREE = 5
ADDRESS_FREE = 20
FIRST_DELAY = 15  # seconds
MAX_DELAY = 300
KEEP = timedelta(days=1)
EMAIL_MAX, IP_MAX = 254, 64  # the columns' lengths


def _email(email: str | None) -> str:
    return (email or "").strip().lower()[:EMAIL_MAX]


def _ip(ip: str | None) -> str:
    return (ip or "")[:IP_MAX]


def _delay(failures: int, free: int) -> int:
    """Seconds to wait after the last of ``failures`` failures (0 within the allowance)."""
    if failures < free:
        return 0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - free))


def _remaining(uow: UnitOfWork, column: Mapped[str], value: str, free: int, now: datetime) -> int:
    """Seconds still to wait for the failures of one account (or address) in a row: each
    less than WINDOW after the next one. Only the latest few matter, since the delay stops
    growing at MAX_DELAY."""
    enough = free + MAX_DELAY.bit_length()
    times = uow.session.execute(
        select(col(LoginAttempt.at)).where(column == value, col(LoginAttempt.at) > now - KEEP)
        .order_by(col(LoginAttempt.at).desc()).limit(enough)).scalars().all()
    streak, later = 0, now
    for at in (clock.as_utc(t) for t in times):
        if later - at > WINDOW:
            break
        streak, later = streak + 1, at
    delay = _delay(streak, free)
    if not delay:
        return 0
    left = (clock.as_utc(times[0]) + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(left))


def wait_seconds(uow: UnitOfWork, email: str | None, ip: str | None) -> int:
    """How many seconds a sign-in to ``email`` from ``ip`` must still wait (0: try now)."""
    now = clock.now()
    return max(_remaining(uow, col(LoginAttempt.email), _email(email), ACCOUNT_FREE, now),
               _remaining(uow, col(LoginAttempt.ip), _ip(ip), ADDRESS_FREE, now))


def record_failure(uow: UnitOfWork, email: str | None, ip: str | None) -> None:
    """Remember a failed sign-in (and forget the ones older than ``KEEP``)."""
    now = clock.now()
    uow.session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < now - KEEP))
    uow.session.add(LoginAttempt(at=now, email=_email(email), ip=_ip(ip)))
    uow.commit()


def clear_account(uow: UnitOfWork, email: str | None) -> None:
    """A successful sign-in: the account's failures are forgotten (the address's stay)."""
    uow.session.execute(delete(LoginAttempt).where(col(LoginAttempt.email) == _email(email)))
    uow.commit()
