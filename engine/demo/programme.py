"""The demo's regional innovation programme (#13 item 9): the Oryol programme of the seed
with about 40 participants in two waves, school coordinators, initiative groups, two
readiness rounds with a plausible spread, and work plans in every state, so that the
programme tower's funnel and heat map look like a real region in its second year.

Everything goes through the programme's services (engine/programme/service.py) as the
region's curator or the organisation's coordinator, each on its own day of the clock;
the Russian content is data (engine/demo/data/programme.yaml, validated here).
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.demo.world import counted
from engine.errors import DataFileError
from engine.models import Municipality, Organization, Participant, Project, RoleGrant, User, pk
from engine.policy import SYSTEM, Actor
from engine.programme import questionnaire as questionnaires
from engine.programme import service as prog_svc
from engine.services import admin as admin_svc
from engine.services.common import load_actor

DATA_FILE = Path(__file__).resolve().parent / "data" / "programme.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskSpec(_Strict):
    title: str
    due: int
    responsible: str = ""
    rule: str | None = None


class StageSpec(_Strict):
    title: str
    from_: int = Field(alias="from")
    to: int
    content: str = ""
    tasks: list[TaskSpec] = []


class WaveSpec(_Strict):
    wave: int
    joined: int
    share: float = Field(gt=0, le=1)


class RoundSpec(_Strict):
    title: str
    opens: int
    closes: int


class ProgrammeContent(_Strict):
    title: str
    goal: str
    tasks: str
    hypothesis: str
    start_days_ago: int = Field(gt=0)
    length_days: int = Field(gt=0)
    stages: list[StageSpec] = Field(min_length=1)
    waves: list[WaveSpec] = Field(min_length=1)
    participants: int = Field(gt=0)
    final_round: RoundSpec
    positions: list[str] = Field(min_length=1)
    difficulties: list[str] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)
    plan_items: list[str] = Field(min_length=3)
    return_comments: list[str] = Field(min_length=1)
    # a curator of one municipality (the one with most participants): what a municipal curator sees
    municipal_curator_name: str
    municipal_curator_email: str


def content(path: Path = DATA_FILE) -> ProgrammeContent:
    """The programme's content, validated (``file: field: message`` on a bad file)."""
    try:
        return ProgrammeContent.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise DataFileError([(path.name, ".".join(str(p) for p in e["loc"]), e["msg"])
                             for e in exc.errors()]) from None


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def load_programme(store: Store, region_id: int, echo: Callable[[str], Any], password: str,
                   seed: int = 2020) -> dict[str, int]:
    """The programme of the region's demo, through the services; returns what it made."""
    c = content()
    rng = random.Random(seed)
    today = clock.today()
    start = today - timedelta(days=c.start_days_ago)
    q = questionnaires.get("readiness")
    if q is None:
        raise ValueError("the readiness questionnaire is not in questionnaires/")
    moment = [_at(start)]
    previous = clock.set_clock(lambda: moment[0])

    def on(offset: int, hour: int = 10) -> date:
        day = min(start + timedelta(days=offset), today)
        moment[0] = _at(day, hour)
        return day

    try:
        with store.uow() as uow:
            s = uow.session
            curator_id = s.execute(select(col(RoleGrant.user_id)).where(
                col(RoleGrant.role) == "curator", col(RoleGrant.region_id) == region_id)
                .order_by(col(RoleGrant.id))).scalar()
            if curator_id is None:
                raise ValueError("the demo region has no curator")
            curator = load_actor(s, curator_id)
            # organisations with projects first (they are the programme's core), then the others
            n_projects: dict[int, int] = {o: n for o, n in s.execute(
                select(col(Project.org_id), func.count()).where(col(Project.region_id) == region_id)
                .group_by(col(Project.org_id)))}
            orgs = list(s.execute(select(Organization).where(col(Organization.region_id) == region_id)
                                  .order_by(col(Organization.id))).scalars())
        # mostly organisations with projects (the programme's core), a few that have none yet
        with_projects = [o for o in orgs if n_projects.get(pk(o))]
        without = [o for o in orgs if not n_projects.get(pk(o))]
        rng.shuffle(with_projects)
        rng.shuffle(without)
        n_without = min(len(without), c.participants // 7)
        chosen = sorted(with_projects[:c.participants - n_without] + without[:n_without], key=lambda o: o.id)
        rng.shuffle(chosen)

        on(0)
        with store.uow() as uow:
            prog = prog_svc.create_programme(uow, curator, {
                "region_id": region_id, "title": c.title, "goal": c.goal, "tasks": c.tasks,
                "hypothesis": c.hypothesis, "starts_on": start.isoformat(),
                "ends_on": (start + timedelta(days=c.length_days)).isoformat(),
                "stages": [{"title": st.title, "content": st.content,
                            "starts_on": (start + timedelta(days=st.from_)).isoformat(),
                            "ends_on": (start + timedelta(days=st.to)).isoformat()} for st in c.stages]})
            programme_id = pk(prog)
        with store.uow() as uow:  # it runs: the curator launches it on its first day
            prog_svc.update_programme(uow, curator, programme_id, {"status": "active", "version": prog.version})
        with store.uow() as uow:
            stages = prog_svc.stages_of(uow, programme_id)
            stage_ids = [pk(st) for st in stages]
        for st_spec, stage_id in zip(c.stages, stage_ids, strict=True):
            for t in st_spec.tasks:
                with store.uow() as uow:
                    task = prog_svc.add_task(uow, curator, stage_id, {
                        "title": t.title, "due_on": (start + timedelta(days=t.due)).isoformat(),
                        "responsible": t.responsible, "rule": t.rule})
                if t.rule is None and start + timedelta(days=t.due) < today:
                    with store.uow() as uow:
                        prog_svc.update_task(uow, curator, pk(task), {"status": "done"})

        # participants in waves
        waves: list[tuple[int, int, list[Organization]]] = []
        taken = 0
        for i, w in enumerate(c.waves):
            n = len(chosen) - taken if i == len(c.waves) - 1 else round(len(chosen) * w.share)
            waves.append((w.wave, w.joined, chosen[taken:taken + n]))
            taken += n
        participants: list[tuple[Participant, Organization, int]] = []
        for wave, joined, members in waves:
            day = on(joined)
            for org in members:
                with store.uow() as uow:
                    part = prog_svc.add_participant(uow, curator, programme_id, {
                        "org_id": org.id, "joined_on": day.isoformat(), "wave": wave})
                participants.append((part, org, joined))

        made = {"participants": len(participants), "coordinators": 0, "members": 0, "answers": 0,
                "plans_approved": 0, "plans_returned": 0, "plans_submitted": 0}
        readiness: dict[int, float] = {}
        coordinators: dict[int, Actor] = {}
        for part, org, joined in participants:
            # a coordinator: most organisations name one within a month or two
            if rng.random() < 0.88:
                on(joined + rng.randint(5, 60))
                with store.uow() as uow:
                    staff = list(uow.session.execute(
                        select(col(User.id)).join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
                        .where(col(RoleGrant.org_id) == org.id, col(RoleGrant.role) == "member")
                        .order_by(col(User.id))).scalars())
                if staff:
                    with store.uow() as uow:
                        admin_svc.grant_role(uow, SYSTEM, staff[0], "coordinator", org.id, None)
                    with store.uow() as uow:
                        coordinators[pk(org)] = load_actor(uow.session, staff[0])
                    made["coordinators"] += 1
            who = coordinators.get(pk(org), curator)
            # the initiative group: a coordinator gathers 2-7 people
            if org.id in coordinators:
                size = rng.choice([2, 3, 3, 4, 4, 5, 5, 6, 7])
                for k in range(size):
                    on(joined + rng.randint(20, 90))
                    with store.uow() as uow:
                        prog_svc.add_member(uow, who, pk(part), {
                            "name": f"Педагог {k + 1} — {org.name}"[:200],
                            "position": rng.choice(c.positions)})
                    made["members"] += 1
            readiness[pk(org)] = rng.uniform(1.6, 3.4)  # where the organisation starts (1..5)

        # the initial round: most coordinators answer before it closes
        with store.uow() as uow:
            rounds = prog_svc.rounds_of(uow, programme_id)
            initial = rounds[0]
            initial_id, initial_closes = pk(initial), initial.closes_on
        deficits = next(x.options for x in q.questions if x.id == "deficits") or ()
        needs = next(x.options for x in q.questions if x.id == "needs") or ()

        def answer(round_id: int, org: Organization, level: float, when: date) -> None:
            moment[0] = _at(when, 14)
            scores = {item.id: max(1, min(5, round(level + rng.gauss(0, 0.7) + bias)))
                      for section, bias in zip(q.sections, (0.3, 0.0, -0.4, -0.2, 0.1), strict=False)
                      for item in section.items}
            with store.uow() as uow:
                prog_svc.save_answer(uow, coordinators[pk(org)], round_id, {
                    "org_id": org.id, "scores": scores, "submit": True,
                    "needs": rng.sample(list(needs), k=rng.randint(1, 3)),
                    "deficits": rng.sample(list(deficits), k=rng.randint(1, 3)),
                    "difficulties": rng.sample(c.difficulties, k=rng.randint(1, 2)),
                    "resources": rng.sample(c.resources, k=rng.randint(1, 2))})
            made["answers"] += 1

        for _part, org, joined in participants:
            if org.id in coordinators and rng.random() < 0.85:
                opens = start + timedelta(days=joined + 30)
                when = min(opens + timedelta(days=rng.randint(0, 60)), initial_closes, today)
                answer(initial_id, org, readiness[pk(org)], max(when, start))

        # work plans: drafted, submitted, approved or returned
        for part, org, joined in participants:
            if org.id not in coordinators:
                continue
            day0 = joined + rng.randint(60, 150)
            on(day0)
            for title in rng.sample(c.plan_items, k=rng.randint(3, 6)):
                with store.uow() as uow:
                    prog_svc.add_plan_item(uow, coordinators[pk(org)], pk(part), {
                        "title": title, "who": "Инициативная группа",
                        "due_on": (start + timedelta(days=day0 + rng.randint(30, 400))).isoformat()})
            fate = rng.random()
            if fate < 0.12:
                continue  # still a draft
            on(day0 + rng.randint(3, 20))
            with store.uow() as uow:
                prog_svc.submit_plan(uow, coordinators[pk(org)], pk(part), {})
            made["plans_submitted"] += 1
            if fate < 0.22:
                continue  # waits for the curator
            on(day0 + rng.randint(22, 40))
            if fate < 0.32:
                with store.uow() as uow:
                    prog_svc.return_plan(uow, curator, pk(part), {"comment": rng.choice(c.return_comments)})
                made["plans_returned"] += 1
                continue
            with store.uow() as uow:
                prog_svc.approve_plan(uow, curator, pk(part), {"comment": "Утверждено"})
            made["plans_approved"] += 1

        # the interim round: opened by the curator; half of those who answered before answer again, higher
        fr = c.final_round
        if start + timedelta(days=fr.opens) <= today:
            on(fr.opens)
            with store.uow() as uow:
                rnd = prog_svc.open_round(uow, curator, programme_id, {
                    "kind": "other", "title": fr.title,  # an interim round (the final one comes at the end)
                    "opens_on": (start + timedelta(days=fr.opens)).isoformat(),
                    "closes_on": (start + timedelta(days=fr.closes)).isoformat()})
                final_id = pk(rnd)
            for _part, org, _joined in participants:
                if org.id in coordinators and rng.random() < 0.55:
                    when = min(start + timedelta(days=fr.opens + rng.randint(0, 30)), today)
                    answer(final_id, org, readiness[pk(org)] + rng.uniform(0.3, 1.3), when)
        from engine.demo.training import load_training
        made.update(load_training(store, region_id, curator, start, on, participants, coordinators))
        on(c.length_days)  # today (``on`` stops at today)
        muns = Counter(org.municipality_id for _part, org, _joined in participants)
        with store.uow() as uow:
            admin_svc.create_user(uow, SYSTEM, {
                "email": c.municipal_curator_email, "name": c.municipal_curator_name, "password": password,
                "role": "curator", "municipality_id": muns.most_common(1)[0][0]})
    finally:
        clock.set_clock(previous)
    echo(f"  программа РИП: {counted(made['participants'], 'участник', 'участника', 'участников')}, "
         f"{counted(made['coordinators'], 'координатор', 'координатора', 'координаторов')}, "
         f"{counted(made['answers'], 'анкета', 'анкеты', 'анкет')} готовности, "
         f"утверждено {counted(made['plans_approved'], 'план', 'плана', 'планов')}, "
         f"обучено {counted(made['completed'], 'человек', 'человека', 'человек')}")
    return made


def programme_accounts(store: Store, region_id: int, demo_school: str) -> list[dict[str, str]]:
    """The programme's demo accounts, read back from the database (a second ``demo`` run
    prints them too): a school coordinator (the demo school's when it takes part) and the
    municipal curator. The password is the demo's."""
    c = content()
    out: list[dict[str, str]] = []
    with store.uow() as uow:
        s = uow.session
        row = s.execute(select(col(User.email), col(Organization.name))
                        .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
                        .join(Organization, col(Organization.id) == col(RoleGrant.org_id))
                        .where(col(RoleGrant.role) == "coordinator", col(Organization.region_id) == region_id)
                        .order_by(col(Organization.name) != demo_school, col(Organization.id))).first()
        if row is not None:
            out.append({"email": row[0], "role": "coordinator", "place": row[1]})
        mun = s.execute(select(col(Municipality.name))
                        .join(RoleGrant, col(RoleGrant.municipality_id) == col(Municipality.id))
                        .join(User, col(User.id) == col(RoleGrant.user_id))
                        .where(col(User.email) == c.municipal_curator_email)).scalar()
        if mun is not None:
            out.append({"email": c.municipal_curator_email, "role": "curator", "place": mun})
    return out
