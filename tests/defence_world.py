"""Projects ready for a defence session, for the web and browser tests (the engine tests
use their Flow; a conftest is not imported across folders): on workflows/psr-defended.yaml,
in ``target`` with the gate out of it met, and the ``to_implement`` request fired by the
school's head, so that it waits at the curator's step."""
from __future__ import annotations

from typing import Any

from engine import clock
from engine.services import (
    add_action,
    add_artefact,
    add_metric,
    add_problem,
    request_transition,
)


def waiting_for_curator(make: Any, org: Any, member: Any, head: Any, title: str) -> Any:
    project = make.project(org, member.actor, title=title, workflow="psr-defended")
    pid = project.id
    make.call(add_artefact, member.actor, pid, {"kind": "current_state_map", "title": "Карта текущего состояния"})
    make.call(add_problem, member.actor, pid, {"description": "Учитель тратит час на бланки",
                                               "waste": "overprocessing"})
    make.call(add_metric, member.actor, pid, {"name": "Время подготовки", "unit": "мин", "direction": "decrease",
                                              "baseline": 67.0, "target": 29.0})
    make.call(request_transition, head.actor, pid, {"trigger": "to_target", "version": 1})
    make.call(add_artefact, member.actor, pid, {"kind": "target_state_map", "title": "Карта целевого состояния"})
    make.call(add_action, member.actor, pid, {"title": "Шаблон контрольной работы",
                                              "due_on": clock.today().isoformat()})
    result = make.call(request_transition, head.actor, pid, {"trigger": "to_implement", "version": 2})
    assert result.request is not None and result.request.approval == "curator", result
    return project
