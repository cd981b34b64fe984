"""The project page (the whole card, evidence, gate checklist, history) and its forms."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from engine import clock
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
from engine.vocab import UNRESOLVED_RISK
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
from webui.web.labels import event_label, risk_level

bp = Blueprint("projects", __name__)

CARD_TEXT = ("title", "problem", "goal", "sponsor", "process_owner", "process_start", "process_end")
CARD_NUM = ("planned_hours_saved", "actual_hours_saved", "planned_roubles", "actual_roubles")


# The card page's sections, in their order; each form of the page lives in one of them.
SECTIONS = ("card", "move", "metrics", "problems", "actions", "artefacts", "risks", "team", "history")
FORM_SECTION = {"card": "card", "metric": "metrics", "measure": "metrics", "problem": "problems",
                "action": "actions", "artefact": "artefacts", "risk": "risks", "team": "team",
                "comment": "history", "approve": "move", "reject": "move", "withdraw": "move"}
DONE_KEY = "card_done"  # the session's one-shot «saved» message of a section: {"project", "section", "text"}


def section_of(form: str) -> str:
    return FORM_SECTION.get(form.split("-", 1)[0], "card")


def summaries(d: dict[str, Any], events: list[Any], today: date) -> dict[str, dict[str, Any]]:
    """Each collapsed section's one line («Metrics: 3, 1 without a baseline») and its figures
    (data-* hooks of the page)."""
    def line(title: str, n: int, *extra: tuple[int, str]) -> str:
        if not n:
            return _("%(section)s: none yet", section=title)
        parts = [f"{title}: {n}"] + [text for k, text in extra if k]
        return ", ".join(parts)

    metrics = d.get("metrics") or []
    no_base = sum(1 for m in metrics if m.get("baseline") is None)
    no_target = sum(1 for m in metrics if m.get("target") is None)
    unmeasured = sum(1 for m in metrics if not m.get("measurements"))
    actions = d.get("actions") or []
    open_actions = [a for a in actions if a.get("status") == "open"]
    overdue = sum(1 for a in open_actions if a.get("due_on") and str(a["due_on"])[:10] < today.isoformat())
    risks = d.get("risks") or []
    unresolved = [r for r in risks if r.get("status") in UNRESOLVED_RISK]
    critical = sum(1 for r in unresolved if risk_level(r.get("score") or 0) == "critical")
    out = {
        "metrics": {"count": len(metrics), "no_baseline": no_base, "text": line(
            _("Metrics"), len(metrics),
            (no_base, _("%(n)s without a baseline", n=no_base)),
            (no_target, _("%(n)s without a target", n=no_target)),
            (unmeasured, _("%(n)s not measured yet", n=unmeasured)))},
        "problems": {"count": len(d.get("problems") or []),
                     "text": line(_("Problems"), len(d.get("problems") or []))},
        "actions": {"count": len(actions), "open": len(open_actions), "overdue": overdue, "text": line(
            _("Actions"), len(actions), (len(open_actions), _("open: %(n)s", n=len(open_actions))),
            (overdue, _("overdue: %(n)s", n=overdue)))},
        "artefacts": {"count": len(d.get("artefacts") or []),
                      "text": line(_("Materials"), len(d.get("artefacts") or []))},
        "risks": {"count": len(risks), "open": len(unresolved), "critical": critical, "text": line(
            _("Risks"), len(risks), (len(unresolved), _("unresolved: %(n)s", n=len(unresolved))),
            (critical, ngettext("%(num)s critical", "%(num)s critical", critical)))},
        "team": {"count": len(d.get("team") or []), "text": line(_("Team"), len(d.get("team") or []))},
        "history": {"count": len(events), "text": line(_("History"), len(events))},
    }
    return out


def render_project(project_id: int, message: dict[str, Any] | None = None, status: int = 200,
                   errors: dict[str, dict[str, str]] | None = None,
                   values: dict[str, dict[str, Any]] | None = None) -> Any:
    errors = errors or {}
    opened = {section_of(form) for form in errors}
    wanted = no_nul(request.args.get("open"))
    if wanted in SECTIONS:
        opened.add(wanted)
    done = session.pop(DONE_KEY, None) if request.method == "GET" else None
    if not isinstance(done, dict) or done.get("project") != project_id or done.get("section") not in SECTIONS:
        done = None
    else:
        opened.add(done["section"])
    with uow() as u:
        page = project_page(u, g.actor, project_id, locale())
        return render_template(
            "project.html", p=page.body, d=page.detail, wf=page.workflow, org=page.org,
            events=page.events, names=page.names, org_users=page.org_users,
            team_candidates=page.team_candidates, gate=page.gate, finished=page.finished,
            project=page.project, links=page.practice_links, requests=page.requests, message=message,
            trained=page.trained,
            errors=errors, values=values or {}, wastes=WASTES, artefact_kinds=ARTEFACT_KINDS,
            risk_statuses=RISK_STATUSES, event_label=event_label, opened=opened, done=done,
            summary=summaries(page.detail, page.events, clock.today()),
            card_url=url_for("projects.submit", project_id=project_id),
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
    session[DONE_KEY] = {"project": project_id, "section": section, "text": ok or _("Saved.")}
    return redirect(url_for("projects.page", project_id=project_id) + "#" + section)


# Each form of the card page posts to the card's own URL, /projects/<id> (its field «form»
# names it), so the address stays the card's when a form comes back with its errors. The
# older per-form addresses below answer the same (scripts and tests post to them); each form
# names its older address in data-endpoint.

def _edit(project_id: int, _obj: int | None = None) -> Any:
    data = form_data(*CARD_TEXT, *CARD_NUM, "leader_id", "version", ints=("leader_id", "version"),
                     floats=CARD_NUM, optional=CARD_NUM + ("leader_id",))
    for name in CARD_NUM + ("leader_id",):
        if name in request.form and request.form[name].strip() == "":
            data[name] = None
    if data.get("version") == INT_MAX:  # beyond the database's integers: stale (the engine writes version + 1)
        data["version"] = -1
    return _run(project_id, "card", "card", svc.update_project, project_id, data, ok=_("Card saved."))


def _add_metric(project_id: int, _obj: int | None = None) -> Any:
    data = form_data("name", "unit", "direction", "baseline", "target", floats=("baseline", "target"),
                     optional=("baseline", "target"))
    return _run(project_id, "metric", "metrics", svc.add_metric, project_id, data, ok=_("Metric added."))


def _edit_metric(project_id: int, metric_id: int) -> Any:
    data = form_data("baseline", "target", floats=("baseline", "target"), optional=("baseline", "target"))
    for name in ("baseline", "target"):
        if request.form.get(name, "").strip() == "":
            data[name] = None
    return _run(project_id, f"metric-{metric_id}", "metrics", svc.update_metric, metric_id, data,
                ok=_("Metric saved."))


def _add_measurement(project_id: int, metric_id: int) -> Any:
    data = form_data("value", "measured_on", floats=("value",))
    return _run(project_id, f"measure-{metric_id}", "metrics", svc.record_measurement, metric_id, data,
                ok=_("Measurement recorded."))


def _add_problem(project_id: int, _obj: int | None = None) -> Any:
    return _run(project_id, "problem", "problems", svc.add_problem, project_id,
                form_data("description", "waste"), ok=_("Problem registered."))


def _add_action(project_id: int, _obj: int | None = None) -> Any:
    data = form_data("title", "due_on", "owner_id", ints=("owner_id",), optional=("due_on", "owner_id"))
    return _run(project_id, "action", "actions", svc.add_action, project_id, data, ok=_("Action added."))


def _action_status(project_id: int, action_id: int) -> Any:
    return _run(project_id, f"action-{action_id}", "actions", svc.update_action, action_id,
                form_data("status"), ok=_("Action saved."))


def _add_artefact(project_id: int, _obj: int | None = None) -> Any:
    data = form_data("kind", "title", "url", "text", optional=("url", "text"))
    return _run(project_id, "artefact", "artefacts", svc.add_artefact, project_id, data,
                ok=_("Material attached."))


def _add_risk(project_id: int, _obj: int | None = None) -> Any:
    data = form_data("title", "probability", "impact", "mitigation", "owner_id", "due_on",
                     ints=("probability", "impact", "owner_id"),
                     optional=("mitigation", "owner_id", "due_on"))
    return _run(project_id, "risk", "risks", svc.log_risk, project_id, data, ok=_("Risk logged."))


def _risk_status(project_id: int, risk_id: int) -> Any:
    return _run(project_id, f"risk-{risk_id}", "risks", svc.update_risk, risk_id, form_data("status"),
                ok=_("Risk saved."))


def _add_team(project_id: int, _obj: int | None = None) -> Any:
    data = form_data("user_id", "role_text", ints=("user_id",))
    return _run(project_id, "team", "team", svc.add_team_member, project_id, data,
                ok=_("Team member added."))


def _add_comment(project_id: int, _obj: int | None = None) -> Any:
    return _run(project_id, "comment", "history", svc.add_comment, project_id, form_data("text"),
                ok=_("Comment added."))


# form name (with or without "-<id>" of the row it changes) -> handler(project_id, row id)
FORMS_OF_PROJECT: dict[str, Any] = {"card": _edit, "metric": _add_metric, "problem": _add_problem,
                                    "action": _add_action, "artefact": _add_artefact, "risk": _add_risk,
                                    "team": _add_team, "comment": _add_comment}
FORMS_OF_ROW: dict[str, Any] = {"metric": _edit_metric, "measure": _add_measurement,
                                "action": _action_status, "risk": _risk_status}


@bp.post("/projects/<int:project_id>")
@login_required
def submit(project_id: int) -> Any:
    """Any form of the card page, named by its field ``form``: «metric» adds one, «metric-7»
    edits metric 7. Errors come back on the card's own URL; success redirects to the card."""
    name, sep, row = no_nul(request.form.get("form")).partition("-")
    if not sep:
        handler = FORMS_OF_PROJECT.get(name)
        if handler is None:
            abort(400)
        return handler(project_id)
    handler = FORMS_OF_ROW.get(name)
    if handler is None or not row.isdecimal() or int(row) > INT_MAX:
        abort(400)
    return handler(project_id, int(row))


