"""The readiness questionnaire page's read models (issue #13 item 5): one organisation's
answer to a round with what the reader may do with it, and the rounds a head or a
coordinator still has to answer (the board's reminder). Reads only; the writes are
``service.save_answer`` and ``service.reopen_answer``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import NotFound
from engine.models import (
    Organization,
    Participant,
    Programme,
    ReadinessAnswer,
    ReadinessRound,
    User,
)
from engine.policy import ACTIONS, Actor, can, require_visible
from engine.programme import service as svc
from engine.programme.questionnaire import Questionnaire
from engine.services.common import INT_MAX
from engine.vocab import AnswerStatus, ParticipantStatus


@dataclass(frozen=True)
class AnswerPage:
    round: ReadinessRound
    programme: Programme
    org: Organization
    participant: Participant
    questionnaire: Questionnaire
    answer: ReadinessAnswer | None
    submitted_by_name: str | None
    may_edit: bool  # head or coordinator of the organisation
    may_reopen: bool  # a curator of its region or municipality, an admin
    round_open: bool
    today: date

    @property
    def submitted(self) -> bool:
        return self.answer is not None and self.answer.status == AnswerStatus.SUBMITTED.value

    @property
    def active(self) -> bool:
        return self.participant.status == ParticipantStatus.ACTIVE.value

    @property
    def editable(self) -> bool:
        """The form is shown: the writer, an open round, an active participant, not submitted."""
        return self.may_edit and self.round_open and self.active and not self.submitted

    @property
    def not_yet_open(self) -> bool:
        return self.round.closed_at is None and self.today < self.round.opens_on

    def scores(self) -> dict[str, Any]:
        return dict(self.answer.scores) if self.answer is not None else {}

    def values(self, question_id: str) -> list[str]:
        return list(getattr(self.answer, question_id, None) or []) if self.answer is not None else []


def answer_page(uow: UnitOfWork, actor: Actor, round_id: Any, org_id: Any) -> AnswerPage:
    """One organisation's answer to a round. NotFound unless the actor may see the
    organisation's participation (its head or coordinator, a curator of its region or
    municipality, an admin) and the organisation takes part in the round's programme."""
    rnd, prog = svc.get_round(uow, actor, round_id)
    s = uow.session
    valid_id = isinstance(org_id, int) and not isinstance(org_id, bool) and 0 < org_id <= INT_MAX
    org = s.get(Organization, org_id) if valid_id else None
    if org is None or org.region_id != prog.region_id:
        raise NotFound("organization")
    roles = require_visible(actor, org.id, org.region_id, "organization")  # type: ignore[arg-type]
    if not roles & ACTIONS["participation.view"]:  # a member: nothing of the participation to see
        raise NotFound("organization")
    part = s.execute(select(Participant).where(col(Participant.programme_id) == prog.id,
                                               col(Participant.org_id) == org.id)).scalars().first()
    if part is None:
        raise NotFound("participant")
    answer = s.execute(select(ReadinessAnswer).where(col(ReadinessAnswer.round_id) == rnd.id,
                                                     col(ReadinessAnswer.org_id) == org.id)).scalars().first()
    submitter = None
    if answer is not None and answer.submitted_by is not None:
        user = s.get(User, answer.submitted_by)
        submitter = user.name if user is not None else None
    return AnswerPage(round=rnd, programme=prog, org=org, participant=part,
                      questionnaire=svc.round_questionnaire(rnd), answer=answer, submitted_by_name=submitter,
                      may_edit=bool(roles & ACTIONS["participation.edit"]),
                      may_reopen=bool(roles & ACTIONS["participation.manage"]),
                      round_open=svc.round_is_open(rnd), today=clock.today())


@dataclass(frozen=True)
class DueAnswer:
    round_id: int
    round_title: str
    closes_on: date
    org_id: int
    org_name: str
    draft: bool  # a draft is saved (not yet submitted)


def answers_due(uow: UnitOfWork, actor: Actor) -> list[DueAnswer]:
    """The open rounds whose answer the actor (a head or coordinator) has still to submit
    for their organisations taking part: none saved, or a draft. One query."""
    org_ids = [o for o in actor.org_ids()
               if can(actor, "participation.edit", o, actor.org_regions.get(o, -1))]
    if not org_ids:
        return []
    today = clock.today()
    rows = uow.session.execute(
        select(col(ReadinessRound.id), col(ReadinessRound.title), col(ReadinessRound.closes_on),
               col(Organization.id), col(Organization.name), col(ReadinessAnswer.status))
        .join(Participant, col(Participant.programme_id) == col(ReadinessRound.programme_id))
        .join(Organization, col(Organization.id) == col(Participant.org_id))
        .outerjoin(ReadinessAnswer, and_(col(ReadinessAnswer.round_id) == col(ReadinessRound.id),
                                         col(ReadinessAnswer.org_id) == col(Participant.org_id)))
        .where(col(Participant.org_id).in_(org_ids),
               col(Participant.status) == ParticipantStatus.ACTIVE.value,
               col(ReadinessRound.closed_at).is_(None),
               col(ReadinessRound.opens_on) <= today, col(ReadinessRound.closes_on) >= today)
        .order_by(col(ReadinessRound.closes_on), col(ReadinessRound.id), col(Organization.name))).all()
    return [DueAnswer(round_id=rid, round_title=title, closes_on=closes, org_id=oid, org_name=name,
                      draft=status == AnswerStatus.DRAFT.value)
            for rid, title, closes, oid, name, status in rows if status != AnswerStatus.SUBMITTED.value]
