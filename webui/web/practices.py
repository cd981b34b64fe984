"""The portfolio «Бережливая школа»: the catalogue (search and filters), a practice's page
(its evidence and how its replicas did), and the forms to publish, edit, withdraw and
replicate. Thin: every change goes through engine/practices.py."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine import practices as P
from engine.errors import DomainError, NotFound
from engine.events.service import events_of_practice
from engine.models import ORG_KINDS, Municipality, Organization, Practice, Project, Region
from engine.policy import can
from webui.query import int_arg
from webui.web.common import error_messages, form_data, login_required, tr, uow
from webui.web.events import EVENT_TYPE
from webui.web.labels import ORG_KIND

bp = Blueprint("practices", __name__)
PER_PAGE = 20
TEXTS = ("title", "summary", "problem", "solution", "standard", "scaling_proposal")


def _arg_float(name: str) -> float | None:
    raw = request.args.get(name, "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def category_options() -> list[tuple[str, str]]:
    return [(c.id, tr(c.title)) for c in P.categories()]


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"category_title": lambda cid: tr(P.category_title(cid))}


# --- the catalogue -------------------------------------------------------------------------------

@bp.get("/practices")
@login_required
def catalogue() -> Any:
    args = {k: v for k, v in request.args.items() if k in ("q", "category", "kind", "municipality_id", "min_effect")
            and v.strip()}
    page_no = max(1, int_arg("page") or 1)
    filters = {"q": args.get("q"), "category": args.get("category"), "kind": args.get("kind"),
               "municipality_id": int_arg("municipality_id"), "min_effect": _arg_float("min_effect")}
    errors: dict[str, str] = {}
    items: list[dict[str, Any]] = []
    total = 0
    with uow() as u:
        try:
            items, total = P.search(u, g.actor, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE, **filters)
        except DomainError as exc:
            errors = error_messages(exc)[1] or {"_": error_messages(exc)[0]}
        municipalities = u.session.execute(
            select(Municipality.id, Municipality.name, Region.name).join(Region, Region.id == Municipality.region_id)
            .where(Municipality.id.in_(select(Organization.municipality_id).join(
                Practice, Practice.org_id == Organization.id).where(Practice.status == "published")))
            .order_by(Region.name, Municipality.name)).all()
        ready = P.publishable_projects(u, g.actor)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template(
        "practices.html", items=items, total=total, args=args, errors=errors, categories=category_options(),
        kind_options=[(k, ORG_KIND[k]) for k in ORG_KINDS],
        municipality_options=[(mid, f"{name} ({region})") for mid, name, region in municipalities],
        ready=ready, page_no=page_no, pages=pages), 422 if errors else 200


# --- one practice ------------------------------------------------------------------------------------

def render_practice(practice_id: int, errors: dict[str, dict[str, str]] | None = None,
                    values: dict[str, Any] | None = None, status: int = 200) -> Any:
    actor = g.actor
    with uow() as u:
        d = P.practice_detail(u, actor, practice_id)
        practice = u.session.get(Practice, practice_id)
        source = u.session.get(Project, d["project_id"]) if d["project_id"] is not None else None
        state_titles = {s.id: tr(s.title) for wf in u.workflows.latest_all() for s in wf.states}
        my_orgs = [o for o in (u.session.get(Organization, oid) for oid in sorted(actor.org_ids()))
                   if o is not None and can(actor, "project.create", o.id, o.region_id)]
        can_curate = P.may_curate(actor, practice)  # type: ignore[arg-type]
        presented = events_of_practice(u, actor, practice_id)  # «Где представлена»
    for r in d["replicas"]:
        r["visible"] = bool(actor.roles_for(r["org_id"], r["region_id"]))
        by_name = {e["metric"]: e for e in r["effect"]}
        r["cells"] = [by_name.get(e["metric"]) for e in d["effect"]]
    return render_template(
        "practices_detail.html", p=d, source=source, presented=presented, event_type=EVENT_TYPE,
        source_visible=source is not None and bool(actor.roles_for(source.org_id, source.region_id)),
        state_titles=state_titles, org_options=[(o.id, o.name) for o in my_orgs], can_curate=can_curate,
        can_replicate=bool(my_orgs) and d["status"] == "published",
        errors=errors or {}, values=values or {}), status


@bp.get("/practices/<int:practice_id>")
@login_required
def page(practice_id: int) -> Any:
    return render_practice(practice_id)


def _form_failure(exc: DomainError) -> tuple[dict[str, str], int]:
    general, fields = error_messages(exc)
    status = 422 if exc.code in ("validation_failed", "bad_request", "not_publishable") else \
        {"forbidden": 403, "conflict": 409}.get(exc.code, 422)
    return (fields or {"_": general}), status


@bp.post("/practices/<int:practice_id>/replicate")
@login_required
def replicate(practice_id: int) -> Any:
    data = form_data("org_id", ints=("org_id",))
    data["confirm"] = request.form.get("confirm") == "1"
    try:
        with uow() as u:
            project = P.replicate(u, g.actor, practice_id, data)
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _form_failure(exc)
        if exc.details.get("reason") == "already_replicated":  # ask again, with the earlier project named
            fields["confirm"] = "1"
        return render_practice(practice_id, errors={"replicate": fields}, values={"replicate": request.form},
                               status=status)
    flash(_("A new project was started from the practice. Record the baselines of its metrics."), "ok")
    return redirect(url_for("projects.page", project_id=project.id))


@bp.post("/practices/<int:practice_id>/withdraw")
@login_required
def withdraw(practice_id: int) -> Any:
    data = form_data("reason", optional=("reason",))
    try:
        with uow() as u:
            P.withdraw_practice(u, g.actor, practice_id, data)
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _form_failure(exc)
        return render_practice(practice_id, errors={"withdraw": fields}, values={"withdraw": request.form},
                               status=status)
    flash(_("The practice was withdrawn from the catalogue."), "ok")
    return redirect(url_for("practices.page", practice_id=practice_id))


@bp.route("/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(practice_id: int) -> Any:
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = form_data("version", "category", *TEXTS, ints=("version",))
        try:
            with uow() as u:
                P.update_practice(u, g.actor, practice_id, data)
            flash(_("The practice was saved."), "ok")
            return redirect(url_for("practices.page", practice_id=practice_id))
        except NotFound:
            raise
        except DomainError as exc:
            errors, status = _form_failure(exc)
    with uow() as u:
        practice = P.get_practice(u, g.actor, practice_id)
        if not P.may_curate(g.actor, practice):
            abort(403)
    values = request.form if request.method == "POST" else {
        "version": practice.version, "category": practice.category, **{k: getattr(practice, k) for k in TEXTS}}
    return render_template("practices_form.html", practice=practice, errors=errors, values=values,
                           categories=category_options(), publishing=False), status


# --- publishing a closed project ---------------------------------------------------------------------

@bp.route("/projects/<int:project_id>/publish", methods=["GET", "POST"])
@login_required
def publish(project_id: int) -> Any:
    errors: dict[str, str] = {}
    status = 200
    with uow() as u:
        preview = P.publish_preview(u, g.actor, project_id)  # 404 outside scope, 403 for non-curators
    existing = preview["practice"]
    if existing is not None and existing.status == "published":
        return redirect(url_for("practices.page", practice_id=existing.id))
    if request.method == "POST":
        data = form_data("category", *TEXTS, optional=("title",))
        try:
            with uow() as u:
                practice = P.publish(u, g.actor, project_id, data)
            flash(_("The practice was published."), "ok")
            return redirect(url_for("practices.page", practice_id=practice.id))
        except NotFound:
            raise
        except DomainError as exc:
            errors, status = _form_failure(exc)
    values = request.form if request.method == "POST" else {
        "category": existing.category if existing else "", "summary": existing.summary if existing else "",
        **{k: preview[k] for k in ("title", "problem", "solution", "standard", "scaling_proposal")}}
    return render_template("practices_form.html", project=preview["project"], effect=preview["effect"],
                           refusal=tr(preview["refusal"]) if preview["refusal"] else None, errors=errors,
                           values=values, categories=category_options(), publishing=True), status