@bp.post("/projects/<int:project_id>/edit")
@login_required
def edit(project_id: int) -> Any:
    return _edit(project_id)


@bp.post("/projects/<int:project_id>/metrics")
@login_required
def add_metric(project_id: int) -> Any:
    return _add_metric(project_id)


@bp.post("/metrics/<int:metric_id>/edit")
@login_required
def edit_metric(metric_id: int) -> Any:
    return _edit_metric(int_arg("project_id") or 0, metric_id)


@bp.post("/metrics/<int:metric_id>/measurements")
@login_required
def add_measurement(metric_id: int) -> Any:
    return _add_measurement(int_arg("project_id") or 0, metric_id)


@bp.post("/projects/<int:project_id>/problems")
@login_required
def add_problem(project_id: int) -> Any:
    return _add_problem(project_id)


@bp.post("/projects/<int:project_id>/actions")
@login_required
def add_action(project_id: int) -> Any:
    return _add_action(project_id)


@bp.post("/actions/<int:action_id>/status")
@login_required
def action_status(action_id: int) -> Any:
    return _action_status(int_arg("project_id") or 0, action_id)


@bp.post("/projects/<int:project_id>/artefacts")
@login_required
def add_artefact(project_id: int) -> Any:
    return _add_artefact(project_id)


