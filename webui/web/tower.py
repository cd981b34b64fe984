"""The regional control tower: what curators look at every morning, drillable down to
one card; and its exports (XLSX, CSV)."""
from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request
from sqlalchemy import and_, case, func, select

from engine import cells, clock, monitoring
from engine.models import (
    UNRESOLVED_RISK,
    Municipality,
    Organization,
    Project,
    Region,
    Risk,
    TransitionRequest,
    User,
)
from engine.services import queries as Q
from engine.services.common import named_in_scope
from webui.query import int_arg
from webui.web.common import login_required, no_nul, tr, uow

bp = Blueprint("tower", __name__)
LIST_LIMIT = 50


def region_for_page(u: Any) -> tuple[Region, list[Region]]:
    """A curator's own region; an admin picks one (?region_id=)."""
    actor = g.actor
    if actor.is_admin:
        regions = list(u.session.execute(select(Region).order_by(Region.name)).scalars())
    else:
        ids = sorted(actor.curator_region_ids())
        regions = [u.session.get(Region, i) for i in ids]
    if not regions:
        abort(403)
    raw = request.args.get("region_id", "")
    wanted = int(raw) if raw.isdecimal() else None  # ("²".isdigit() is true, int("²") fails)
    if wanted is not None and wanted not in {r.id for r in regions}:
        abort(404)
    region = next((r for r in regions if r.id == wanted), regions[0])
    return region, regions


def tower_data(u: Any, region_id: int, limit: int | None = None) -> dict[str, Any]:
    """Everything the page (the worst ``limit`` of each long list) and the exports (all)
    show, from engine.monitoring and engine.analytics."""
    from engine import analytics  # noqa: PLC0415

    s, wfs = u.session, u.workflows
    today = clock.today()
    data = monitoring.tower(s, wfs, region_id, limit=limit)
    data["risk_count"], critical = monitoring.count_unresolved_risks(s, wfs, region_id)
    data["headline"] = analytics.headline(s, wfs, region_id, counts=data["by_state"],  # read once
                                          stalled=sum(m["stalled"] for m in data["by_municipality"]),
                                          critical_risks=critical)
    data["flow"] = analytics.cumulative_flow(s, region_id, today - timedelta(days=90), today, workflows=wfs)
    data["stage_times"] = analytics.stage_times_cached(s, wfs, region_id, today - timedelta(days=365),
                                                       u.store.figures)
    data["throughput"] = analytics.throughput_cached(s, region_id, 12, u.store.figures)
    waiting = data["pending_approvals"][:limit] if limit else data["pending_approvals"]  # longest first
    project_ids = ({x["project_id"] for x in data["stalled"][:LIST_LIMIT]}
                   | {x["project_id"] for x in data["unresolved_risks"][:LIST_LIMIT]}
                   | {x["project_id"] for x in waiting})
    data["projects"] = {row.id: row for row in s.execute(
        select(Project.id, Project.title, Project.org_id, Project.reg_number)
        .where(Project.id.in_(project_ids or {-1}))).all()}
    orgs = s.execute(select(Organization.id, Organization.name, Organization.municipality_id)
                     .where(Organization.region_id == region_id)).all()
    data["orgs"] = {org_id: name for org_id, name, _ in orgs}
    data["org_municipality"] = {org_id: mun for org_id, _, mun in orgs}
    data["municipality_names"] = dict(s.execute(select(Municipality.id, Municipality.name)
                                                .where(Municipality.region_id == region_id)).all())
    from engine.models import Practice
    from engine.practices import replications_per_practice
    counts = replications_per_practice(s, region_id)
    titles = dict(s.execute(select(Practice.id, Practice.title).where(Practice.region_id == region_id)).all())
    data["replications"] = sorted(((pid, titles.get(pid, ""), n) for pid, n in counts.items() if pid in titles),
                                  key=lambda row: (-row[2], row[1]))
    by_org: dict[int, list[dict[str, Any]]] = {}
    for item in waiting:
        by_org.setdefault(item["org_id"], []).append(item)
    data["approvals_by_org"] = sorted(by_org.items(), key=lambda kv: -max(x["waiting_days"] for x in kv[1]))
    return data


@bp.get("/tower")
@login_required
def page() -> Any:
    import webui.web.charts as charts
    with uow() as u:
        region, regions = region_for_page(u)
        data = tower_data(u, region.id, limit=LIST_LIMIT)
        wf = u.workflows.latest("psr")
    states = [s for s in wf.states]  # type: ignore[union-attr]
    state_titles = {s.id: tr(s.title) for s in states}
    return render_template(
        "tower.html", region=region, regions=regions, t=data, wf=wf, states=states,
        active_states=[s for s in states if not s.final], state_titles=state_titles, limit=LIST_LIMIT,
        cfd_svg=charts.cumulative_flow(data["flow"], state_titles),
        throughput_svg=charts.bars([(m["month"], m["closed"]) for m in data["throughput"]]),
        stage_svg=charts.bars([(state_titles.get(k, k), v["median"] or 0)
                               for k, v in data["stage_times"]["by_stage"].items()], unit="дн."))


