"""The project page (the whole card, evidence, gate checklist, history) and its forms."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine import services as svc
from engine.errors import DomainError, NotFound
from engine.models import (
    ARTEFACT_KINDS,
    ORG_KINDS,
    RISK_STATUSES,
    WASTES,
    Organization,
)
from engine.services import queries as Q
from engine.services.pages import project_page
from webui.query import int_arg, search_arg
from webui.web.common import (
    INT_MAX,
    error_messages,
    form_data,
    locale,
    login_required,
    no_nul,
    uow,
)
from webui.web.labels import event_label

bp = Blueprint("projects", __name__)

CARD_TEXT = ("title", "problem", "goal", "sponsor", "process_owner", "process_start", "process_end")
CARD_NUM = ("planned_hours_saved", "actual_hours_saved", "planned_roubles", "actual_roubles")


def render_project(project_id: int, message: dict[str, Any] | None = None, status: int = 200,
                   errors: dict[str, dict[str, str]] | None = None,
                   values: dict[str, dict[str, Any]] | None = None) -> Any:
    with uow() as u:
        page = project_page(u, g.actor, project_id, locale())
        return render_template(
            "project.html", p=page.body, d=page.detail, wf=page.workflow, org=page.org,
            events=page.events, names=page.names, org_users=page.org_users,
            team_candidates=page.team_candidates, gate=page.gate, finished=page.finished,
            project=page.project, links=page.practice_links, message=message,
            errors=errors or {}, values=values or {}, wastes=WASTES, artefact_kinds=ARTEFACT_KINDS,
            risk_statuses=RISK_STATUSES, event_label=event_label,
        ), status


@bp.get("/projects/<int:project_id>")
@login_required
def page(project_id: int) -> Any:
    return render_project(project_id)


def _run(project_id: int, form: str, section: str, fn: Any, *args: Any, ok: str | None = None) -> Any:
    """Call a service with the form's data; on error show the page again with the
    messages and what the person typed."""
    try:
        with uow() as u:
            fn(u, g.actor, *args)
    except NotFound:
        raise  # outside the person's scope: 404, never a form error on another page
    except DomainError as exc:
        general, fields = error_messages(exc)
        if not fields:
            fields = {"_": general}
        return render_project(project_id, errors={form: fields}, values={form: request.form.to_dict()},
                              status=422 if exc.code in ("validation_failed", "bad_request") else
                              {"forbidden": 403, "conflict": 409}.get(exc.code, 422))
    if ok:
        flash(ok, "ok")
    return redirect(url_for("projects.page", project_id=project_id) + "#" + section)


@bp.post("/projects/<int:project_id>/edit")
@login_required
def edit(project_id: int) -> Any:
    data = form_data(*CARD_TEXT, *CARD_NUM, "leader_id", "version", ints=("leader_id", "version"),
                     floats=CARD_NUM, optional=CARD_NUM + ("leader_id",))
    for name in CARD_NUM + ("leader_id",):
        if name in request.form and request.form[name].strip() == "":
            data[name] = None
    if data.get("version") == INT_MAX:  # beyond the database's integers: stale (the engine writes version + 1)
        data["version"] = -1
    return _run(project_id, "card", "card", svc.update_project, project_id, data, ok=_("Card saved."))


@bp.post("/projects/<int:project_id>/metrics")
@login_required
def add_metric(project_id: int) -> Any:
    data = form_data("name", "unit", "direction", "baseline", "target", floats=("baseline", "target"),
                     optional=("baseline", "target"))
    return _run(project_id, "metric", "metrics", svc.add_metric, project_id, data)


@bp.post("/metrics/<int:metric_id>/edit")
@login_required
def edit_metric(metric_id: int) -> Any:
    project_id = int_arg("project_id") or 0
    data = form_data("baseline", "target", floats=("baseline", "target"), optional=("baseline", "target"))
    for name in ("baseline", "target"):
        if request.form.get(name, "").strip() == "":
            data[name] = None
    return _run(project_id, f"metric-{metric_id}", "metrics", svc.update_metric, metric_id, data)


@bp.post("/metrics/<int:metric_id>/measurements")
@login_required
def add_measurement(metric_id: int) -> Any:
    project_id = int_arg("project_id") or 0
    data = form_data("value", "measured_on", floats=("value",))
    return _run(project_id, f"measure-{metric_id}", "metrics", svc.record_measurement, metric_id, data)


@bp.post("/projects/<int:project_id>/problems")
@login_required
def add_problem(project_id: int) -> Any:
    return _run(project_id, "problem", "problems", svc.add_problem, project_id,
                form_data("description", "waste"))


@bp.post("/projects/<int:project_id>/actions")
@login_required
def add_action(project_id: int) -> Any:
    data = form_data("title", "due_on", "owner_id", ints=("owner_id",), optional=("due_on", "owner_id"))
    return _run(project_id, "action", "actions", svc.add_action, project_id, data)


@bp.post("/actions/<int:action_id>/status")
@login_required
def action_status(action_id: int) -> Any:
    project_id = int_arg("project_id") or 0
    return _run(project_id, f"action-{action_id}", "actions", svc.update_action, action_id,
                form_data("status"))


@bp.post("/projects/<int:project_id>/artefacts")
@login_required
def add_artefact(project_id: int) -> Any:
    data = form_data("kind", "title", "url", "text", optional=("url", "text"))
    return _run(project_id, "artefact", "artefacts", svc.add_artefact, project_id, data)


@bp.post("/projects/<int:project_id>/risks")
@login_required
def add_risk(project_id: int) -> Any:
    data = form_data("title", "probability", "impact", "mitigation", "owner_id", "due_on",
                     ints=("probability", "impact", "owner_id"),
                     optional=("mitigation", "owner_id", "due_on"))
    return _run(project_id, "risk", "risks", svc.log_risk, project_id, data)


@bp.post("/risks/<int:risk_id>/status")
@login_required
def risk_status(risk_id: int) -> Any:
    project_id = int_arg("project_id") or 0
    return _run(project_id, f"risk-{risk_id}", "risks", svc.update_risk, risk_id, form_data("status"))


@bp.post("/projects/<int:project_id>/team")
@login_required
def add_team(project_id: int) -> Any:
    data = form_data("user_id", "role_text", ints=("user_id",))
    return _run(project_id, "team", "team", svc.add_team_member, project_id, data)


@bp.post("/projects/<int:project_id>/comments")
@login_required
def add_comment(project_id: int) -> Any:
    return _run(project_id, "comment", "history", svc.add_comment, project_id, form_data("text"))


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    actor = g.actor
    with uow() as u:
        orgs = [u.session.get(Organization, o) for o in sorted(actor.org_ids())]
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = form_data("org_id", "title", "problem", "goal", "process_start", "process_end",
                         ints=("org_id",), optional=("process_start", "process_end"))
        try:
            with uow() as u:
                project = svc.create_project(u, actor, data)
            flash(_("Project created."), "ok")
            return redirect(url_for("projects.page", project_id=project.id))
        except DomainError as exc:
            general, errors = error_messages(exc)
            errors = errors or {"_": general}
    return render_template("project_new.html", orgs=orgs, errors=errors, values=request.form,
                           kinds=ORG_KINDS), 422 if errors else 200


@bp.get("/projects")
@login_required
def listing() -> Any:
    """A plain list of projects (final states, search results), paged."""
    page_no = max(1, int_arg("page") or 1)
    per_page = 50
    state = no_nul(request.args.get("state")) or None
    flag = lambda name: request.args.get(name) == "1"  # noqa: E731
    with uow() as u:
        rows, total = Q.list_projects(u, g.actor, org_id=int_arg("org_id"), region_id=int_arg("region_id"),
                                      state=state, q=search_arg(), municipality_id=int_arg("municipality_id"),
                                      active=True if flag("active") else None,
                                      stalled=True if flag("stalled") else None,
                                      critical=flag("critical"), waiting_long=flag("waiting"),
                                      closed_since=_date_arg("closed_since"), reached=flag("reached"),
                                      limit=per_page, offset=(page_no - 1) * per_page)
        orgs = dict(u.session.execute(select(Organization.id, Organization.name).where(
            Organization.id.in_({p.org_id for p in rows} or {-1}))).all())
        wf = u.workflows.default()
    pages = max(1, (total + per_page - 1) // per_page)
    shown = [label for name, label in (("active", _("active")), ("stalled", _("stalled")),
                                       ("critical", _("with unresolved critical risks")),
                                       ("waiting", _("approvals waiting over 3 days")),
                                       ("reached", _("reached their targets"))) if flag(name)]
    if _date_arg("closed_since"):
        shown.append(_("closed since %(day)s", day=_date_arg("closed_since").strftime("%d.%m.%Y")))
    return render_template("projects.html", rows=rows, total=total, orgs=orgs, wf=wf, state=state, shown=shown,
                           page_no=page_no, pages=pages, args={k: v for k, v in request.args.items()
                                                               if k in LIST_FILTERS})


LIST_FILTERS = ("q", "state", "org_id", "region_id", "municipality_id", "active", "stalled", "critical",
                "waiting", "closed_since", "reached")


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.get("/risks")
@login_required
def risks() -> Any:
    """Unresolved risks of active projects in scope, worst first (the tower's figure
    «unresolved critical risks» drills down here with ?critical=1), paged."""
    page_no = max(1, int_arg("page") or 1)
    per_page = 50
    with uow() as u:
        rows, total = Q.list_risks(u, g.actor, region_id=int_arg("region_id"),
                                   critical=request.args.get("critical") == "1",
                                   limit=per_page, offset=(page_no - 1) * per_page)
    pages = max(1, (total + per_page - 1) // per_page)
    return render_template("risks.html", rows=rows, total=total, page_no=page_no, pages=pages,
                           args={k: v for k, v in request.args.items() if k in ("region_id", "critical")})