@bp.post("/projects/<int:project_id>/risks")
@login_required
def add_risk(project_id: int) -> Any:
    return _add_risk(project_id)


@bp.post("/risks/<int:risk_id>/status")
@login_required
def risk_status(risk_id: int) -> Any:
    return _risk_status(int_arg("project_id") or 0, risk_id)


@bp.post("/projects/<int:project_id>/team")
@login_required
def add_team(project_id: int) -> Any:
    return _add_team(project_id)


@bp.post("/projects/<int:project_id>/comments")
@login_required
def add_comment(project_id: int) -> Any:
    return _add_comment(project_id)


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
                                      closed_since=_date_arg("closed_since"),
                                      closed_before=_date_arg("closed_before"), reached=flag("reached"),
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
    if _date_arg("closed_before"):
        shown.append(_("closed before %(day)s", day=_date_arg("closed_before").strftime("%d.%m.%Y")))
    return render_template("projects.html", rows=rows, total=total, orgs=orgs, wf=wf, state=state, shown=shown,
                           page_no=page_no, pages=pages, args={k: v for k, v in request.args.items()
                                                               if k in LIST_FILTERS})


LIST_FILTERS = ("q", "state", "org_id", "region_id", "municipality_id", "active", "stalled", "critical",
                "waiting", "closed_since", "closed_before", "reached")


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
