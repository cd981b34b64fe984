"""The regional control tower's read models: the page's figures and lists, the
workbook's per-organisation rows, and the projects CSV. Set-based reads from
engine.reporting.monitoring and engine.reporting.analytics; the web layer only renders them."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.models import (
    UNRESOLVED_RISK,
    Organization,
    Practice,
    Project,
    Risk,
    TransitionRequest,
    User,
)
from engine.policy import Actor
from engine.reporting import monitoring
from engine.services import queries as Q
from engine.services.common import named_in_scope

LIST_LIMIT = 50  # the page shows the worst 50 of each long list

CSV_HEADER = ("Номер", "Наименование проекта", "Организация", "Этап", "Дней на этапе",
              "Остановлен", "Открытых рисков", "Ожидает согласования")


def tower_data(uow: UnitOfWork, region_id: int, limit: int | None = None) -> dict[str, Any]:
    """Everything the page (the worst ``limit`` of each long list; ``None``: every row, the
    page's «показать все») and the exports (all) show, from engine.reporting.monitoring and
    engine.reporting.analytics."""
    from engine.practices import replications_per_practice  # noqa: PLC0415
    from engine.reporting import analytics  # noqa: PLC0415

    s, wfs = uow.session, uow.workflows
    today = clock.today()
    rollup = monitoring.region_rollup(s, wfs, region_id, analytics.year_start_of(clock.now()))
    risks: dict[str, int] = {}
    data = monitoring.tower(s, wfs, region_id, limit=limit, rollup=rollup, risk_counts=risks)
    data["risk_count"], critical = risks["n"], risks["critical"]
    data["headline"] = analytics.headline(  # every figure read once, above
        s, wfs, region_id, critical_risks=critical, rollup=rollup,
        waiting_over=sum(1 for p in data["pending_approvals"]
                         if p["waiting_days"] > monitoring.APPROVAL_WAIT_ALERT_DAYS))
    data["flow"] = analytics.cumulative_flow(s, region_id, today - timedelta(days=90), today, workflows=wfs)
    data["stage_times"] = analytics.stage_times_cached(s, wfs, region_id, today - timedelta(days=365),
                                                       uow.store.figures)
    data["throughput"] = analytics.throughput_cached(s, uow.workflows, region_id, 12, uow.store.figures)
    waiting = data["pending_approvals"][:limit] if limit else data["pending_approvals"]  # longest first
    project_ids = ({x["project_id"] for x in data["stalled"][:limit]}
                   | {x["project_id"] for x in data["unresolved_risks"][:limit]}
                   | {x["project_id"] for x in waiting})
    data["projects"] = {row.id: row for row in s.execute(
        select(col(Project.id), col(Project.title), col(Project.org_id), col(Project.reg_number))
        .where(col(Project.id).in_(project_ids or {-1}))).all()}
    orgs = select(col(Organization.id), col(Organization.name)).where(col(Organization.region_id) == region_id)
    if limit:  # the page: the names of the organisations its rows show (a region may have thousands)
        shown = {x["org_id"] for x in data["stalled"][:limit]} | {x["org_id"] for x in waiting}
        orgs = orgs.where(col(Organization.id).in_(shown or {-1}))
    data["orgs"] = dict(s.execute(orgs).all())
    data["municipality_names"] = {m["municipality_id"]: m["name"] for m in data["by_municipality"]}  # every one
    counts = replications_per_practice(s, region_id)
    titles = dict(s.execute(select(col(Practice.id), col(Practice.title))
                            .where(col(Practice.region_id) == region_id)).all())
    data["replications"] = sorted(((pid, titles.get(pid, ""), n) for pid, n in counts.items() if pid in titles),
                                  key=lambda row: (-row[2], row[1]))
    by_org: dict[int, list[dict[str, Any]]] = {}
    for item in waiting:
        by_org.setdefault(item["org_id"], []).append(item)
    data["approvals_by_org"] = sorted(by_org.items(), key=lambda kv: -max(x["waiting_days"] for x in kv[1]))
    return data


def tower_workbook_data(uow: UnitOfWork, region_id: int) -> dict[str, Any]:
    """What the tower's XLSX export holds: the tower's figures (every row), the region's
    organisations, their projects and the projects per (organisation, stage)."""
    orgs = list(uow.session.execute(select(Organization).where(col(Organization.region_id) == region_id)
                                    .order_by(Organization.name)).scalars())
    org_projects = projects_by_org(uow, region_id)
    counts = Counter((org_id, p["state"]) for org_id, rows in org_projects.items() for p in rows)
    return {"data": tower_data(uow, region_id), "orgs": orgs, "counts": counts,
            "org_projects": org_projects}


def projects_by_org(uow: UnitOfWork, region_id: int) -> dict[int, list[dict[str, Any]]]:
    """Every project of the region for the per-organisation sheets, by organisation and number."""
    now = clock.now()
    s, wfs = uow.session, uow.workflows
    risks = dict(s.execute(select(col(Risk.project_id), func.count())
                           .join(Project, col(Project.id) == col(Risk.project_id))
                           .where(col(Project.region_id) == region_id, col(Risk.status).in_(UNRESOLVED_RISK))
                           .group_by(col(Risk.project_id))).all())
    pending = set(s.execute(select(col(TransitionRequest.project_id))
                            .join(Project, col(Project.id) == col(TransitionRequest.project_id))
                            .where(col(Project.region_id) == region_id,
                                   col(TransitionRequest.status) == "pending")).scalars())
    stalled = case((and_(monitoring.active_filter(wfs), monitoring.stalled_filter(wfs, now)), True), else_=False)
    rows = s.execute(select(col(Project.id), col(Project.org_id), col(Project.reg_number), col(Project.title),
                            col(Project.state), col(Project.state_entered_at), col(Project.created_at),
                            stalled.label("stalled"), col(User.name).label("leader"))
                     .join(User, named_in_scope(col(Project.leader_id)), isouter=True)
                     .where(col(Project.region_id) == region_id)
                     .order_by(col(Project.org_id), col(Project.reg_number))).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.org_id, []).append({
            "reg_number": r.reg_number, "title": r.title, "state": r.state,
            "state_entered_on": clock.as_utc(r.state_entered_at).date(),
            "days_in_state": monitoring.whole_days(now, r.state_entered_at), "stalled": bool(r.stalled),
            "leader": r.leader or "", "risks": risks.get(r.id, 0), "pending": r.id in pending,
            "created_on": clock.as_utc(r.created_at).date()})
    return out


def projects_csv_rows(uow: UnitOfWork, actor: Actor, *, org_id: int | None = None,
                      region_id: int | None = None, state: str | None = None) -> list[list[Any]]:
    """The projects ``actor`` may see (filters as ``queries.list_projects``), one row a
    project in the order of CSV_HEADER, Russian as the export has always been."""
    rows, _total = Q.list_projects(uow, actor, org_id=org_id, region_id=region_id, state=state,
                                   limit=100_000)
    ids = [p.id for p in rows] or [-1]
    s = uow.session
    orgs = dict(s.execute(select(col(Organization.id), col(Organization.name)).where(
        col(Organization.id).in_({p.org_id for p in rows} or {-1}))).all())
    risks = dict(s.execute(select(col(Risk.project_id), func.count()).where(
        col(Risk.project_id).in_(ids), col(Risk.status).in_(UNRESOLVED_RISK)).group_by(col(Risk.project_id))).all())
    pending = set(s.execute(select(col(TransitionRequest.project_id)).where(
        col(TransitionRequest.project_id).in_(ids), col(TransitionRequest.status) == "pending")).scalars())
    now = clock.now()
    out = []
    for p in rows:
        wf = uow.workflows.get(p.workflow_id, p.workflow_version)
        stalled = bool(wf and monitoring.stall_reasons(wf, p.state, p.state_entered_at,
                                                       p.last_activity_at, now))
        out.append([p.reg_number, p.title, orgs.get(p.org_id, ""),
                    wf.state(p.state).title.ru if wf and wf.has_state(p.state) else p.state,
                    monitoring.whole_days(now, p.state_entered_at), "да" if stalled else "нет",
                    risks.get(p.id, 0), "да" if p.id in pending else "нет"])
    return out
