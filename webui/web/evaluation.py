"""Evaluation editions' pages (#15 item 1): «Оценка» (a region's editions, the form for a
new one, sign buttons), an edition's page (its indicators, bar charts as server-side SVG;
printable on A4: the navigation and buttons are hidden in print), the comparison of two
editions, and each as XLSX. Thin: every change goes through engine/evaluation/."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

import engine.evaluation as EV
import engine.evaluation.export as export
import webui.web.charts as charts
from engine.errors import DomainError, NotFound
from engine.policy import can_in_region
from webui.web.common import error_messages, form_data, locale, login_required, uow
from webui.web.tower import region_for_page

bp = Blueprint("evaluation", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _failure(exc: DomainError) -> tuple[dict[str, str], int]:
    general, fields = error_messages(exc)
    status = {"forbidden": 403, "conflict": 409}.get(exc.code, 422)
    return (fields or {"_": general}), status


def _when(iso: str | None) -> datetime | None:
    """An ISO timestamp of the engine's answers, for fmt_dt."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else None


def _title(row: dict[str, Any]) -> str:
    return str(row["title_en"] if locale().startswith("en") else row["title_ru"])


# --- the region's editions --------------------------------------------------------------------------

def _render_index(errors: dict[str, dict[str, str]] | None = None, values: dict[str, Any] | None = None,
                  status: int = 200) -> Any:
    with uow() as u:
        region, regions = region_for_page(u)  # 403 for those who watch no region, 404 for another's
        items = EV.list_editions(u, g.actor, region.id)
    may_manage = can_in_region(g.actor, "region.evaluation_manage", region.id)
    return render_template("evaluation.html", region=region, regions=regions, items=items, may_manage=may_manage,
                           errors=errors or {}, values=values or {}, when=_when), status


@bp.get("/evaluation")
@login_required
def index() -> Any:
    return _render_index()


@bp.post("/evaluation")
@login_required
def create() -> Any:
    data = form_data("title", "kind", "as_of")
    try:
        with uow() as u:
            region, _regions = region_for_page(u)
            edition = EV.create_edition(u, g.actor, region.id, data)
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _failure(exc)
        return _render_index(errors={"edition": fields}, values={"edition": data}, status=status)
    flash(_("The evaluation edition was created."), "ok")
    return redirect(url_for("evaluation.page", edition_id=edition.id))


# --- one edition ------------------------------------------------------------------------------------

def _charts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The bar charts of an edition: projects by stage and readiness by section."""
    def of(group: str) -> Any:
        items = [(_title(r), float(r["value"])) for r in rows if r["group"] == group and r["value"] is not None]
        return charts.bars(items) if items else None
    return {"stage": of("stage"), "readiness": of("readiness")}


def _render_edition(edition_id: int, errors: dict[str, dict[str, str]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        e = EV.edition_detail(u, g.actor, edition_id)
        others = [x for x in EV.list_editions(u, g.actor, e["region_id"]) if x["id"] != edition_id]
    may_manage = can_in_region(g.actor, "region.evaluation_manage", e["region_id"])
    return render_template("evaluation_edition.html", e=e, others=others, charts=_charts(e["rows"]),
                           may_manage=may_manage, title_of=_title, when=_when, errors=errors or {}), status


@bp.get("/evaluation/<int:edition_id>")
@login_required
def page(edition_id: int) -> Any:
    return _render_edition(edition_id)


def _on_edition(edition_id: int, form: str, call: Any, ok: str) -> Any:
    """Run ``call(uow)`` (a service on the edition). On bad input or a refusal show the edition
    again with the form's messages; on success flash ``ok`` and go to the URL ``call`` answers,
    or back to the edition's page."""
    try:
        with uow() as u:
            target = call(u)
    except NotFound:
        raise
    except DomainError as exc:
        fields, status = _failure(exc)
        return _render_edition(edition_id, errors={form: fields}, status=status)
    flash(ok, "ok")
    return redirect(target or url_for("evaluation.page", edition_id=edition_id))


@bp.post("/evaluation/<int:edition_id>/edit")
@login_required
def edit(edition_id: int) -> Any:
    def call(u: Any) -> None:
        EV.update_edition(u, g.actor, edition_id, form_data("title", "kind", "as_of", "version",
                                                             ints=("version",), optional=("kind",)))
    return _on_edition(edition_id, "edit", call, _("The evaluation edition was saved."))


@bp.post("/evaluation/<int:edition_id>/sign")
@login_required
def sign(edition_id: int) -> Any:
    def call(u: Any) -> None:
        EV.sign_edition(u, g.actor, edition_id, form_data("version", ints=("version",)))
    return _on_edition(edition_id, "sign", call, _("The evaluation edition was signed: its figures are frozen."))


@bp.post("/evaluation/<int:edition_id>/delete")
@login_required
def delete(edition_id: int) -> Any:
    def call(u: Any) -> str:
        region_id = EV.get_edition(u, g.actor, edition_id).region_id
        EV.delete_edition(u, g.actor, edition_id)
        return url_for("evaluation.index", region_id=region_id)
    return _on_edition(edition_id, "sign", call, _("The draft was deleted."))


@bp.get("/evaluation/<int:edition_id>.xlsx")
@login_required
def xlsx(edition_id: int) -> Any:
    with uow() as u:
        e = EV.edition_detail(u, g.actor, edition_id)
    filename = f"evaluation-{edition_id}-{e['as_of']}.xlsx"
    return Response(export.edition_xlsx(e, locale()), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- two editions side by side ------------------------------------------------------------------------

def _comparison() -> tuple[int, int, Any]:
    """The editions ?a= and ?b= and their comparison (the page and its XLSX)."""
    a, b = request.args.get("a", ""), request.args.get("b", "")
    if not (a.isdecimal() and b.isdecimal() and len(a) < 10 and len(b) < 10):
        raise NotFound("edition")
    with uow() as u:
        return int(a), int(b), EV.compare_editions(u, g.actor, int(a), int(b))


@bp.get("/evaluation/compare")
@login_required
def compare() -> Any:
    _a, _b, cmp = _comparison()
    return render_template("evaluation_compare.html", cmp=cmp, title_of=_title)


@bp.get("/evaluation/compare.xlsx")
@login_required
def compare_xlsx() -> Any:
    a, b, cmp = _comparison()
    return Response(export.compare_xlsx(cmp, locale()), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="evaluation-compare-{a}-{b}.xlsx"'})
