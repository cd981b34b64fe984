"""Projects and their histories: each project's story (stages, time in each, stalled or
waiting ...) planned into steps, with the evidence each gate needs placed before the request."""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from engine.db import UnitOfWork
from engine.demo.content import MetricT, ProcessT, RiskT, content
from engine.demo.timeline import EPS, HISTORY_DAYS, MAX_AGE_DAYS, Plan
from engine.demo.world import Org, Person, World
from engine.models import (
    UNRESOLVED_RISK,
    pk,
)
from engine.policy import ROLES
from engine.services import (
    add_action,
    add_artefact,
    add_comment,
    add_metric,
    add_problem,
    add_team_member,
    approve_request,
    create_project,
    log_risk,
    record_measurement,
    reject_request,
    request_transition,
    update_action,
    update_metric,
    update_project,
    update_risk,
)
from engine.workflow import Workflow

C = content()  # the Russian content (engine/demo/data/*.yaml), read and validated once
# The story is written for the ПСР workflow (workflows/psr.yaml): its stages in order, and
# MIX below, are the demo's content; the moves between them come from the workflow.
FORWARD = ["diagnose", "target", "implement", "standardise", "sustain"]

# (final state, kind of story, how many): the default region's 145 generated projects
# (its demo school adds 5). Kinds: normal; sla / idle = stalled; pending[_old] = a
# request waits for the head (old: over 3 days); rejected = the last request was
# rejected; back = sent back a stage once; pending_cancel = cancellation asked.
MIX: list[tuple[str, str, int]] = [
    ("diagnose", "normal", 23), ("diagnose", "sla", 4), ("diagnose", "idle", 3),
    ("diagnose", "pending", 2), ("diagnose", "pending_old", 1), ("diagnose", "rejected", 1),
    ("diagnose", "pending_cancel", 1),
    ("target", "normal", 15), ("target", "sla", 3), ("target", "idle", 3), ("target", "pending", 2),
    ("target", "pending_old", 1), ("target", "rejected", 1),
    ("implement", "normal", 18), ("implement", "sla", 4), ("implement", "idle", 3),
    ("implement", "pending", 2), ("implement", "pending_old", 1), ("implement", "rejected", 1),
    ("implement", "back", 2),
    ("standardise", "normal", 10), ("standardise", "sla", 2), ("standardise", "idle", 2),
    ("standardise", "pending", 1), ("standardise", "pending_old", 1), ("standardise", "back", 1),
    ("sustain", "normal", 12), ("sustain", "idle", 3), ("sustain", "pending", 2), ("sustain", "pending_old", 1),
    ("closed", "normal", 14), ("cancelled", "normal", 5),
]


@dataclass(frozen=True)
class Profile:
    """How much evidence a project gets: rich for the default demo, light for scale mode."""
    rich: bool  # diagnostic measurements, baselines set later, more comments and team
    metrics: tuple[int, int]
    problems: tuple[int, int]
    actions: tuple[int, int]
    risks: tuple[int, int]
    comment_p: float
    reject_p: float  # a forward request rejected once before approval
    by_head_p: float  # the head moves the card personally


RICH = Profile(True, (1, 3), (2, 5), (3, 6), (0, 2), 0.35, 0.04, 0.15)
LIGHT = Profile(False, (1, 1), (1, 1), (1, 1), (3, 3), 0.05, 0.03, 0.7)



# --- stories: what happens to a project, and when --------------------------------------------

@dataclass
class Story:
    visits: list[tuple[str, float, float]]  # (state, entered, left); the last one lasts till now
    triggers: list[str]  # the trigger leaving each visit but the last
    pending: str | None = None  # a trigger waiting for the head's decision now
    pending_age: float = 0.0
    reject_age: float | None = None  # the last request was rejected this many days ago
    idle_gap: float | None = None  # nobody did anything for this many days
    rejections: set[int] = field(default_factory=set)  # visits left after one rejection
    by_head: set[int] = field(default_factory=set)  # visits left by the head's own move
    critical_open: bool = False
    miss_target: bool = False
    almost_gate: bool = False  # the gate lacks one baseline, for a new user to complete

    @property
    def final(self) -> str:
        return self.visits[-1][0]


def _trigger(wf: Workflow, source: str, dest: str) -> str:
    """The trigger of the move from ``source`` to ``dest`` (as a drag between columns
    means it: Workflow.trigger_to, for anyone)."""
    t = wf.trigger_to(source, dest, frozenset(ROLES))
    if t is None:
        raise ValueError(f"the demo's story needs a move {source} -> {dest} in workflow {wf.id}")
    return t.trigger


