"""Helpers for the engine tests, on top of tests/conftest.py (store, make, world, people).

- ``project``: a fresh project of the school, made by its member (diagnose, version 1);
- ``flow``: fires triggers, satisfies the psr gates with real evidence, advances a project
  to a stage, reloads it and reads its event log;
- ``flow_for(member, head)``: the same for another organisation's people;
- ``row_counts``: every table's row count, to prove that a refused call wrote nothing.

Two autouse fixtures apply to every test under tests/engine/:
- the frozen clock (2026-09-01 09:00 UTC, see tests/conftest.py), started before any
  fixture writes, so event times are deterministic; take ``frozen_clock`` to move it;
- cheap password hashing (scrypt n=16), since the policy matrix makes hundreds of users.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import clock
from engine.checks import evaluate
from engine.models import Action, Event, Measurement, Metric, Project, TransitionRequest, metadata
from engine.policy import Actor
from engine.services import (
    add_action,
    add_artefact,
    add_metric,
    add_problem,
    approve_request,
    record_measurement,
    request_transition,
    update_action,
    update_metric,
)

# The psr workflow's forward path (workflows/psr.yaml). Test modules keep their own copy:
# importing from a conftest breaks when several conftest.py are loaded.
FORWARD = {"diagnose": "to_target", "target": "to_implement", "implement": "to_standardise",
           "standardise": "to_sustain", "sustain": "close"}

BASELINE, TARGET = 67.0, 29.0  # test paper preparation, minutes (DOMAIN.md demo content)


class Flow:
    """Drives projects through the psr workflow with the engine's own services."""

    def __init__(self, make: Any, member: Any, head: Any):
        self.make = make
        self.store = make.store
        self.member = member  # logs the evidence and asks for moves
        self.head = head      # approves, and moves at once

    # --- reading ---------------------------------------------------------------------

    def _read(self, stmt: Any) -> list[Any]:
        """Rows detached from their session (a unit of work rolls back, expiring them)."""
        with self.store.uow() as uow:
            rows = list(uow.session.execute(stmt).scalars())
            uow.session.expunge_all()
            return rows

    def reload(self, project_id: int) -> Project:
        rows = self._read(select(Project).where(Project.id == project_id))
        assert rows, f"no project {project_id}"
        return rows[0]

    def events(self, project_id: int) -> list[Event]:
        return self._read(select(Event).where(Event.project_id == project_id).order_by(Event.at, Event.id))

    def kinds(self, project_id: int) -> list[str]:
        return [e.kind for e in self.events(project_id)]

    def requests(self, project_id: int, status: str | None = None) -> list[TransitionRequest]:
        stmt = select(TransitionRequest).where(TransitionRequest.project_id == project_id)
        if status:
            stmt = stmt.where(TransitionRequest.status == status)
        return self._read(stmt.order_by(TransitionRequest.id))

    def unmet(self, project_id: int, trigger: str) -> list[str]:
        """The names of the checks the trigger's gate still misses."""
        with self.store.uow() as uow:
            project = uow.session.get(Project, project_id)
            wf = uow.workflows.get(project.workflow_id, project.workflow_version)
            t = wf.find(trigger, project.state)
            return [u.check for u in evaluate(uow.session, project, t.requires, wf)]

    def metrics(self, project_id: int) -> list[Metric]:
        return self._read(select(Metric).where(Metric.project_id == project_id).order_by(Metric.id))

    # --- acting ------------------------------------------------------------------------

    def fire(self, actor: Actor, project_id: int, trigger: str, comment: str | None = None,
             version: int | None = None) -> Any:
        """request_transition with the project's current version (unless given)."""
        data: dict[str, Any] = {"trigger": trigger,
                                "version": self.reload(project_id).version if version is None else version}
        if comment is not None:
            data["comment"] = comment
        return self.make.call(request_transition, actor, project_id, data)

    def approve(self, actor: Actor, request_id: int, comment: str | None = None) -> Project:
        return self.make.call(approve_request, actor, request_id, {"comment": comment} if comment else {})

    # --- evidence for each gate ------------------------------------------------------------

    def log(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.make.call(fn, self.member.actor, *args)

    def add_metric(self, project_id: int, name: str = "Время подготовки контрольной работы",
                   direction: str = "decrease", baseline: float | None = BASELINE,
                   target: float | None = None) -> Metric:
        return self.log(add_metric, project_id, {"name": name, "unit": "мин", "direction": direction,
                                                 "baseline": baseline, "target": target})

    def measure(self, metric_id: int, value: float, on: date | None = None) -> Any:
        on = on or clock.today()
        return self.log(record_measurement, metric_id, {"value": value, "measured_on": on.isoformat()})

    def stored_measure(self, metric_id: int, value: float, on: date | None = None) -> None:
        """A measurement written straight into the database, as record_measurement writes it
        (the metric's latest value included): for a closed project, whose evidence the
        services no longer change (a measurement kept from before, or imported)."""
        on = on or clock.today()
        with self.store.uow() as uow:
            metric = uow.session.get(Metric, metric_id)
            uow.session.add(Measurement(metric_id=metric_id, value=value, measured_on=on,
                                        recorded_at=clock.now(), recorded_by=self.member.id))
            if metric.latest_on is None or on >= metric.latest_on:
                metric.latest_value, metric.latest_on = value, on
            uow.commit()

    def artefact(self, project_id: int, kind: str, title: str | None = None) -> Any:
        return self.log(add_artefact, project_id, {"kind": kind, "title": title or f"Документ: {kind}"})

    def satisfy(self, project_id: int, state: str) -> None:
        """Add what the gate out of ``state`` requires (psr.yaml), and nothing more."""
        if state == "diagnose":
            self.artefact(project_id, "current_state_map", "Карта текущего состояния")
            self.log(add_problem, project_id, {"description": "Учитель тратит час на бланки",
                                               "waste": "overprocessing"})
            self.add_metric(project_id)
        elif state == "target":
            self.artefact(project_id, "target_state_map", "Карта целевого состояния")
            for m in self.metrics(project_id):
                self.log(update_metric, m.id, {"target": TARGET})
            self.log(add_action, project_id, {"title": "Шаблон контрольной работы",
                                              "due_on": clock.today().isoformat()})
        elif state == "implement":
            for action in self._read(select(Action).where(Action.project_id == project_id,
                                                          Action.status == "open")):
                self.log(update_action, action.id, {"status": "done"})
            for m in self.metrics(project_id):
                self.measure(m.id, TARGET)
        elif state == "standardise":
            self.artefact(project_id, "standard", "Стандарт подготовки контрольной работы")
        elif state == "sustain":
            self.artefact(project_id, "report", "Итоговый отчёт")
        else:
            raise ValueError(f"no gate out of {state!r}")

    def advance(self, project_id: int, to_state: str) -> Project:
        """Satisfy each unmet gate and let the head move the card (at once) until ``to_state``."""
        project = self.reload(project_id)
        if to_state == "cancelled":
            self.fire(self.head.actor, project_id, "cancel", comment="Проект больше не нужен")
            return self.reload(project_id)
        while project.state != to_state:
            if self.unmet(project_id, FORWARD[project.state]):
                self.satisfy(project_id, project.state)
            result = self.fire(self.head.actor, project_id, FORWARD[project.state])
            assert result.moved, "the head's own move should happen at once"
            project = self.reload(project_id)
        return project


@pytest.fixture(autouse=True)
def _time_is_frozen(frozen_clock: Any) -> None:
    """Autouse, so it runs before any fixture that writes (a real "now" would sort after
    the frozen one)."""


@pytest.fixture
def project(make: Any, world: Any, member_of_school: Any) -> Project:
    """A fresh project of the school (state diagnose, version 1), made by its member."""
    return make.project(world.school, member_of_school.actor)


@pytest.fixture
def flow(make: Any, member_of_school: Any, head_of_school: Any) -> Flow:
    return Flow(make, member_of_school, head_of_school)


@pytest.fixture
def flow_for(make: Any) -> Callable[[Any, Any], Flow]:
    """``flow_for(member, head)``: a Flow driven by another organisation's people."""
    return lambda member, head: Flow(make, member, head)


@pytest.fixture
def row_counts(store: Any) -> Callable[[], dict[str, int]]:
    """``row_counts()`` -> {table: rows} for every table of the schema."""
    def counts() -> dict[str, int]:
        with store.uow() as uow:
            return {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}
    return counts


@pytest.fixture
def refused(row_counts: Callable[[], dict[str, int]]) -> Callable[..., Any]:
    """``refused(call, error)``: ``call()`` raises ``error`` (ValidationFailed by default) and
    writes nothing; returns the error."""
    from engine.errors import ValidationFailed

    def check(call: Callable[[], Any], error: type[Exception] = ValidationFailed) -> Any:
        before = row_counts()
        with pytest.raises(error) as info:
            call()
        assert row_counts() == before, "a refused call wrote something"
        return info.value
    return check
