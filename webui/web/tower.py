"""The regional control tower: what curators look at every morning, drillable down to
one card; and its exports (XLSX, CSV)."""
from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request

from engine import clock
from engine.errors import Forbidden, NotFound
from engine.io import cells
from engine.models import Region
from engine.services import pages
from engine.services.tower import CSV_HEADER, LIST_LIMIT, projects_csv_rows, tower_data, tower_workbook_data
from webui.query import int_arg
from webui.web.common import login_required, no_nul, tr, uow

bp = Blueprint("tower", __name__)


def region_for_page(u: Any) -> tuple[Region, list[Region]]:
    """A curator's own region; an admin picks one (?region_id=)."""
    raw = request.args.get("region_id", "")
    wanted = int(raw) if raw.isdecimal() else None  # ("²".isdigit() is true, int("²") fails)
    try:
        return pages.region_choice(u, g.actor, wanted)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)


@bp.get("/tower")
@login_required
def page() -> Any:
    import webui.web.charts as charts
    with uow() as u:
        region, regions = region_for_page(u)
        data = tower_data(u, region.id, limit=LIST_LIMIT)
        wf = u.workflows.default()
    states = [s for s in wf.states]  # type: ignore[union-attr]
    state_titles = {s.id: tr(s.title) for s in states}
    return render_template(
        "tower.html", region=region, regions=regions, t=data, wf=wf, states=states,
        active_states=[s for s in states if not s.final], state_titles=state_titles, limit=LIST_LIMIT,
        year_start=clock.today().replace(month=1, day=1).isoformat(),
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
        book = tower_workbook_data(u, region.id)
        wf = u.workflows.default()
    body = tower_workbook(region, book["data"], wf, book["orgs"], book["counts"], book["org_projects"])
    filename = f"tower-{region.id}-{clock.today().isoformat()}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/projects.csv")
@login_required
def export_csv() -> Any:
    """The projects the person may see (filters as on /projects), for spreadsheets."""
    with uow() as u:
        rows = projects_csv_rows(u, g.actor, org_id=int_arg("org_id"), region_id=int_arg("region_id"),
                                 state=no_nul(request.args.get("state")) or None)
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens UTF-8 Cyrillic correctly
    writer = cells.csv_writer(out)  # text as text: a title "=1+2" is never a formula
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="projects.csv"'})
