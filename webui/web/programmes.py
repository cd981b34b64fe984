"""The programme's pages (issue #13): the list with «Создать программу», the programme
page (its tower, rounds opened and closed there), its edit page (the programme, stages,
stage tasks), the participants page (add one, add in bulk, withdraw) and a participant's
page (initiative group, work plan and its decision, readiness, projects).

Thin views: parse the form, call one engine service (engine/programme/service.py) or
read model (engine/programme/pages.py), render. A form's errors are shown next to its
fields on the page it belongs to; success redirects back to that page with a message."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

import webui.web.programme_labels as L
from engine import clock
from engine.errors import DomainError, Forbidden, NotFound, StaleVersion
from engine.programme import pages as views
from engine.programme import service as prog_svc
from engine.programme.export import participants_sheet
from engine.programme.funnel import STEP_TITLES, STEPS, funnel_rows
from engine.programme.tower import programme_tower
from webui.query import int_arg
from webui.web.common import error_messages, form_data, locale, login_required, no_nul, read_uow, tr, uow
from webui.web.events import EVENT_TYPE
from webui.web.labels import ORG_KIND

bp = Blueprint("programmes", __name__)

STAGE_ROWS = 5  # empty stage rows of the create form (more can be added on the edit page)
PROGRAMME_TEXT = ("title", "starts_on", "ends_on", "goal", "tasks", "hypothesis")


def _steps() -> list[tuple[str, str]]:
    return [(s, tr(STEP_TITLES[s])) for s in STEPS]


def _day(value: Any) -> str:
    """A date as dd.mm.yyyy (an ISO string or a date); a dash for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%d.%m.%Y")


@bp.context_processor
def _words() -> dict[str, Any]:
    return {"fmt_day": _day, "L": L, "label": L.label, "steps": _steps(), "step_title": dict(_steps()),
            "event_type": EVENT_TYPE}


# --- running a form ------------------------------------------------------------------------------

Then = str | Callable[[Any], str]  # a fixed text or URL, or one made from the service's result


def _run(form: str, fields: tuple[str, ...], render: Callable[..., Any], back: Then, fn: Any, *args: Any,
         ok: Then, rename: dict[str, str] | None = None) -> Any:
    """Call a service with the form's data. On bad input or a conflict show the page again
    (``render(errors=, values=, status=)``) with each message next to its field (those the
    form has no field for above it); outside the person's scope 404, without the role 403
    (nothing written either way). On success back to ``back`` with the message ``ok``."""
    try:
        with uow() as u:
            result = fn(u, g.actor, *args)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        general, messages = error_messages(exc)
        if isinstance(exc, StaleVersion):
            general = _("Someone else changed this meanwhile; reload the page and make your change again.")
        shown: dict[str, str] = {}
        for key, text in messages.items():
            key = (rename or {}).get(key, key)
            if key in fields:
                shown.setdefault(key, text)
            else:
                shown["_"] = f"{shown['_']} {text}" if "_" in shown else text
        if not shown:
            shown = {"_": general}
        return render(errors={form: shown}, values={form: request.form.to_dict()},
                      status=409 if exc.code == "conflict" else 422)
    flash(ok if isinstance(ok, str) else ok(result), "ok")
    return redirect(back if isinstance(back, str) else back(result))


