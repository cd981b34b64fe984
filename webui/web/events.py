"""The events' pages (issue #14 item 3): the list by date with a filter by kind and
«Добавить мероприятие», an event's page (organisations, practices presented) and its
form (new and edit). Thin views: parse the form, call one engine service
(engine/events/service.py), render; errors next to their fields, nothing written."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.errors import DomainError, Forbidden, NotFound, StaleVersion
from engine.events import service as event_svc
from engine.policy import can_somewhere
from engine.vocab import EVENT_TYPES
from webui.web.common import error_messages, form_data, login_required, no_nul, uow

bp = Blueprint("events", __name__)

EVENT_TYPE = {"webinar": _l("Webinar"), "foresight": _l("Foresight session"),
              "conference": _l("Conference / panel discussion"), "fair": _l("Innovation fair"),
              "course_day": _l("Course day")}
TEXT_FIELDS = ("title", "kind", "held_on", "place", "link", "description")
FIELDS = (*TEXT_FIELDS, "attendance", "programme_id", "org_ids", "practice_ids", "region_id")


def _day(value: Any) -> str:
    return value.strftime("%d.%m.%Y") if isinstance(value, date) else "—"


@bp.context_processor
def _words() -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "fmt_day": _day}


@bp.get("/events")
@login_required
def index() -> Any:
    kind = request.args.get("kind") or None
    kind = kind if kind in EVENT_TYPES else None
    with uow() as u:
        events = event_svc.list_events(u, g.actor, kind=kind)
        orgs, practices = event_svc.links_of(u.session, [e.id for e in events])
    return render_template("events.html", events=events, orgs=orgs, practices=practices, kind=kind,
                           kinds=list(EVENT_TYPE.items()), can_add=can_somewhere(g.actor, "region.events"))


@bp.get("/events/<int:event_id>")
@login_required
def page(event_id: int) -> Any:
    with uow() as u:
        ev = event_svc.get_event(u, g.actor, event_id)
        orgs, practices = event_svc.links_of(u.session, [event_id])
        programme = event_svc.choices(u, ev.region_id)["programmes"] if ev.programme_id else []
    title = next((p.title for p in programme if p.id == ev.programme_id), None)
    return render_template("event.html", ev=ev, orgs=orgs[event_id], practices=practices[event_id],
                           programme_title=title, can_edit=event_svc.may_manage(g.actor, ev.region_id))


# --- the form: new and edit ----------------------------------------------------------------------

def _form_data() -> dict[str, Any]:
    data = form_data(*TEXT_FIELDS, "attendance", "programme_id", "region_id",
                     ints=("attendance", "programme_id", "region_id"), optional=("link",))
    for name in ("attendance", "programme_id"):
        if name in request.form and no_nul(request.form[name]).strip() == "":
            data[name] = None
    for name in ("org_ids", "practice_ids"):
        raw = [no_nul(v).strip() for v in request.form.getlist(name)]
        data[name] = [int(v) if v.isdigit() and len(v) < 10 else v for v in raw if v]
    return data


def _render_form(region_id: int, ev: Any = None, errors: dict[str, str] | None = None,
                 values: dict[str, Any] | None = None, status: int = 200) -> Any:
    with uow() as u:
        options = event_svc.choices(u, region_id)
        chosen_orgs, chosen_practices = (event_svc.links_of(u.session, [ev.id]) if ev is not None else ({}, {}))
    if ev is not None:  # a practice withdrawn since stays offered while the event names it
        shown = {p.id for p in options["practices"]}
        options["practices"] += [p for p in chosen_practices.get(ev.id, []) if p.id not in shown]
    values = values or {}
    if values:
        picked_orgs = {int(v) for v in request.form.getlist("org_ids") if v.isdigit() and len(v) < 10}
        picked_practices = {int(v) for v in request.form.getlist("practice_ids") if v.isdigit() and len(v) < 10}
    else:
        picked_orgs = {o.id for o in chosen_orgs.get(ev.id, [])} if ev is not None else set()
        picked_practices = {p.id for p in chosen_practices.get(ev.id, [])} if ev is not None else set()
    return render_template("event_form.html", ev=ev, region_id=region_id, options=options,
                           picked_orgs=picked_orgs, picked_practices=picked_practices,
                           programme_options=[(p.id, p.title) for p in options["programmes"]],
                           kinds=list(EVENT_TYPE.items()), errors={"event": errors or {}},
                           values={"event": values}), status


def _run(region_id: int, ev: Any, fn: Any, *args: Any, ok: str) -> Any:
    data = _form_data()
    if ev is not None:  # an edit: the region stays, a link emptied is removed
        data.pop("region_id", None)
        data["version"] = form_data("version", ints=("version",)).get("version")
        if "link" in request.form and not data.get("link"):
            data["link"] = None
    try:
        with uow() as u:
            result = fn(u, g.actor, *args, data)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        general, messages = error_messages(exc)
        if isinstance(exc, StaleVersion):
            general = _("Someone else changed this meanwhile; reload the page and make your change again.")
        shown = {k: v for k, v in messages.items() if k in FIELDS}
        rest = [v for k, v in messages.items() if k not in FIELDS]
        if rest or not shown:
            shown["_"] = " ".join(rest) or general
        return _render_form(region_id, ev, shown, request.form.to_dict(),
                            409 if exc.code == "conflict" else 422)
    flash(ok, "ok")
    return redirect(url_for("events.page", event_id=result.id))


def _new_region() -> int:
    """The region a new event is for: the one asked for among those the person may record
    events in, else the first of them; Forbidden when there is none."""
    from engine.services import queries as Q  # noqa: PLC0415
    with uow() as u:
        regions = [r.id for r in Q.regions_for(u, g.actor) if event_svc.may_manage(g.actor, r.id)]
    wanted = request.values.get("region_id", "")
    if wanted.isdigit() and len(wanted) < 10 and int(wanted) in regions:
        return int(wanted)
    if regions:
        return regions[0]
    raise Forbidden()


@bp.get("/events/new")
@login_required
def new() -> Any:
    return _render_form(_new_region())


@bp.post("/events")
@login_required
def create() -> Any:
    region_id = _new_region()
    return _run(region_id, None, event_svc.create_event, ok=_("Event added."))


@bp.get("/events/<int:event_id>/edit")
@login_required
def edit(event_id: int) -> Any:
    with uow() as u:
        ev = event_svc.get_event(u, g.actor, event_id)
    if not event_svc.may_manage(g.actor, ev.region_id):
        raise Forbidden()
    return _render_form(ev.region_id, ev)


@bp.post("/events/<int:event_id>/edit")
@login_required
def update(event_id: int) -> Any:
    with uow() as u:
        ev = event_svc.get_event(u, g.actor, event_id)
    return _run(ev.region_id, ev, event_svc.update_event, event_id, ok=_("Event saved."))