@bp.get("/tower.xlsx")
@login_required
def export_xlsx() -> Any:
    from webui.web.exports import tower_workbook
    with uow() as u:
        region, _regions = region_for_page(u)
        data = tower_data(u, region.id)
        wf = u.workflows.latest("psr")
        orgs = list(u.session.execute(select(Organization).where(Organization.region_id == region.id)
                                      .order_by(Organization.name)).scalars())
        org_projects = _projects_by_org(u, region.id)
    counts = Counter((org_id, p["state"]) for org_id, rows in org_projects.items() for p in rows)
    body = tower_workbook(region, data, wf, orgs, counts, org_projects)
    filename = f"tower-{region.id}-{clock.today().isoformat()}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _projects_by_org(u: Any, region_id: int) -> dict[int, list[dict[str, Any]]]:
    """Every project of the region for the per-organisation sheets, by organisation and number."""
    now = clock.now()
    s, wfs = u.session, u.workflows
    risks = dict(s.execute(select(Risk.project_id, func.count()).join(Project, Project.id == Risk.project_id)
                           .where(Project.region_id == region_id, Risk.status.in_(UNRESOLVED_RISK))
                           .group_by(Risk.project_id)).all())
    pending = set(s.execute(select(TransitionRequest.project_id)
                            .join(Project, Project.id == TransitionRequest.project_id)
                            .where(Project.region_id == region_id, TransitionRequest.status == "pending")).scalars())
    stalled = case((and_(monitoring.active_filter(wfs), monitoring.stalled_filter(wfs, now)), True), else_=False)
    rows = s.execute(select(Project.id, Project.org_id, Project.reg_number, Project.title, Project.state,
                            Project.state_entered_at, Project.created_at, stalled.label("stalled"),
                            User.name.label("leader"))
                     .join(User, named_in_scope(Project.leader_id), isouter=True)
                     .where(Project.region_id == region_id).order_by(Project.org_id, Project.reg_number)).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.org_id, []).append({
            "reg_number": r.reg_number, "title": r.title, "state": r.state,
            "state_entered_on": clock.as_utc(r.state_entered_at).date(),
            "days_in_state": monitoring.whole_days(now, r.state_entered_at), "stalled": bool(r.stalled),
            "leader": r.leader or "", "risks": risks.get(r.id, 0), "pending": r.id in pending,
            "created_on": clock.as_utc(r.created_at).date()})
    return out


@bp.get("/projects.csv")
@login_required
def export_csv() -> Any:
    """The projects the person may see (filters as on /projects), for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens UTF-8 Cyrillic correctly
    writer = cells.csv_writer(out)  # text as text: a title "=1+2" is never a formula
    writer.writerow(["Номер", "Наименование проекта", "Организация", "Этап", "Дней на этапе",
                     "Остановлен", "Открытых рисков", "Ожидает согласования"])
    with uow() as u:
        rows, _total = Q.list_projects(u, g.actor, org_id=int_arg("org_id"), region_id=int_arg("region_id"),
                                       state=no_nul(request.args.get("state")) or None, limit=100_000)
        ids = [p.id for p in rows] or [-1]
        orgs = dict(u.session.execute(select(Organization.id, Organization.name).where(
            Organization.id.in_({p.org_id for p in rows} or {-1}))).all())
        risks = dict(u.session.execute(select(Risk.project_id, func.count()).where(
            Risk.project_id.in_(ids), Risk.status.in_(UNRESOLVED_RISK)).group_by(Risk.project_id)).all())
        pending = set(u.session.execute(select(TransitionRequest.project_id).where(
            TransitionRequest.project_id.in_(ids), TransitionRequest.status == "pending")).scalars())
        now = clock.now()
        for p in rows:
            wf = u.workflows.get(p.workflow_id, p.workflow_version)
            stalled = bool(wf and monitoring.stall_reasons(wf, p.state, p.state_entered_at,
                                                           p.last_activity_at, now))
            writer.writerow([p.reg_number, p.title, orgs.get(p.org_id, ""),
                             wf.state(p.state).title.ru if wf and wf.has_state(p.state) else p.state,
                             monitoring.whole_days(now, p.state_entered_at), "да" if stalled else "нет",
                             risks.get(p.id, 0), "да" if p.id in pending else "нет"])
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="projects.csv"'})