def shape_story(rng: random.Random, wf: Workflow, profile: Profile, final: str, kind: str,
                pending_age: float | None = None) -> Story:
    """The stages a project went through and how long it stayed in each."""
    u = rng.uniform
    if final == "closed":
        path = [*FORWARD, "closed"]
    elif final == "cancelled":
        stop = rng.choices(range(4), weights=[4, 3, 3, 1])[0]
        path = [*FORWARD[:stop + 1], "cancelled"]
    else:
        path = FORWARD[:FORWARD.index(final) + 1]
        if kind == "back":  # sent back a stage once on the way
            i = len(path) - 1
            path = [*path[:i + 1], path[i - 1], path[i]]
    durations = []
    for i, state in enumerate(path[:-1]):
        if path[i + 1] in FORWARD and FORWARD.index(path[i + 1]) < FORWARD.index(state):
            durations.append(u(8, 20))  # left backwards
        elif state in path[:i]:
            durations.append(u(5, 12))  # a second visit
        else:
            durations.append(u(*HISTORY_DAYS[state]))
    story = Story([], [])
    sla = wf.state(final).sla_days or 90
    if final in ("closed", "cancelled"):
        elapsed = u(3, 60) if final == "closed" else u(5, 80)
    elif kind == "sla":
        elapsed = sla + u(4, 35)
    elif kind == "idle":
        story.idle_gap = u(17, 32)
        elapsed = story.idle_gap + u(2, 15)
    elif kind.startswith("pending"):
        following = [*FORWARD, "closed"][FORWARD.index(final) + 1]
        story.pending = "cancel" if kind == "pending_cancel" else _trigger(wf, final, following)
        story.pending_age = pending_age or (u(4, 9) if kind == "pending_old" else u(0.3, 2.5))
        elapsed = max(story.pending_age + 6, min(story.pending_age + u(8, 25), sla - 3))
    elif kind == "rejected":
        story.reject_age = u(2, 8)
        elapsed = min(story.reject_age + u(10, 25), sla - 2)
    elif kind == "almost":
        story.almost_gate = True
        elapsed = u(14, 24)
    else:
        elapsed = u(5, 75) if final == "sustain" else u(2, min(sla - 5, 40))
    room = MAX_AGE_DAYS - elapsed
    if sum(durations) > room:
        durations = [max(6.0, x * room / sum(durations)) for x in durations]
    d = -(elapsed + sum(durations))
    for i, state in enumerate(path):
        left = d + durations[i] if i < len(durations) else 0.0
        story.visits.append((state, d, left))
        if i < len(durations):
            story.triggers.append(_trigger(wf, state, path[i + 1]))
            forward = path[i + 1] not in path[:i + 1] and path[i + 1] != "cancelled"
            if forward and durations[i] >= 10 and rng.random() < profile.reject_p:
                story.rejections.add(i)
            elif forward and rng.random() < profile.by_head_p:
                story.by_head.add(i)
        d = left
    return story


# --- planning one project --------------------------------------------------------------------

@dataclass
class MetricPlan:
    t: MetricT
    baseline: float
    target: float
    latest: float | None = None

    def value(self, f: float) -> float:
        """The value after a share ``f`` of the way from baseline to target."""
        v = self.baseline + (self.target - self.baseline) * f
        if self.t.unit == "%":
            v = min(v, 100.0)
        v = round(max(v, 0.0), self.t.decimals)
        if f >= 1:  # meets the target however it rounds
            v = min(v, self.target) if self.t.direction == "decrease" else max(v, self.target)
        return float(v)


def metric_values(rng: random.Random, m: MetricT, exact: bool) -> tuple[float, float]:
    """Baseline and target of one project's metric: the published values, or near them."""
    if exact:
        return float(m.baseline), float(m.target)
    if m.unit == "%":
        b = min(max(m.baseline + rng.uniform(-8, 8), 1.0), 97.0)
        t = min(max(m.target + rng.uniform(-4, 4), 0.0), 100.0)
    else:
        k = rng.uniform(0.85, 1.2)
        b, t = m.baseline * k, m.target * k * rng.uniform(0.93, 1.07)
    b, t = round(b, m.decimals), round(t, m.decimals)
    unit = 10 ** -m.decimals
    if m.direction == "decrease" and t >= b:
        t = max(0.0, b - unit)
    if m.direction == "increase" and t <= b:
        t = b + unit
    return float(b), float(t)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fmt(value: float) -> str:
    return (f"{value:,.0f}" if value == int(value) else f"{value:,.1f}").replace(",", " ").replace(".", ",")


