"""The stall scan (every 15 minutes): record each new stall episode once, a ``stalled``
event by the system and a notification to the leader and the heads; clear the mark of
projects that resumed (engine/jobs/scheduler.py runs it)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, not_, update
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.jobs.common import Note, active_users, granted, only_who_see, system_events
from engine.models import Project, RoleGrant
from engine.policy import ORG_ROLES, granting
from engine.reporting.monitoring import active_filter, stall_reasons, stalled_filter
from engine.services.notifications import notify_many
from engine.text import Text
from engine.vocab import EventKind
from engine.workflow import Workflow


def _reasons_text(reasons: list[dict[str, Any]]) -> Text:
    ru, en = [], []
    for r in reasons:
        if r["kind"] == "sla":
            ru.append(f"на этапе {r['days']} дн. при сроке {r['limit']} дн.")
            en.append(f"{r['days']} days in the stage, limit {r['limit']}")
        else:
            ru.append(f"нет активности {r['days']} дн. (допустимо {r['limit']})")
            en.append(f"no activity for {r['days']} days (limit {r['limit']})")
    return Text("; ".join(ru), "; ".join(en))


def _stalled_text(title: str, wf: Workflow | None, state: str, reasons: list[dict[str, Any]]) -> Text:
    st = wf.state(state).title if wf is not None and wf.has_state(state) else Text(state, state)
    why = _reasons_text(reasons)
    return Text(f"Проект «{title}» остановился на этапе «{st.ru}»: {why.ru}.",
                f"Project “{title}” has stalled in “{st.en or st.ru}”: {why.en}.")


def _clear_resumed(store: Store, now: datetime) -> int:
    """CAS-clear ``stalled_since`` of projects that are no longer stalled (activity resumed).

    No event: the activity that ended the episode is in the log already.
    """
    wfs = store.workflows
    with store.uow() as uow:
        result = uow.session.exec(
            update(Project)
            .where(col(Project.stalled_since).is_not(None),
                   not_(and_(active_filter(wfs), stalled_filter(wfs, now))))
            .values(stalled_since=None)
            .execution_options(synchronize_session=False))
        uow.commit()
    return int(result.rowcount)


def stall_scan(store: Store) -> dict[str, int]:
    """Record each new stall episode once: a ``stalled`` event (actor: the system) and a
    notification to the project's leader and the heads of its organisation."""
    now = clock.now()
    wfs = store.workflows
    cleared = _clear_resumed(store, now)
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(Project)
            .where(col(Project.stalled_since).is_(None), active_filter(wfs),
                   stalled_filter(wfs, now))
            .values(stalled_since=now)
            .returning(col(Project.id), col(Project.title), col(Project.org_id), col(Project.leader_id),
                       col(Project.state), col(Project.state_entered_at), col(Project.last_activity_at),
                       col(Project.workflow_id), col(Project.workflow_version))
            .execution_options(synchronize_session=False)).all()
        heads = granted(s, granting("project.stall_notice", ORG_ROLES), RoleGrant.org_id,
                         {r.org_id for r in won})
        leaders = active_users(s, (r.leader_id for r in won))
        events: list[tuple[int, dict[str, Any]]] = []
        notes: list[Note] = []
        for r in sorted(won, key=lambda r: r.id):
            wf = wfs.get(r.workflow_id, r.workflow_version)
            reasons = ([x.as_dict() for x in stall_reasons(wf, r.state, r.state_entered_at,
                                                           r.last_activity_at, now)]
                       if wf is not None else [])
            events.append((r.id, {"state": r.state, "reasons": reasons}))
            message = _stalled_text(r.title, wf, r.state, reasons)
            recipients = ([r.leader_id] if r.leader_id in leaders else []) + heads.get(r.org_id, [])
            notes += [(user_id, "stalled", r.id, message) for user_id in dict.fromkeys(recipients)]
        system_events(s, EventKind.STALLED, events)
        notified = notify_many(s, only_who_see(s, notes))
        uow.commit()
    return {"stalled": len(won), "cleared": cleared, "notified": notified}
