"""The regional control tower: what curators look at every morning, drillable down to
one card; and its exports (XLSX, CSV)."""
from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote_plus

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from markupsafe import Markup, escape

from engine import clock
from engine.errors import Forbidden, NotFound
from engine.io import cells
from engine.models import Region
from engine.services import pages
from engine.services.tower import CSV_HEADER, LIST_LIMIT, projects_csv_rows, tower_data, tower_workbook_data
from webui.query import int_arg
from webui.web.common import login_required, no_nul, read_uow, tr

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
    show_all = request.args.get("all") == "1"  # «показать все»: every row of the long lists
    with read_uow() as u:
        region, regions = region_for_page(u)
        data = tower_data(u, region.id, limit=None if show_all else LIST_LIMIT)
        wf = u.workflows.default()
    states = [s for s in wf.states]  # type: ignore[union-attr]
    state_titles = {s.id: tr(s.title) for s in states}
    sorts = {"stalled": _sort(data["stalled"], request.args.get("stalled_by"), STALLED_SORTS,
                              {"org": lambda x: data["orgs"].get(x["org_id"], "").lower(),
                               "stage": lambda x: wf.state_index(x["state"]) if wf else 0}),  # type: ignore[union-attr]
             "risks": _sort(data["unresolved_risks"], request.args.get("risks_by"), RISK_SORTS,
                            {"project": lambda x: data["projects"][x["project_id"]].title.lower()
                             if x["project_id"] in data["projects"] else ""})}
    return render_template(
        "tower.html", region=region, regions=regions, t=data, wf=wf, states=states, sorts=sorts, here=_here,
        show_all=show_all, active_states=[s for s in states if not s.final], state_titles=state_titles,
        municipality_rows=_municipality_rows(data["by_municipality"], [s.id for s in states], region.id),
        limit=None if show_all else LIST_LIMIT,
        year_start=clock.today().replace(month=1, day=1).isoformat(),
        cfd_svg=charts.cumulative_flow(data["flow"], state_titles),
        throughput_svg=charts.bars([(m["month"], m["closed"]) for m in data["throughput"]],
                                   links=[_month_list(region.id, m["month"]) for m in data["throughput"]]),
        stage_svg=charts.bars([(state_titles.get(k, k), v["median"] or 0)
                               for k, v in data["stage_times"]["by_stage"].items()], unit="дн.",
                              links=[url_for("projects.listing", region_id=region.id, state=k)
                                     for k in data["stage_times"]["by_stage"]]))


def _municipality_rows(rows: list[dict[str, Any]], states: list[str], region_id: int) -> Markup:
    """The body of «Муниципалитеты по этапам»: a row a municipality (a region may have 200),
    a cell a stage, each count a link to its projects. Written here, not in the template:
    its ~1,400 cells were a third of the page's rendering (a Jinja lookup, escape and
    join for each), and the links are the same URLs url_for gives (the query in its order)."""
    board_of = escape(url_for("board.board", region_id=region_id) + "&municipality_id=")
    list_of = escape(url_for("projects.listing", region_id=region_id) + "&municipality_id=")
    state_q = [(s, escape("&state=" + quote_plus(s))) for s in states]
    out = []
    for m in rows:
        mid, by_state = m["municipality_id"], m["by_state"]
        mlist = f"{list_of}{mid}"
        cells = "".join(f'<td><a href="{mlist}{q}" data-figure="municipality_state">{by_state[s]}</a></td>'
                        if by_state.get(s) else "<td></td>" for s, q in state_q)
        stalled = (f'<a class="danger" href="{mlist}&amp;stalled=1" data-figure="municipality_stalled">'
                   f'{m["stalled"]}</a>' if m["stalled"] else "")
        out.append(f'<tr><td><a href="{board_of}{mid}">{escape(m["name"])}</a></td>{cells}<td>{stalled}</td></tr>\n')
    return Markup("".join(out))


def _month_list(region_id: int, month: str) -> str:
    """The projects closed in ``month`` («YYYY-MM», UTC as the chart counts them)."""
    year, mon = (int(x) for x in month.split("-"))
    nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return url_for("projects.listing", region_id=region_id, closed_since=f"{year:04d}-{mon:02d}-01",
                   closed_before=f"{nxt[0]:04d}-{nxt[1]:02d}-01")


# how the long lists may be ordered (?stalled_by=, ?risks_by=); the first is their own order
STALLED_SORTS: dict[str, Any] = {"worst": None, "days": lambda x: -x["days_in_state"],
                                 "title": lambda x: x["title"].lower(), "org": None, "stage": None}
RISK_SORTS: dict[str, Any] = {"worst": None, "score": lambda x: -x["score"], "age": lambda x: -x["age_days"],
                              "project": None}


def _here(anchor: str, **changes: Any) -> str:
    """This page's address with ``changes`` to its query (a sort, «показать все»), at ``anchor``."""
    args = {k: v for k, v in request.args.items() if k in ("region_id", "all", "stalled_by", "risks_by")}
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for("tower.page", **args) + "#" + anchor


def _sort(rows: list[dict[str, Any]], by: str | None, keys: dict[str, Any],
          late: dict[str, Any]) -> str:
    """Order ``rows`` in place by the column ``by`` names (the worst first when unknown);
    returns the order applied. ``late`` holds the keys that need the page's data."""
    by = by if by in keys else "worst"
    key = keys[by] or late.get(by)
    if key is not None:
        rows.sort(key=key)  # stable: ties keep the worst first
    return by


@bp.get("/tower.xlsx")
@login_required
def export_xlsx() -> Any:
    from webui.web.exports import tower_workbook
    with read_uow() as u:
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
    with read_uow() as u:
        rows = projects_csv_rows(u, g.actor, org_id=int_arg("org_id"), region_id=int_arg("region_id"),
                                 state=no_nul(request.args.get("state")) or None)
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens UTF-8 Cyrillic correctly
    writer = cells.csv_writer(out)  # text as text: a title "=1+2" is never a formula
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="projects.csv"'})
