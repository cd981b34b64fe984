"""Reports: a project's passport (карточка проекта) and analytic report, printable on A4,
for whoever may see the project; the regional summary as XLSX for the tower's people."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template
from flask_babel import lazy_gettext as _l

from engine import clock
from engine import services as svc
from engine.models import Municipality, Organization, Region
from engine.reporting import reports
from engine.services import queries as Q
from webui.web.common import locale, login_required, read_uow

bp = Blueprint("reports", __name__)

STAGE_STATUS = {"done": _l("done"), "current": _l("in progress"), "not_started": _l("not started"),
                "returned": _l("sent back"), "stopped": _l("stopped")}


def _project_context(project_id: int) -> dict[str, Any]:
    """What both pages show; NotFound (404) for a project outside the person's scope, as
    the project page."""
    actor = g.actor
    with read_uow() as u:
        project = svc.get_project(u, actor, project_id)
        s = u.session
        body = Q.project_dict(u, actor, project, locale(), with_transitions=False)
        detail = Q.project_detail(u, actor, project_id)
        wf = u.workflows.get(project.workflow_id, project.workflow_version)
        org = s.get(Organization, project.org_id)
        municipality = s.get(Municipality, org.municipality_id) if org else None
        region = s.get(Region, project.region_id)
        report = reports.project_report(s, u.workflows, project)
        names = Q.user_names(u, project, people={project.leader_id} | {r["owner_id"] for r in detail["risks"]})
    return {"p": body, "d": detail, "wf": wf, "org": org, "municipality": municipality, "region": region,
            "report": report, "names": names, "today": clock.today(),
            "stage_status": lambda k: STAGE_STATUS.get(k, k)}


@bp.get("/projects/<int:project_id>/passport")
@login_required
def passport(project_id: int) -> Any:
    return render_template("report_passport.html", **_project_context(project_id))


@bp.get("/projects/<int:project_id>/report")
@login_required
def project_report(project_id: int) -> Any:
    return render_template("report_project.html", **_project_context(project_id))


@bp.get("/tower/summary.xlsx")
@login_required
def region_xlsx() -> Any:
    """The regional summary: a curator's own region, an admin's pick (?region_id=), as the
    tower; anyone else 403, another region 404."""
    from webui.web.report_xlsx import region_summary_workbook
    from webui.web.tower import region_for_page
    with read_uow() as u:
        region, _regions = region_for_page(u)
        summary = reports.regional_summary(u.session, u.workflows, region.id)
    body = region_summary_workbook(region, summary)
    filename = f"summary-{region.id}-{summary['as_of'].isoformat()}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