@dataclass
class RiskPlan:
    t: RiskT
    status: str = "open"
    keep_open: bool = False

    @property
    def critical(self) -> bool:
        return self.t.probability * self.t.impact >= 15


@dataclass
class Run:
    """Ids the engine gives while the plan runs."""
    id: int | None = None
    version: int = 1
    metric_ids: list[int] = field(default_factory=list)
    action_ids: list[int] = field(default_factory=list)
    risk_ids: list[int] = field(default_factory=list)
    request_id: int | None = None  # the pending request; set before an approve or reject step


Item = tuple[float, Callable[[float], None]]  # (share of the visit, op placed at a moment)


class ProjectPlanner:
    """Turns a story into steps: the evidence of each stage, placed before the request
    that needs it, then the request and the head's decision. Keeps a mirror of what the
    project has (metrics, actions, risks ...) to know what each gate still lacks."""

    def __init__(self, plan: Plan, rng: random.Random, wf: Workflow, profile: Profile, story: Story,
                 proc: ProcessT, org: Org, curator: Person, *, leader: Person | None = None,
                 exact: bool = False, final_values: tuple[float, ...] | None = None):
        self.plan, self.rng, self.wf, self.p = plan, rng, wf, profile
        self.number = plan.new_project()
        self.story, self.proc, self.org, self.curator = story, proc, org, curator
        self.head: Person = org.head
        self.leader = leader or rng.choice(org.members)
        others = [m for m in org.members if m is not self.leader]
        self.team = [self.leader] + (rng.sample(others, rng.randint(0, len(others))) if profile.rich else [])
        n = len(proc.metrics) if exact else min(len(proc.metrics), rng.randint(*profile.metrics))
        self.metrics = [MetricPlan(m, *metric_values(rng, m, exact)) for m in proc.metrics[:n]]
        self.final_values = final_values
        self.problems = rng.sample(proc.problems, len(proc.problems))
        self.spare_actions = rng.sample(proc.actions, len(proc.actions))
        self.actions: list[list[str]] = []  # [title, status]
        self.risks: list[RiskPlan] = []
        self.run = Run()
        self.last = -math.inf

    # -- placing steps --

    def slot(self, d: float) -> float:
        return max(d, self.last + EPS)

    def add(self, d: float, label: str, fn: Callable[[UnitOfWork], Any]) -> float:
        d = self.slot(d)
        self.last = d
        self.plan.add(d, f"проект {self.number} ({self.proc.key})/{label}", fn, self.number)
        return d

    def doer(self) -> Person:
        return self.leader if self.rng.random() < 0.7 else self.rng.choice(self.team)

    # -- the ops: one service call each, and the mirror --

    def op_create(self, d: float) -> None:
        proc, org, leader, rng = self.proc, self.org, self.leader, self.rng
        hours = float(round(proc.hours * rng.uniform(0.8, 1.2)))
        data: dict[str, Any] = {
            "title": proc.title, "problem": proc.problem, "goal": proc.goal,
            "sponsor": f"{self.head.name}, {self.head.job}", "process_owner": _capital(proc.owner),
            "process_start": _capital(proc.start), "process_end": _capital(proc.end), "planned_hours_saved": hours,
            "milestones": {s: self.plan.tl.day(d + off)
                           for s, off in zip(FORWARD, (30, 55, 115, 140, 220), strict=True)},
        }
        if self.p.rich and rng.random() < 0.4:
            data["planned_roubles"] = float(round(hours * 420, -2))

        def fn(uow: UnitOfWork) -> None:
            p = create_project(uow, leader.actor, {**data, "org_id": org.id, "leader_id": leader.id})
            self.run.id, self.run.version = p.id, p.version
        self.add(d, "создан", fn)

    def op_team(self, d: float, person: Person, role: str) -> None:
        self.add(d, "команда", lambda uow: add_team_member(uow, self.leader.actor, pk(self.run),
                                                           {"user_id": person.id, "role_text": role}))

    def op_metric(self, d: float, i: int) -> None:
        m, who = self.metrics[i], self.doer()
        body: dict[str, Any] = {"name": m.t.name, "unit": m.t.unit, "direction": m.t.direction}
        if not self.p.rich:  # scale mode: measured and targeted at once, fewer calls
            body.update(baseline=m.baseline, target=m.target)

        def fn(uow: UnitOfWork) -> None:
            self.run.metric_ids.append(pk(add_metric(uow, who.actor, pk(self.run), body)))
        self.add(d, "показатель", fn)

    def op_baseline(self, d: float, i: int) -> None:
        value, who = self.metrics[i].baseline, self.doer()
        self.add(d, "базовое значение", lambda uow: update_metric(uow, who.actor, self.run.metric_ids[i],
                                                                 {"baseline": value}))

    def op_target(self, d: float, i: int, revise: bool = False) -> None:
        m, who = self.metrics[i], self.doer()
        if revise:  # more ambitious: 15 % further from the baseline
            step = 10 ** -m.t.decimals
            m.target = float(round(m.target + (m.target - m.baseline) * 0.15, m.t.decimals))
            m.target = max(min(m.target, 100.0 if m.t.unit == "%" else math.inf), step if m.baseline > step else 0.0)
        value = m.target
        self.add(d, "целевое значение", lambda uow: update_metric(uow, who.actor, self.run.metric_ids[i],
                                                                 {"target": value}))

    def op_measure(self, d: float, i: int, f: float | None = None, value: float | None = None) -> None:
        m, who = self.metrics[i], self.doer()
        if value is None:
            value = m.value(f) if f is not None else float(round(
                min(m.baseline * self.rng.uniform(0.95, 1.05), 100.0 if m.t.unit == "%" else math.inf), m.t.decimals))
        m.latest = value
        d = self.slot(d)
        day = self.plan.tl.day(d)
        self.add(d, "замер", lambda uow: record_measurement(uow, who.actor, self.run.metric_ids[i],
                                                           {"value": value, "measured_on": day}))

    def op_problem(self, d: float) -> None:
        waste, text = self.problems.pop(0) if self.problems else self.rng.choice(self.proc.problems)
        who = self.doer()
        self.add(d, "проблема", lambda uow: add_problem(uow, who.actor, pk(self.run),
                                                        {"description": text, "waste": waste}))

    def _process_phrase(self) -> str:
        title = self.proc.title
        return title.removeprefix("Оптимизация ") if title.startswith("Оптимизация процесса ") else f"«{title}»"

    def op_artefact(self, d: float, kind: str, revision: bool = False) -> None:
        proc, who = self.proc, self.doer()
        phrase = self._process_phrase()
        if kind == "current_state_map":
            title = f"Карта текущего состояния {phrase}"
            text = "Хронометраж: " + "; ".join(f"{m.t.name} — {_fmt(m.baseline)} {m.t.unit}" for m in self.metrics)
        elif kind == "target_state_map":
            title = f"Карта целевого состояния {phrase}"
            text = "Целевые значения: " + "; ".join(f"{m.t.name} — {_fmt(m.target)} {m.t.unit}" for m in self.metrics)
        elif kind == "standard":
            title = proc.standard
            done = [t for t, s in self.actions if s == "done"] or list(proc.actions[:3])
            text = "\n".join(f"{n}. {t}." for n, t in enumerate(done, 1))
        else:  # report
            title = "Итоговый отчёт по проекту"
            text = "Результаты: " + "; ".join(
                f"{m.t.name}: {_fmt(m.baseline)} → {_fmt(m.latest if m.latest is not None else m.baseline)} {m.t.unit}"
                for m in self.metrics) + "."
        if revision:
            title = C.story.revision_titles.get(kind, title) if kind != "standard" else f"{title} (ред. 2)"
        self.add(d, kind, lambda uow: add_artefact(uow, who.actor, pk(self.run),
                                                   {"kind": kind, "title": title, "text": text}))

    def op_action(self, d: float, due_d: float) -> None:
        title = self.spare_actions.pop(0) if self.spare_actions else "Провести инструктаж сотрудников по новому порядку"
        due, owner, who = self.plan.tl.day(due_d), self.rng.choice(self.team), self.doer()
        self.actions.append([title, "open"])

        def fn(uow: UnitOfWork) -> None:
            a = add_action(uow, who.actor, pk(self.run), {"title": title, "due_on": due,
                                                          "owner_id": owner.id})
            self.run.action_ids.append(pk(a))
        self.add(d, "мероприятие", fn)

    def op_action_status(self, d: float, j: int, status: str) -> None:
        self.actions[j][1] = status
        who = self.doer()
        self.add(d, "статус мероприятия", lambda uow: update_action(uow, who.actor, self.run.action_ids[j],
                                                                     {"status": status}))

    def op_risk(self, d: float, risk: RiskT, keep_open: bool = False) -> None:
        self.risks.append(RiskPlan(risk, keep_open=keep_open))
        d = self.slot(d)
        owner, who, due = self.rng.choice(self.team), self.doer(), self.plan.tl.day(d + self.rng.uniform(20, 60))
        body = {"title": risk.title, "probability": risk.probability, "impact": risk.impact,
                "mitigation": risk.mitigation, "due_on": due}

        def fn(uow: UnitOfWork) -> None:
            self.run.risk_ids.append(pk(log_risk(uow, who.actor, pk(self.run), {**body, "owner_id": pk(owner)})))
        self.add(d, "риск", fn)

    def op_risk_status(self, d: float, k: int, status: str) -> None:
        self.risks[k].status = status
        who = self.doer()
        self.add(d, "статус риска", lambda uow: update_risk(uow, who.actor, self.run.risk_ids[k], {"status": status}))

    def op_comment(self, d: float, person: Person, text: str) -> None:
        self.add(d, "комментарий", lambda uow: add_comment(uow, person.actor, pk(self.run), {"text": text}))

    def op_hours(self, d: float) -> None:
        hours = float(round(self.proc.hours * self.rng.uniform(0.8, 1.15)))

        def fn(uow: UnitOfWork) -> None:
            p = update_project(uow, self.leader.actor, pk(self.run),
                               {"actual_hours_saved": hours, "version": self.run.version})
            self.run.version = p.version
        self.add(d, "эффект", fn)

    def op_request(self, d: float, person: Person, trigger: str, comment: str | None) -> None:
        def fn(uow: UnitOfWork) -> None:
            res = request_transition(uow, person.actor, pk(self.run),
                                     {"trigger": trigger, "version": self.run.version, "comment": comment})
            self.run.version = res.project.version
            self.run.request_id = res.request.id if res.request else None
        self.add(d, f"запрос {trigger}", fn)

    def op_approve(self, d: float, comment: str | None) -> None:
        def fn(uow: UnitOfWork) -> None:
            p = approve_request(uow, self.head.actor, cast(int, self.run.request_id),
                                {"comment": comment} if comment else {})
            self.run.version = p.version
        self.add(d, "согласовано", fn)

    def op_reject(self, d: float, comment: str) -> None:
        self.add(d, "отклонено", lambda uow: reject_request(uow, self.head.actor, cast(int, self.run.request_id),
                                                            {"comment": comment}))

    # -- the story, visit by visit --

    def plan_story(self) -> None:
        s = self.story
        for i, (state, entered, left) in enumerate(s.visits):
            if self.wf.is_final(state):
                if state == "closed" and self.rng.random() < 0.6:
                    self.op_comment(entered + self.rng.uniform(0.3, min(8.0, -entered - 0.2)), self.curator,
                                    C.story.closed_comment)
                continue
            if i == 0:
                self.op_create(entered)
            if i < len(s.triggers):
                self._past_visit(i, state, entered, left, s.triggers[i])
            else:
                self._current_visit(i, state, entered)
        self._keep_recent()

    def _place(self, items: list[Item], start: float, end: float, horizon: float | None = None) -> None:
        """Spread the items over [start, horizon]; those falling after ``end`` never happen."""
        horizon = end if horizon is None else horizon
        for share, op in sorted(items, key=lambda item: item[0]):
            d = start + share * (horizon - start)
            if d < end:
                op(d)

    def _past_visit(self, i: int, state: str, entered: float, left: float, trigger: str) -> None:
        rng, u = self.rng, self.rng.uniform
        t = self.wf.find(trigger, state)
        assert t is not None
        if self.wf.is_back_move(t, state):
            self._place(self._work(state, i, entered, left), entered, left - 0.3)
            who = self.curator if rng.random() < 0.6 else self.head
            self.op_request(left, who, trigger, C.story.back_comments[trigger])
            return
        if trigger == "cancel":  # the plan was cut short
            asked = left - u(0.5, 3)
            horizon = left + u(10, 40)
            self._place(self._work(state, i, entered, horizon), entered, asked - 0.1, horizon)
            reason = rng.choice(C.story.cancel_reasons)
            if rng.random() < 0.3:
                self.op_request(left, self.head, trigger, reason)
            else:
                self.op_request(asked, self.leader, trigger, reason)
                self.op_approve(left, None)
            return
        if i in self.story.by_head:
            self._place(self._work(state, i, entered, left), entered, left - 0.2)
            self.op_request(left, self.head, trigger, rng.choice([None, C.story.request_comments[trigger]]))
            return
        request = left - u(0.1, 1.0)
        first = request
        if i in self.story.rejections:
            first = max(entered + 0.55 * (left - entered), left - u(4, 8))
        self._place(self._work(state, i, entered, left), entered, first - 0.1)
        if i in self.story.rejections:
            self.op_request(first, self.leader, trigger, C.story.request_comments[trigger])
            rejected = first + u(0.3, 1.5)
            self.op_reject(rejected, rng.choice(C.story.reject_comments[trigger]))
            self._revise(rejected + u(0.3, 1.0), trigger)
        self.op_request(request, self.leader, trigger, C.story.request_comments[trigger])
        self.op_approve(left, rng.choice(C.story.approve_comments))

    def _current_visit(self, i: int, state: str, entered: float) -> None:
        s, rng, u = self.story, self.rng, self.rng.uniform
        next_stage = self.wf.next_forward(state)
        forward = next_stage.trigger if next_stage is not None else None
        asked = None  # when the stage's work is done: a request waits, was rejected, or
        if s.pending and s.pending != "cancel":  # only one baseline is missing (almost_gate)
            asked = -s.pending_age
        elif s.reject_age is not None:
            asked = -s.reject_age - u(0.3, 1.5)
        elif s.almost_gate:
            asked = -0.4
        if asked is not None:
            self._place(self._work(state, i, entered, asked + u(20, 40)), entered, asked - 0.1)
            if s.pending:
                self.op_request(asked, self.leader, s.pending, C.story.request_comments[s.pending])
            elif s.reject_age is not None and forward:
                self.op_request(asked, self.leader, forward, C.story.request_comments[forward])
                self.op_reject(-s.reject_age, rng.choice(C.story.reject_comments[forward]))
            return
        length = -entered + u(5, 30)
        horizon = entered + length
        cutoff = -s.idle_gap if s.idle_gap else (-s.pending_age if s.pending else -0.05)
        items = self._work(state, i, entered, horizon)
        if s.critical_open:
            share = u(0.15, 0.7) * (cutoff - entered) / length
            items.append((share, partial(self.op_risk, risk=rng.choice(C.processes.critical_risks), keep_open=True)))
        self._place(items, entered, cutoff - 0.05, horizon)
        if s.pending == "cancel":
            self.op_request(-s.pending_age, self.leader, "cancel", rng.choice(C.story.cancel_reasons))

    def _keep_recent(self) -> None:
        """An active project that is not meant to look idle had someone do something lately."""
        s, rng = self.story, self.rng
        if self.wf.is_final(s.final) or s.idle_gap or self.last >= -9:
            return
        d = rng.uniform(max(self.last, -9.0) + 0.1, -0.2)
        who, texts = rng.choices([(self.leader, C.story.member_comments), (self.curator, C.story.curator_comments),
                                  (self.head, C.story.head_comments)], weights=[5, 3, 2])[0]
        self.op_comment(d, who, rng.choice(texts))

    def _revise(self, d: float, trigger: str) -> None:
        """What the team does after a rejection."""
        if trigger == "to_target":
            self.op_artefact(d, "current_state_map", revision=True)
        elif trigger == "to_implement":
            self.op_artefact(d, "target_state_map", revision=True)
        elif trigger == "to_sustain":
            self.op_artefact(d, "standard", revision=True)
        else:  # one more measurement that holds the result
            for k in range(len(self.metrics)):
                self.op_measure(d, k, f=self.rng.uniform(1.0, 1.08))

    # -- the work of each stage: (share of the visit, op) --

    def _work(self, state: str, i: int, start: float, horizon: float) -> list[Item]:
        revisit = any(v[0] == state for v in self.story.visits[:i])
        items: list[Item] = getattr(self, f"_work_{state}")(revisit, start, horizon)
        rng, u, p = self.rng, self.rng.uniform, self.p
        if rng.random() < p.comment_p:
            items.append((u(0.2, 0.9), partial(self.op_comment, person=self.curator,
                                               text=rng.choice(C.story.curator_comments))))
        if p.rich and rng.random() < p.comment_p / 2:
            items.append((u(0.2, 0.9), partial(self.op_comment, person=self.head,
                                               text=rng.choice(C.story.head_comments))))
        if p.rich and rng.random() < p.comment_p:
            items.append((u(0.2, 0.9), partial(self.op_comment, person=self.doer(),
                                               text=rng.choice(C.story.member_comments))))
        return items

    def _work_diagnose(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        u = self.rng.uniform
        if revisit:
            return [(u(0.2, 0.5), self.op_problem),
                    (u(0.5, 0.8), partial(self.op_artefact, kind="current_state_map", revision=True))]
        items: list[Item] = [(0.01 + 0.005 * k, partial(self.op_team, person=person,
                                                        role="руководитель проекта" if k == 0
                                                        else self.rng.choice(C.names.team_roles)))
                             for k, person in enumerate(self.team if self.p.rich else [])]
        for k in range(len(self.metrics)):
            items.append((0.05 + 0.01 * k, partial(self.op_metric, i=k)))
            if self.p.rich:
                items.append((u(0.25, 0.45), partial(self.op_measure, i=k)))
                if not (self.story.almost_gate and k == len(self.metrics) - 1):
                    items.append((u(0.5, 0.65), partial(self.op_baseline, i=k)))
        n_problems = min(len(self.proc.problems), self.rng.randint(*self.p.problems))
        items += [(u(0.15, 0.8), self.op_problem) for _ in range(n_problems)]
        items.append((u(0.6, 0.85), partial(self.op_artefact, kind="current_state_map")))
        pool = list(self.proc.risks) + C.processes.generic_risks
        n_risks = self.rng.randint(*self.p.risks)
        items += [(u(0.1, 0.95), partial(self.op_risk, risk=r)) for r in self.rng.sample(pool, n_risks)]
        return items

    def _work_target(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        u = self.rng.uniform
        if revisit:
            return [*((u(0.2, 0.5), partial(self.op_target, i=k, revise=True)) for k in range(len(self.metrics))),
                    (u(0.4, 0.7), partial(self.op_action, due_d=horizon + u(7, 30)))]
        items: list[Item] = [(u(0.1, 0.4), partial(self.op_target, i=k))
                             for k in range(len(self.metrics) if self.p.rich else 0)]
        items.append((u(0.3, 0.6), partial(self.op_artefact, kind="target_state_map")))
        n_actions = min(len(self.proc.actions), self.rng.randint(*self.p.actions))
        items += [(u(0.4, 0.85), partial(self.op_action, due_d=horizon + u(7, 45))) for _ in range(n_actions)]
        if self.p.rich and self.rng.random() < 0.3:
            items.append((u(0.1, 0.9), partial(self.op_risk, risk=self.rng.choice(C.processes.generic_risks))))
        return items

    def _work_implement(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        rng, u = self.rng, self.rng.uniform
        items: list[Item] = [(u(0.15, 0.85), partial(self.op_action_status, j=j,
                                                     status="dropped" if rng.random() < 0.08 else "done"))
                             for j, (_, status) in enumerate(self.actions) if status == "open"]
        for k in range(len(self.metrics)):
            if self.p.rich:
                items.append((u(0.3, 0.5), partial(self.op_measure, i=k, f=u(0.4, 0.7))))
            items.append((u(0.7, 0.88), partial(self.op_measure, i=k, f=u(0.85, 1.05))))
        for k, risk in enumerate(self.risks):
            if risk.critical and risk.status in UNRESOLVED_RISK and not risk.keep_open:
                items.append((u(0.45, 0.85), partial(self.op_risk_status, k=k,
                                                     status=rng.choice(["resolved", "resolved", "accepted"]))))
            elif risk.status == "open" and rng.random() < (0.4 if self.p.rich else 0.1):
                items.append((u(0.1, 0.4), partial(self.op_risk_status, k=k, status="mitigating")))
        if self.p.rich and rng.random() < 0.3:
            items.append((u(0.1, 0.6), partial(self.op_risk, risk=rng.choice(C.processes.generic_risks))))
        return items

    def _work_standardise(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        items: list[Item] = [(self.rng.uniform(0.3, 0.7), partial(self.op_artefact, kind="standard", revision=revisit))]
        if self.p.rich and not revisit and self.rng.random() < 0.5:
            items.append((self.rng.uniform(0.6, 0.9), self.op_hours))
        return items

    def _work_sustain(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        rng, u = self.rng, self.rng.uniform
        rounds = max(1, min(3, int((horizon - start) / 25))) if self.p.rich else 1
        items: list[Item] = []
        for j in range(rounds):
            share = 0.8 * (j + u(0.3, 0.9)) / rounds
            last = j == rounds - 1
            for k in range(len(self.metrics)):
                if last and self.final_values:
                    op = partial(self.op_measure, i=k, value=float(self.final_values[k]))
                else:
                    op = partial(self.op_measure, i=k, f=u(0.7, 0.92) if last and self.story.miss_target
                                 else u(1.0, 1.1))
                items.append((share + 0.001 * k, op))
        items += [(u(0.3, 0.8), partial(self.op_risk_status, k=k, status="resolved"))
                  for k, risk in enumerate(self.risks)  # scale mode resolves half (fewer calls)
                  if risk.status in UNRESOLVED_RISK and not risk.keep_open and (self.p.rich or rng.random() < 0.5)]
        items.append((u(0.82, 0.92), partial(self.op_artefact, kind="report")))
        if self.p.rich and rng.random() < 0.6:
            items.append((u(0.93, 0.97), self.op_hours))
        return items


# --- the projects of a region ---------------------------------------------------------------

def _processes_for(org: Org) -> list[ProcessT]:
    return [p for p in C.processes.processes
            if org.kind in p.kinds and (p.key != "school_bus" or org.mun.kind == "district")]


def _flag_stories(rng: random.Random, stories: list[tuple[Story, str]], critical_share: float,
                  miss_share: float) -> None:
    for story, kind in stories:
        if story.final in ("diagnose", "target", "implement") and kind in ("normal", "sla", "idle"):
            story.critical_open = rng.random() < critical_share
        if story.final == "sustain" and kind == "normal":
            story.miss_target = rng.random() < miss_share


def plan_oryol(plan: Plan, rng: random.Random, wf: Workflow, world: World) -> int:
    """The demo school's five projects, the featured ones and 145 - 5 more over the region."""
    school = world.orgs[0]
    member, others = school.members[0], school.members[1:]
    by_key = {p.key: p for p in C.processes.processes}
    planners: list[ProjectPlanner] = []

    def add(story: Story, proc: ProcessT, org: Org, **kw: Any) -> None:
        planners.append(ProjectPlanner(plan, rng, wf, RICH, story, proc, org, world.curator, **kw))

    # The demo school: a closed project, one in sustain, one in target, one in implement
    # whose request waits for the head (head@), one in diagnose that lacks only a baseline.
    SchoolPlan = list[tuple[str, str, str, Person, tuple[float, ...] | None]]
    school_plan: SchoolPlan = [("test_papers", "closed", "normal", member, (29, 98.6)),
                               ("edo", "sustain", "normal", others[0], None),
                               ("meal_payment", "target", "normal", others[1], None),
                               ("hot_meals", "implement", "pending_old", member, None),
                               ("navigation", "diagnose", "almost", member, None)]
    for key, final, kind, leader, values in school_plan:
        story = shape_story(rng, wf, RICH, final, kind, pending_age=4.3 if kind == "pending_old" else None)
        story.rejections.clear()
        add(story, by_key[key], school, leader=leader, exact=True, final_values=values)

    mix = [(final, kind) for final, kind, n in MIX for _ in range(n)]
    orgs_by_name = {o.name: o for o in world.orgs}
    used: dict[str, set[str]] = {o.name: set() for o in world.orgs}
    for f in C.story.featured:
        org_name, key, final, values = f.organization, f.process, f.state, f.last_values
        mix.remove((final, "normal"))
        story = shape_story(rng, wf, RICH, final, "normal")
        if values:
            story.rejections.clear()
        add(story, by_key[key], orgs_by_name[org_name], exact=True, final_values=values)
        used[org_name].add(key)
    rng.shuffle(mix)
    # every other organisation gets a project, the rest go more often to the cities
    rest = world.orgs[1:]
    weights = [2.0 if o.mun.name == "г. Орёл" else 1.5 if o.mun.kind == "city" else 1.0 for o in rest]
    slots = list(rest)
    while len(slots) < len(mix):
        org = rng.choices(rest, weights)[0]
        if slots.count(org) < 5:
            slots.append(org)
    stories = []
    for (final, kind), org in zip(mix, slots, strict=True):
        fresh = [p for p in _processes_for(org) if p.key not in used[org.name]] or _processes_for(org)
        proc = rng.choice(fresh)
        used[org.name].add(proc.key)
        story = shape_story(rng, wf, RICH, final, kind)
        stories.append((story, kind))
        add(story, proc, org)
    _flag_stories(rng, stories, critical_share=0.12, miss_share=0.25)
    for planner in planners:
        planner.plan_story()
    return len(planners)


def plan_scale(plan: Plan, rng: random.Random, wf: Workflow, world: World, n: int) -> int:
    """N projects over the generated organisations, in the proportions of the default mix."""
    kinds = [(final, kind) for final, kind, _ in MIX]
    weights = [w for _, _, w in MIX]
    processes = {o.kind: _processes_for(o) for o in world.orgs}
    for j in range(n):
        final, kind = rng.choices(kinds, weights)[0]
        org = world.orgs[j] if j < len(world.orgs) else rng.choice(world.orgs)
        story = shape_story(rng, wf, LIGHT, final, kind)
        _flag_stories(rng, [(story, kind)], critical_share=0.1, miss_share=0.25)
        ProjectPlanner(plan, rng, wf, LIGHT, story, rng.choice(processes[org.kind]), org,
                       world.curator).plan_story()
    return n
