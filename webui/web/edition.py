"""The portfolio edition «Проектный портфель "Бережливая школа"» (#15 item 2): a printable A4
page and the same edition as DOCX, for the curators of a region and the admins (an admin
picks the region, ?region_id=). Both render engine.practices.edition's one Edition."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template

from engine.practices.edition import portfolio_edition
from engine.practices.edition_docx import edition_docx
from webui.web.common import locale, login_required, uow
from webui.web.tower import region_for_page

bp = Blueprint("edition", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/portfolio/edition")
@login_required
def page() -> Any:
    with uow() as u:
        region, regions = region_for_page(u)  # 403 for those who watch no region, 404 for another's
        edition = portfolio_edition(u, g.actor, region.id)
    return render_template("portfolio_edition.html", edition=edition, region=region, regions=regions)


@bp.get("/portfolio/edition.docx")
@login_required
def docx() -> Any:
    with uow() as u:
        region, _regions = region_for_page(u)
        edition = portfolio_edition(u, g.actor, region.id)
    body = edition_docx(edition, locale())
    filename = f"portfolio-{region.id}-{edition.as_of.isoformat()}.docx"
    return Response(body, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
