"""The programme's pages (issue #13 item 8): the list, the programme tower at
/programmes/<id> (curators of the region, or of a municipality: theirs only) and a
participant's page. Thin views: parse, call one engine read model, render."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request

from engine import clock
from engine.programme import service as prog_svc
from engine.programme.export import participants_sheet
from engine.programme.funnel import STEP_TITLES, STEPS, funnel_rows
from engine.programme.tower import participant_page, programme_tower
from webui.query import int_arg
from webui.web.common import login_required, tr, uow

bp = Blueprint("programmes", __name__)


def _steps() -> list[tuple[str, str]]:
    return [(s, tr(STEP_TITLES[s])) for s in STEPS]


@bp.get("/programmes")
@login_required
def index() -> Any:
    with uow() as u:
        items = prog_svc.list_programmes(u, g.actor)
    return render_template("programmes.html", programmes=items)


@bp.get("/programmes/<int:programme_id>")
@login_required
def tower(programme_id: int) -> Any:
    with uow() as u:
        prog = prog_svc.get_programme(u, g.actor, programme_id)
        t = programme_tower(u, g.actor, programme_id, g.locale)
    return render_template("programme.html", prog=prog, t=t, steps=_steps(),
                           step_title=dict(_steps()))


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
    return render_template("programme_orgs.html", prog=prog, rows=rows, steps=_steps(), step=step,
                           reached=reached)


@bp.get("/participants/<int:participant_id>")
@login_required
def participant(participant_id: int) -> Any:
    with uow() as u:
        page = participant_page(u, g.actor, participant_id, g.locale)
    return render_template("participant.html", p=page, steps=_steps())


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
