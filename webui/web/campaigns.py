"""Scaling campaigns' pages: the curators' list and a campaign's page (its funnel, offers,
replicas and their effect against the original), the form «Новая кампания» (also linked
from a practice's page), and a head's «Предложения практик» with the accept (choose the
leader) and decline (a reason) forms. Thin: every change goes through engine/campaigns/."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine import campaigns as C
from engine import practices as P
from engine.errors import DomainError, NotFound
from engine.models import ORG_KINDS, Municipality, Organization
from engine.policy import can_in_region, can_somewhere
from webui.web.common import error_messages, form_data, login_required, tr, uow
from webui.web.labels import ORG_KIND

bp = Blueprint("campaigns", __name__)
PER_PAGE = 50


def _failure(exc: DomainError) -> tuple[dict[str, str], int]:
    general, fields = error_messages(exc)
    status = 422 if exc.code in ("validation_failed", "bad_request") else \
        {"forbidden": 403, "conflict": 409}.get(exc.code, 422)
    return (fields or {"_": general}), status


# --- the curators' list and one campaign ------------------------------------------------------------

@bp.get("/campaigns")
@login_required
def index() -> Any:
    if not can_somewhere(g.actor, "campaign.view"):
        if can_somewhere(g.actor, "offer.decide"):
            return redirect(url_for("campaigns.offers"))
        raise NotFound("campaigns")
    with uow() as u:
        items, total = C.list_campaigns(u, g.actor, limit=PER_PAGE)
    return render_template("campaigns.html", items=items, total=total,
                           may_create=can_somewhere(g.actor, "campaign.manage"))


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def page(campaign_id: int) -> Any:
    return _render_campaign(campaign_id)


def _render_campaign(campaign_id: int, errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        c = C.campaign_detail(u, g.actor, campaign_id)
        state_titles = {s.id: tr(s.title) for wf in u.workflows.latest_all() for s in wf.states}
    return render_template("campaign.html", c=c, state_titles=state_titles, errors=errors or {},
                           may_close=c["status"] == "open" and can_in_region(g.actor, "campaign.manage",
                                                                              c["region_id"])), status


@bp.post("/campaigns/<int:campaign_id>/close")
@login_required
def close(campaign_id: int) -> Any:
    try:
        with uow() as u:
            C.close_campaign(u, g.actor, campaign_id, form_data("version", ints=("version",)))
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _failure(exc)
        return _render_campaign(campaign_id, errors={"close": fields}, status=status)
    flash(_("The campaign was closed."), "ok")
    return redirect(url_for("campaigns.page", campaign_id=campaign_id))


# --- a new campaign ---------------------------------------------------------------------------------

def _render_new(practice_id: int | None, errors: dict[str, dict[str, str]] | None = None,
                values: dict[str, Any] | None = None, status: int = 200) -> Any:
    with uow() as u:
        practice = P.get_practice(u, g.actor, practice_id) if practice_id else None
        if practice is None or not can_in_region(g.actor, "campaign.manage", practice.region_id):
            raise NotFound("practice")
        s = u.session
        orgs = s.execute(select(Organization.id, Organization.name).where(
            Organization.region_id == practice.region_id).order_by(Organization.name)).all()
        muns = s.execute(select(Municipality.id, Municipality.name).where(
            Municipality.region_id == practice.region_id).order_by(Municipality.name)).all()
        title = practice.title
    return render_template(
        "campaign_new.html", practice_id=practice_id, practice_title=title, errors=errors or {},
        values=values or {}, org_options=[(i, n) for i, n in orgs], municipality_options=[(i, n) for i, n in muns],
        kind_options=[(k, ORG_KIND[k]) for k in ORG_KINDS],
        chosen={int(v) for v in request.form.getlist("org_ids") if v.isdigit()}), status


@bp.get("/campaigns/new")
@login_required
def new() -> Any:
    practice_id = request.args.get("practice_id", "")
    return _render_new(int(practice_id) if practice_id.isdigit() and len(practice_id) < 10 else None)


@bp.post("/campaigns/new")
@login_required
def create() -> Any:
    raw = request.form.get("practice_id", "")
    practice_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    data: dict[str, Any] = form_data("title", "message", "deadline", "kind", "municipality_id",
                                     ints=("municipality_id",), optional=("kind", "municipality_id"))
    data["practice_id"] = practice_id
    org_ids = [int(v) for v in request.form.getlist("org_ids") if v.isdigit() and len(v) < 10]
    if org_ids:
        data["org_ids"] = org_ids
    try:
        with uow() as u:
            campaign = C.create_campaign(u, g.actor, data)
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _failure(exc)
        return _render_new(practice_id, errors={"campaign": fields}, values={"campaign": request.form}, status=status)
    flash(_("The campaign was started: the organisations' heads were notified."), "ok")
    return redirect(url_for("campaigns.page", campaign_id=campaign.id))


# --- a head's offers ---------------------------------------------------------------------------------

def _render_offers(errors: dict[str, dict[str, str]] | None = None, values: dict[str, Any] | None = None,
                   status: int = 200) -> Any:
    with uow() as u:
        items = C.my_offers(u, g.actor)
    return render_template("campaign_offers.html", items=items, errors=errors or {}, values=values or {}), status


@bp.get("/campaigns/offers")
@login_required
def offers() -> Any:
    return _render_offers()


def _answer(offer_id: int, fn: Any, data: dict[str, Any], done: str) -> Any:
    form = f"offer-{offer_id}"
    try:
        with uow() as u:
            offer = fn(u, g.actor, offer_id, data)
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _failure(exc)
        return _render_offers(errors={form: fields}, values={form: request.form}, status=status)
    flash(done, "ok")
    if offer.project_id is not None:
        return redirect(url_for("projects.page", project_id=offer.project_id))
    return redirect(url_for("campaigns.offers"))


@bp.post("/campaigns/offers/<int:offer_id>/accept")
@login_required
def accept(offer_id: int) -> Any:
    return _answer(offer_id, C.accept_offer, form_data("leader_id", ints=("leader_id",)),
                   _("The offer was accepted: a project was started from the practice."))


@bp.post("/campaigns/offers/<int:offer_id>/decline")
@login_required
def decline(offer_id: int) -> Any:
    return _answer(offer_id, C.decline_offer, form_data("reason"), _("The offer was declined."))


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"offer_status_label": lambda s: {"offered": _("Awaiting an answer"), "accepted": _("Accepted"),
                                             "declined": _("Declined")}.get(s, s),
            "leader_options": lambda people: [(p["id"], p["name"]) for p in people]}
