"""Words of the programme as its pages show them (translated with Flask-Babel), as
webui/web/labels.py does for the projects: no status id reaches a Russian page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PROGRAMME_STATUS = {"draft": _l("draft"), "active": _l("running"), "finished": _l("finished")}
PARTICIPANT_STATUS = {"active": _l("takes part"), "withdrawn": _l("withdrawn from the programme")}
TASK_STATUS = {"open": _l("to do"), "done": _l("done")}
ROUND_KIND = {"initial": _l("initial"), "final": _l("final"), "other": _l("interim")}
PLAN_STATUS = {"draft": _l("draft"), "submitted": _l("waiting for approval"), "approved": _l("approved by the curator"),
               "returned": _l("returned for revision")}
PLAN_ITEM_STATUS = {"open": _l("under way"), "done": _l("done"), "dropped": _l("dropped")}
ANSWER_STATUS = {"draft": _l("draft"), "submitted": _l("submitted")}


def label(table: dict[str, object], key: str | None) -> object:
    """The word for ``key`` (the key itself when the table does not know it)."""
    if key is None:
        return ""
    return table.get(key, key)


COURSE_KIND = {"qualification": _l("qualification course"), "expert": _l("expert training"),
               "seminar": _l("seminar")}
ENROLMENT_STATUS = {"enrolled": _l("enrolled"), "completed": _l("completed"), "dropped": _l("dropped out")}
