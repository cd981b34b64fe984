"""Reminders (every 15 minutes), each sent once: to the deciders of requests waiting
longer than two days, and to the owners of unresolved risks past their due date."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from engine import clock
from engine.db import Store
from engine.jobs.common import Note, active_users, chunks, granted, only_who_see
from engine.models import UNRESOLVED_RISK, Project, Risk, RoleGrant, TransitionRequest, User
from engine.policy import GLOBAL_ROLES, ORG_ROLES, REGION_ROLES
from engine.reporting.monitoring import active_filter, whole_days
from engine.services.notifications import notify_many
from engine.text import Text

REQUEST_REMINDER_AFTER = timedelta(days=2)


def _deciders(session: Session, approvals: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], list[int]]:
    """(approval role, org_id, region_id) -> the active users who may decide."""
    wanted = {a for a, _, _ in approvals}
    by_org = {role: granted(session, (role,), RoleGrant.org_id, {o for a, o, _ in approvals if a == role})
              for role in ORG_ROLES if role in wanted}
    by_region = {role: granted(session, (role,), RoleGrant.region_id, {r for a, _, r in approvals if a == role})
                 for role in REGION_ROLES if role in wanted}
    everywhere = {role: list(session.execute(
        select(col(RoleGrant.user_id)).join(User, col(User.id) == col(RoleGrant.user_id))
        .where(col(RoleGrant.role) == role, col(User.is_active).is_(True))
        .distinct().order_by(col(RoleGrant.user_id))).scalars()) for role in GLOBAL_ROLES if role in wanted}
    out: dict[tuple[str, int, int], list[int]] = {}
    for key in approvals:
        approval, org_id, region_id = key
        if approval in by_org:
            out[key] = by_org[approval].get(org_id, [])
        elif approval in by_region:
            out[key] = by_region[approval].get(region_id, [])
        else:
            out[key] = everywhere.get(approval, [])
    return out


def _remind_requests(store: Store, now: datetime) -> tuple[int, int]:
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(TransitionRequest)
            .where(col(TransitionRequest.status) == "pending",
                   col(TransitionRequest.reminded_at).is_(None),
                   col(TransitionRequest.requested_at) < now - REQUEST_REMINDER_AFTER)
            .values(reminded_at=now)
            .returning(col(TransitionRequest.id), col(TransitionRequest.project_id), col(TransitionRequest.approval),
                       col(TransitionRequest.dest), col(TransitionRequest.requested_at))
            .execution_options(synchronize_session=False)).all()
        projects = {}
        for chunk in chunks(r.project_id for r in won):
            for p in s.execute(select(col(Project.id), col(Project.title), col(Project.org_id), col(Project.region_id),
                                      col(Project.workflow_id), col(Project.workflow_version))
                               .where(col(Project.id).in_(chunk))):
                projects[p.id] = p
        deciders = _deciders(s, sorted({(r.approval, projects[r.project_id].org_id,
                                         projects[r.project_id].region_id) for r in won}))
        notes: list[Note] = []
        for r in sorted(won, key=lambda r: r.id):
            p = projects[r.project_id]
            wf = store.workflows.get(p.workflow_id, p.workflow_version)
            dest = wf.state(r.dest).title if wf is not None and wf.has_state(r.dest) else Text(r.dest, r.dest)
            days = whole_days(now, r.requested_at)
            message = Text(f"Запрос на переход проекта «{p.title}» на этап «{dest.ru}» "
                           f"ждёт вашего согласования {days} дн.",
                           f"The request to move “{p.title}” to “{dest.en or dest.ru}” "
                           f"has been waiting for your approval for {days} days.")
            notes += [(user_id, "approval_reminder", p.id, message)
                      for user_id in deciders[(r.approval, p.org_id, p.region_id)]]
        notified = notify_many(s, only_who_see(s, notes))
        uow.commit()
    return len(won), notified


def _remind_risks(store: Store, now: datetime) -> tuple[int, int]:
    today = now.date()
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(Risk)
            .where(col(Risk.status).in_(UNRESOLVED_RISK), col(Risk.reminded_at).is_(None),
                   col(Risk.owner_id).is_not(None), col(Risk.due_on) < today,
                   col(Risk.project_id).in_(select(col(Project.id)).where(active_filter(store.workflows))))
            .values(reminded_at=now)
            .returning(col(Risk.id), col(Risk.project_id), col(Risk.owner_id), col(Risk.title), col(Risk.due_on))
            .execution_options(synchronize_session=False)).all()
        titles: dict[int, str] = {}
        for chunk in chunks(r.project_id for r in won):
            titles.update((pid, title) for pid, title in s.execute(
                select(col(Project.id), col(Project.title)).where(col(Project.id).in_(chunk))))
        owners = active_users(s, (r.owner_id for r in won))
        notes: list[Note] = []
        for r in sorted(won, key=lambda r: r.id):
            if r.owner_id not in owners:
                continue
            due = r.due_on.strftime("%d.%m.%Y")
            title = titles[r.project_id]
            notes.append((r.owner_id, "risk_overdue", r.project_id,
                          Text(f"Срок по риску «{r.title}» проекта «{title}» прошёл ({due}); риск не закрыт.",
                               f"The risk “{r.title}” of “{title}” was due on {r.due_on.isoformat()} "
                               f"and is still unresolved.")))
        notified = notify_many(s, only_who_see(s, notes))
        uow.commit()
    return len(won), notified


def reminders(store: Store) -> dict[str, int]:
    """Remind once: the deciders of requests waiting longer than two days, and the owners
    of unresolved risks past their due date (active projects only)."""
    now = clock.now()
    requests, n1 = _remind_requests(store, now)
    risks, n2 = _remind_risks(store, now)
    return {"requests": requests, "risks": risks, "notified": n1 + n2}
