"""Test helpers for the portfolio's scaling proposal, public catalogue and edition (#15 items
6, 3, 2): a project driven through every psr gate with real evidence by the engine's own
services, up to the closing move, so a test chooses how the project is closed."""
from __future__ import annotations

from typing import Any

from engine import clock
from engine import practices as P
from engine import services as svc

LEAD_TIME = "ВПП выдачи обедов"
PROPOSAL = ("Применимо в любой школе с горячим питанием и электронным журналом; "
            "условие: классные руководители подают заявку накануне до 15:00")


def to_sustain(make: Any, pid: int, member: Any, head: Any, result: float = 29.0) -> None:
    """Every gate up to «Постпроектный мониторинг», with the report for the closing gate
    attached: the next move is ``close``. Lead time 67 -> ``result`` minutes."""
    def log(fn: Any, *args: Any) -> Any:
        return make.call(fn, member.actor, *args)

    def fire(trigger: str) -> None:
        version = make.call(svc.get_project, head.actor, pid).version
        assert make.call(svc.request_transition, head.actor, pid, {"trigger": trigger, "version": version}).moved

    today = clock.today().isoformat()
    log(svc.add_artefact, pid, {"kind": "current_state_map", "title": "Карта текущего состояния"})
    log(svc.add_problem, pid, {"description": "Очередь в столовой", "waste": "waiting"})
    metric = log(svc.add_metric, pid, {"name": LEAD_TIME, "unit": "мин", "direction": "decrease",
                                       "baseline": 67.0, "target": 29.0})
    fire("to_target")
    log(svc.add_artefact, pid, {"kind": "target_state_map", "title": "Карта целевого состояния"})
    action = log(svc.add_action, pid, {"title": "Предзаказ обедов", "due_on": today})
    fire("to_implement")
    log(svc.update_action, action.id, {"status": "done"})
    log(svc.record_measurement, metric.id, {"value": result, "measured_on": today})
    fire("to_standardise")
    log(svc.add_artefact, pid, {"kind": "standard", "title": "Стандарт выдачи обедов",
                                "text": "Заявка классного руководителя до 15:00"})
    fire("to_sustain")
    log(svc.add_artefact, pid, {"kind": "report", "title": "Итоговый отчёт"})


def close(make: Any, pid: int, who: Any, proposal: str | None = None) -> Any:
    """Fire ``close`` as ``who`` (a head closes at once), with the scaling proposal if given."""
    version = make.call(svc.get_project, who.actor, pid).version
    data: dict[str, Any] = {"trigger": "close", "version": version}
    if proposal is not None:
        data["scaling_proposal"] = proposal
    return make.call(svc.request_transition, who.actor, pid, data)


def published_practice(make: Any, org: Any, member: Any, head: Any, curator: Any, *, title: str,
                       category: str = "meals", summary: str = "Питание без очередей: предзаказ обедов накануне",
                       proposal: str | None = PROPOSAL, **fields: Any) -> Any:
    """A project of ``org`` closed (with ``proposal``) and published by ``curator``."""
    project = make.project(org, member.actor, title=title, **fields)
    to_sustain(make, project.id, member, head)
    close(make, project.id, head, proposal)
    return make.call(P.publish, curator.actor, project.id, {"category": category, "summary": summary})
