"""The participants of a programme as rows for a workbook (#13 item 10): each organisation
with its municipality, wave, status, every funnel step, and its readiness per section in
the latest round it submitted. Read in the tower's scope (a municipal curator: theirs)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine.db import UnitOfWork
from engine.models import Municipality, Participant, ReadinessAnswer, ReadinessRound, pk
from engine.policy import Actor
from engine.programme import questionnaire as questionnaires
from engine.programme.funnel import STEPS, funnel_rows
from engine.programme.tower import tower_scope
from engine.text import Text


@dataclass(frozen=True)
class ParticipantsSheet:
    title: str
    steps: list[str]
    sections: list[tuple[str, Text]]  # (section id, title)
    rows: list[dict[str, Any]]  # org_name, municipality, wave, joined_on, status, steps, readiness, round


def participants_sheet(uow: UnitOfWork, actor: Actor, programme_id: int) -> ParticipantsSheet:
    prog, org_ids = tower_scope(uow, actor, programme_id)
    s = uow.session
    rows = funnel_rows(s, uow.workflows, pk(prog), org_ids=org_ids)
    parts = {p.id: p for p in s.execute(select(Participant).where(col(Participant.programme_id) == prog.id)).scalars()}
    muns: dict[int, str] = {i: n for i, n in s.execute(select(col(Municipality.id), col(Municipality.name))
                                                      .where(col(Municipality.region_id) == prog.region_id))}
    q = questionnaires.get(prog.questionnaire_id) if prog.questionnaire_id else None
    sections = [(sec.id, sec.title) for sec in q.sections] if q is not None else []
    item_section = q.item_section if q is not None else {}
    latest: dict[int, tuple[date, str, dict[str, Any]]] = {}
    for ans, rnd in s.execute(select(ReadinessAnswer, ReadinessRound)
                              .join(ReadinessRound, col(ReadinessRound.id) == col(ReadinessAnswer.round_id))
                              .where(col(ReadinessRound.programme_id) == prog.id,
                                     col(ReadinessAnswer.status) == "submitted")
                              .order_by(col(ReadinessRound.opens_on), col(ReadinessRound.id))):
        latest[ans.org_id] = (rnd.opens_on, rnd.title, ans.scores)
    out = []
    for r in sorted(rows, key=lambda r: (muns.get(r.municipality_id, ""), r.org_name)):
        part = parts[r.participant_id]
        readiness: dict[str, float | None] = {sid: None for sid, _ in sections}
        round_title = ""
        if r.org_id in latest:
            _, round_title, scores = latest[r.org_id]
            by_section: dict[str, list[float]] = {}
            for item, score in scores.items():
                if item in item_section and isinstance(score, int | float):
                    by_section.setdefault(item_section[item], []).append(float(score))
            readiness = {sid: (round(sum(v) / len(v), 2) if (v := by_section.get(sid)) else None)
                         for sid, _ in sections}
        out.append({"org_name": r.org_name, "municipality": muns.get(r.municipality_id, ""), "wave": part.wave,
                    "joined_on": part.joined_on, "status": r.status, "steps": r.steps,
                    "readiness": readiness, "round": round_title})
    return ParticipantsSheet(prog.title, list(STEPS), sections, out)