def _blank_none(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """Fields sent empty become None (a PATCH clears them)."""
    for name in names:
        if name in request.form and no_nul(request.form[name]).strip() == "":
            data[name] = None
    return data


# --- the programmes list and «Создать программу» ---------------------------------------------------

def _render_list(errors: dict[str, dict[str, str]] | None = None, values: dict[str, dict[str, Any]] | None = None,
                 status: int = 200) -> Any:
    with uow() as u:
        page = views.programmes_page(u, g.actor)
        return render_template("programmes.html", page=page, errors=errors or {}, values=values or {},
                               stage_rows=range(STAGE_ROWS),
                               region_options=[(r.id, r.name) for r in page.regions]), status


@bp.get("/programmes")
@login_required
def index() -> Any:
    return _render_list()


def _programme_form() -> tuple[dict[str, Any], dict[str, str]]:
    """The create form as ProgrammeIn's dict; the filled stage rows only, and how the
    engine's ``stages.<k>.<field>`` names map back to the form's rows."""
    data = form_data("region_id", *PROGRAMME_TEXT, ints=("region_id",), optional=("goal", "tasks", "hypothesis"))
    stages, rename = [], {}
    for row in range(STAGE_ROWS):
        names = {f: f"stages.{row}.{f}" for f in ("title", "starts_on", "ends_on")}
        stage = {f: no_nul(request.form.get(n)).strip() for f, n in names.items()}
        if any(stage.values()):
            for f in names:
                rename[f"stages.{len(stages)}.{f}"] = names[f]
            stages.append(stage)
    data["stages"] = stages
    return data, rename


@bp.post("/programmes")
@login_required
def create() -> Any:
    data, rename = _programme_form()
    fields = ("region_id", *PROGRAMME_TEXT, *(f"stages.{r}.{f}" for r in range(STAGE_ROWS)
                                               for f in ("title", "starts_on", "ends_on")))
    return _run("create", fields, _render_list, lambda prog: url_for("programmes.tower", programme_id=prog.id),
                prog_svc.create_programme, data, ok=_("Programme created."), rename=rename)


# --- the programme page: its tower, and its readiness rounds ---------------------------------------

def _render_programme(programme_id: int, errors: dict[str, dict[str, str]] | None = None,
                      values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    with read_uow() as u:
        page = views.programme_page(u, g.actor, programme_id, locale())
        kinds = [(k, L.ROUND_KIND[k]) for k in L.ROUND_KIND
                 if k != "initial" or all(r.kind != "initial" for r in page.rounds)]  # one initial round
        return render_template("programme.html", page=page, prog=page.programme, t=page.tower, round_kinds=kinds,
                               org_kinds=ORG_KIND,
                               errors=errors or {}, values=values or {}, today=clock.today().isoformat()), status


@bp.get("/programmes/<int:programme_id>")
@login_required
def tower(programme_id: int) -> Any:
    return _render_programme(programme_id)


def _back(endpoint: str, anchor: str, **kw: Any) -> str:
    return url_for(endpoint, **kw) + "#" + anchor


@bp.post("/programmes/<int:programme_id>/rounds")
@login_required
def open_round(programme_id: int) -> Any:
    data = form_data("kind", "title", "opens_on", "closes_on")
    return _run("round", ("kind", "title", "opens_on", "closes_on"),
                lambda **kw: _render_programme(programme_id, **kw),
                _back("programmes.tower", "rounds", programme_id=programme_id),
                prog_svc.open_round, programme_id, data, ok=_("Readiness round opened."),
                rename={"ends_on": "closes_on"})


@bp.post("/programmes/<int:programme_id>/rounds/<int:round_id>/close")
@login_required
def close_round(programme_id: int, round_id: int) -> Any:
    return _run(f"close-{round_id}", (), lambda **kw: _render_programme(programme_id, **kw),
                _back("programmes.tower", "rounds", programme_id=programme_id),
                prog_svc.close_round, round_id, ok=_("Readiness round closed."))


# --- the edit page: the programme, its stages and their tasks -------------------------------------

def _render_edit(programme_id: int, errors: dict[str, dict[str, str]] | None = None,
                 values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        page = views.programme_edit_page(u, g.actor, programme_id)
        statuses = list(L.PROGRAMME_STATUS)  # draft → active → finished: only forward
        return render_template(
            "programme_edit.html", page=page, prog=page.programme, errors=errors or {}, values=values or {},
            status_options=[(k, L.PROGRAMME_STATUS[k]) for k in statuses[statuses.index(page.programme.status):]],
            task_statuses=list(L.TASK_STATUS.items()), rules=dict(page.rules),
            rule_options=[(name, tr(title)) for name, title in page.rules]), status


@bp.get("/programmes/<int:programme_id>/edit")
@login_required
def edit(programme_id: int) -> Any:
    return _render_edit(programme_id)


def _edit_run(programme_id: int, form: str, fields: tuple[str, ...], anchor: str, fn: Any, *args: Any,
              ok: str) -> Any:
    return _run(form, fields, lambda **kw: _render_edit(programme_id, **kw),
                _back("programmes.edit", anchor, programme_id=programme_id), fn, *args, ok=ok)


@bp.post("/programmes/<int:programme_id>/edit")
@login_required
def update(programme_id: int) -> Any:
    fields = (*PROGRAMME_TEXT, "status")
    data = form_data(*fields, "version", ints=("version",))
    return _edit_run(programme_id, "programme", fields, "programme", prog_svc.update_programme, programme_id,
                     data, ok=_("Programme saved."))


STAGE_FIELDS = ("title", "starts_on", "ends_on", "content")


@bp.post("/programmes/<int:programme_id>/stages")
@login_required
def add_stage(programme_id: int) -> Any:
    return _edit_run(programme_id, "stage", STAGE_FIELDS, "stages", prog_svc.add_stage, programme_id,
                     form_data(*STAGE_FIELDS), ok=_("Stage added."))


@bp.post("/programmes/<int:programme_id>/stages/<int:stage_id>/edit")
@login_required
def update_stage(programme_id: int, stage_id: int) -> Any:
    return _edit_run(programme_id, f"stage-{stage_id}", STAGE_FIELDS, f"stage-{stage_id}", prog_svc.update_stage,
                     stage_id, form_data(*STAGE_FIELDS), ok=_("Stage saved."))


TASK_FIELDS = ("title", "due_on", "responsible")


@bp.post("/programmes/<int:programme_id>/stages/<int:stage_id>/tasks")
@login_required
def add_task(programme_id: int, stage_id: int) -> Any:
    data = form_data(*TASK_FIELDS, "rule", optional=("due_on", "rule"))
    return _edit_run(programme_id, f"task-new-{stage_id}", (*TASK_FIELDS, "rule"), f"stage-{stage_id}",
                     prog_svc.add_task, stage_id, data, ok=_("Task added."))


@bp.post("/programmes/<int:programme_id>/tasks/<int:task_id>/edit")
@login_required
def update_task(programme_id: int, task_id: int) -> Any:
    data = _blank_none(form_data(*TASK_FIELDS, "status"), "due_on")
    return _edit_run(programme_id, f"task-{task_id}", (*TASK_FIELDS, "status"), f"task-{task_id}",
                     prog_svc.update_task, task_id, data, ok=_("Task saved."))


# --- the participants -------------------------------------------------------------------------------------

def _render_participants(programme_id: int, errors: dict[str, dict[str, str]] | None = None,
                         values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        page = views.participants_page(u, g.actor, programme_id)
        return render_template(
            "programme_participants.html", page=page, prog=page.programme, errors=errors or {},
            values=values or {}, today=clock.today().isoformat(),
            org_options=[(o.id, o.name) for o in page.candidates],
            municipality_options=[(m.id, m.name) for m in page.municipalities],
            kind_options=[(k, ORG_KIND[k]) for k in page.kinds]), status


@bp.get("/programmes/<int:programme_id>/participants")
@login_required
def participants(programme_id: int) -> Any:
    return _render_participants(programme_id)


def _participants_run(programme_id: int, form: str, fields: tuple[str, ...], fn: Any, *args: Any,
                      ok: Then) -> Any:
    return _run(form, fields, lambda **kw: _render_participants(programme_id, **kw),
                _back("programmes.participants", "participants", programme_id=programme_id), fn, *args, ok=ok)


@bp.post("/programmes/<int:programme_id>/participants")
@login_required
def add_participant(programme_id: int) -> Any:
    data = form_data("org_id", "joined_on", "wave", ints=("org_id", "wave"), optional=("wave",))
    return _participants_run(programme_id, "add", ("org_id", "joined_on", "wave"), prog_svc.add_participant,
                             programme_id, data, ok=_("The organisation takes part now."))


@bp.post("/programmes/<int:programme_id>/participants/bulk")
@login_required
def add_participants_bulk(programme_id: int) -> Any:
    data = form_data("municipality_id", "kind", "joined_on", "wave", ints=("municipality_id", "wave"),
                     optional=("municipality_id", "kind", "wave"))
    return _participants_run(programme_id, "bulk", ("municipality_id", "kind", "joined_on", "wave"),
                             prog_svc.add_participants_bulk, programme_id, data, ok=_n_added)


def _n_added(added: list[Any]) -> str:
    n = len(added)
    if n == 0:
        return _("No organisation was added: all of those take part already.")
    return ngettext("%(num)d organisation added.", "%(num)d organisations added.", n)


@bp.post("/programmes/<int:programme_id>/participants/<int:participant_id>/withdraw")
@login_required
def withdraw(programme_id: int, participant_id: int) -> Any:
    data = form_data("reason", "withdrawn_on", optional=("withdrawn_on",))
    return _participants_run(programme_id, f"withdraw-{participant_id}", ("reason", "withdrawn_on"),
                             prog_svc.withdraw_participant, participant_id, data,
                             ok=_("The participant has withdrawn."))


@bp.get("/programmes/<int:programme_id>/organisations")
@login_required
def organisations(programme_id: int) -> Any:
    """The organisations behind a number of the tower: those that reached a step or miss it
    (``?step=&reached=0|1&municipality_id=``)."""
    step = request.args.get("step")
    step = step if step in STEPS else None
    reached = request.args.get("reached", "1") != "0"
    municipality_id = int_arg("municipality_id")
    with uow() as u:
        prog = prog_svc.get_programme(u, g.actor, programme_id)
        t = programme_tower(u, g.actor, programme_id, g.locale)  # the same scope as the tower
        visible = {m.municipality_id for m in t.by_municipality}  # the tower's scope
        rows = [r for r in funnel_rows(u.session, u.workflows, prog.id, active_only=True)
                if r.municipality_id in visible
                and (municipality_id is None or r.municipality_id == municipality_id)
                and (step is None or r.steps[step] is reached)]
    return render_template("programme_orgs.html", prog=prog, rows=rows, step=step, reached=reached)


# --- a participant's page ------------------------------------------------------------------------------

def _render_participant(participant_id: int, errors: dict[str, dict[str, str]] | None = None,
                        values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        view = views.participant_view(u, g.actor, participant_id, locale())
        return render_template("participant.html", v=view, p=view.body, errors=errors or {},
                               values=values or {}, item_statuses=list(L.PLAN_ITEM_STATUS.items())), status


@bp.get("/participants/<int:participant_id>")
@login_required
def participant(participant_id: int) -> Any:
    return _render_participant(participant_id)


def _participant_run(participant_id: int, form: str, fields: tuple[str, ...], anchor: str, fn: Any, *args: Any,
                     ok: str) -> Any:
    return _run(form, fields, lambda **kw: _render_participant(participant_id, **kw),
                _back("programmes.participant", anchor, participant_id=participant_id), fn, *args, ok=ok)


@bp.post("/participants/<int:participant_id>/members")
@login_required
def add_member(participant_id: int) -> Any:
    data = form_data("user_id", "name", "position", ints=("user_id",), optional=("user_id", "name"))
    return _participant_run(participant_id, "member", ("user_id", "name", "position"), "group",
                            prog_svc.add_member, participant_id, data, ok=_("Added to the initiative group."))


@bp.post("/participants/<int:participant_id>/members/<int:member_id>/remove")
@login_required
def remove_member(participant_id: int, member_id: int) -> Any:
    return _participant_run(participant_id, f"member-{member_id}", (), "group", prog_svc.remove_member,
                            member_id, ok=_("Removed from the initiative group."))


ITEM_FIELDS = ("title", "due_on", "who", "evidence_url")


@bp.post("/participants/<int:participant_id>/plan/items")
@login_required
def add_plan_item(participant_id: int) -> Any:
    data = form_data(*ITEM_FIELDS, optional=("due_on", "evidence_url"))
    return _participant_run(participant_id, "item", ITEM_FIELDS, "plan", prog_svc.add_plan_item,
                            participant_id, data, ok=_("Plan item added."))


@bp.post("/participants/<int:participant_id>/plan/items/<int:item_id>/edit")
@login_required
def update_plan_item(participant_id: int, item_id: int) -> Any:
    """Status and evidence link always; what, when and who while the plan is open (the form
    sends them then only)."""
    data = _blank_none(form_data(*ITEM_FIELDS, "status"), "due_on", "evidence_url")
    return _participant_run(participant_id, f"item-{item_id}", (*ITEM_FIELDS, "status"), f"item-{item_id}",
                            prog_svc.update_plan_item, item_id, data, ok=_("Plan item saved."))


@bp.post("/participants/<int:participant_id>/plan/submit")
@login_required
def submit_plan(participant_id: int) -> Any:
    return _participant_run(participant_id, "submit", ("comment",), "plan", prog_svc.submit_plan, participant_id,
                            form_data("comment", optional=("comment",)),
                            ok=_("The plan was sent for approval."))


@bp.post("/participants/<int:participant_id>/plan/approve")
@login_required
def approve_plan(participant_id: int) -> Any:
    return _participant_run(participant_id, "decide", ("comment",), "plan", prog_svc.approve_plan, participant_id,
                            form_data("comment", optional=("comment",)), ok=_("The plan is approved."))


@bp.post("/participants/<int:participant_id>/plan/return")
@login_required
def return_plan(participant_id: int) -> Any:
    return _participant_run(participant_id, "return", ("comment",), "plan", prog_svc.return_plan, participant_id,
                            form_data("comment"), ok=_("The plan was returned with your comment."))


# --- the export --------------------------------------------------------------------------------------------

@bp.get("/programmes/<int:programme_id>/participants.xlsx")
@login_required
def participants_xlsx(programme_id: int) -> Any:
    """The participants with their funnel and readiness, for spreadsheets (the tower's scope)."""
    from webui.web.exports import participants_workbook
    with uow() as u:
        sheet = participants_sheet(u, g.actor, programme_id)
    body = participants_workbook(sheet, {s: STEP_TITLES[s].ru for s in STEPS})  # the workbook is Russian
    filename = f"programme-{programme_id}-participants-{clock.today().isoformat()}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
