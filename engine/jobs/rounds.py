"""Readiness rounds closing soon (daily): the coordinators and heads of each active
participant that has not submitted yet are reminded once, ``ROUND_REMINDER_DAYS`` before
the round closes (compare-and-swap on ``readiness_round.reminded_at``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.jobs.common import Note, granted
from engine.models import Participant, ReadinessAnswer, ReadinessRound, RoleGrant
from engine.policy import ACTIONS, ORG_ROLES, SYSTEM
from engine.services.common import record
from engine.services.notifications import notify_many
from engine.text import Text, counted
from engine.vocab import AnswerStatus, EventKind, NotificationKind, ParticipantStatus

ROUND_REMINDER_DAYS = 7


def round_reminders(store: Store) -> dict[str, Any]:
    today = clock.today()
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(ReadinessRound)
            .where(col(ReadinessRound.reminded_at).is_(None), col(ReadinessRound.closed_at).is_(None),
                   col(ReadinessRound.opens_on) <= today, col(ReadinessRound.closes_on) >= today,
                   col(ReadinessRound.closes_on) <= today + timedelta(days=ROUND_REMINDER_DAYS))
            .values(reminded_at=clock.now())
            .returning(col(ReadinessRound.id), col(ReadinessRound.programme_id), col(ReadinessRound.title),
                       col(ReadinessRound.closes_on))
            .execution_options(synchronize_session=False)).all()
        notes: list[Note] = []
        keepers = tuple(r for r in ORG_ROLES if r in ACTIONS["participation.edit"])  # head, coordinator
        for rnd in sorted(won, key=lambda r: r.id):
            submitted = select(col(ReadinessAnswer.org_id)).where(
                col(ReadinessAnswer.round_id) == rnd.id,
                col(ReadinessAnswer.status) == AnswerStatus.SUBMITTED.value)
            orgs = list(s.execute(select(col(Participant.org_id)).where(
                and_(col(Participant.programme_id) == rnd.programme_id,
                     col(Participant.status) == ParticipantStatus.ACTIVE.value,
                     col(Participant.org_id).not_in(submitted)))).scalars())
            people = granted(s, keepers, RoleGrant.org_id, orgs)
            days = (rnd.closes_on - today).days
            text = Text(f"Анкета «{rnd.title}» закрывается {rnd.closes_on:%d.%m.%Y} "
                        f"(через {counted(days, 'день', 'дня', 'дней')}): заполните и отправьте её",
                        f"The questionnaire “{rnd.title}” closes on {rnd.closes_on:%d.%m.%Y} "
                        f"(in {days} day{'' if days == 1 else 's'}): "
                        "fill it in and submit it")
            users = sorted({u for org in orgs for u in people.get(org, [])})
            notes += [(u, NotificationKind.ROUND_REMINDER.value, None, text) for u in users]
            record(s, SYSTEM, EventKind.ROUND_REMINDED, None,
                   {"programme_id": rnd.programme_id, "round_id": rnd.id, "organizations": len(orgs),
                    "notified": len(users)})
        notified = notify_many(s, notes)
        uow.commit()
    return {"rounds": len(won), "notified": notified}
