"""Words of the domain as the pages show them (translated with Flask-Babel)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

WASTE = {
    "transport": _l("Excess transportation"), "inventory": _l("Excess inventory"),
    "motion": _l("Excess motion"), "waiting": _l("Waiting"),
    "overproduction": _l("Overproduction"), "overprocessing": _l("Overprocessing"),
    "defects": _l("Defects, rework"), "talent": _l("Unused talent"),
}
ARTEFACT = {
    "current_state_map": _l("Current-state map"), "target_state_map": _l("Target-state map"),
    "standard": _l("Standard"), "report": _l("Report"), "other": _l("Other"),
}
RISK_STATUS = {"open": _l("open"), "mitigating": _l("mitigating"), "resolved": _l("resolved"),
               "accepted": _l("accepted")}
ACTION_STATUS = {"open": _l("open"), "done": _l("done"), "dropped": _l("dropped")}
DIRECTION = {"decrease": _l("decrease"), "increase": _l("increase")}
ORG_KIND = {"school": _l("School"), "kindergarten": _l("Kindergarten"), "college": _l("College"),
            "other": _l("Other")}
ROLE = {"member": _l("team member"), "head": _l("head"), "coordinator": _l("school coordinator"),
        "curator": _l("curator"), "admin": _l("administrator")}
REQUEST_STATUS = {"pending": _l("waiting"), "approved": _l("approved"), "rejected": _l("rejected")}

EVENT = {
    "created": _l("created the project"), "updated": _l("edited the card"),
    "transition_requested": _l("asked to move the project"),
    "transition_approved": _l("approved the move"), "transition_rejected": _l("rejected the move"),
    "state_changed": _l("stage changed"), "risk_logged": _l("logged a risk"),
    "risk_updated": _l("updated a risk"), "metric_added": _l("added a metric"),
    "metric_updated": _l("updated a metric"), "measurement_recorded": _l("recorded a measurement"),
    "problem_added": _l("registered a problem"), "action_added": _l("added an action"),
    "action_updated": _l("updated an action"), "artefact_added": _l("attached an artefact"),
    "commented": _l("commented"), "stalled": _l("the project stalled"),
    "team_changed": _l("changed the team"),
    "practice_published": _l("published the project as a practice"),
    "practice_updated": _l("updated the practice"),
    "practice_withdrawn": _l("withdrew the practice"),
    "replicated": _l("started the project from a practice"),
}


def event_label(kind: str) -> Any:
    return EVENT.get(kind, kind)


def risk_level(score: int) -> str:
    return "critical" if score >= 15 else "high" if score >= 10 else "medium" if score >= 5 else "low"
