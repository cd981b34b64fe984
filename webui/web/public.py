"""The public catalogue of practices (#15 item 3): /catalogue and /catalogue/<id>, read-only,
without an account, when the installation switches it on (``PUBLIC_CATALOGUE``); 404
otherwise. Only engine/practices/public.py's whitelisted fields reach the templates."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from engine.errors import DomainError
from engine.models import ORG_KINDS
from engine.practices import public as public_catalogue
from webui.query import int_arg
from webui.web.common import error_messages, uow
from webui.web.labels import ORG_KIND
from webui.web.practices import category_options

bp = Blueprint("public", __name__)
PER_PAGE = 20


@bp.before_request
def _switched_on() -> None:
    if not current_app.config.get("PUBLIC_CATALOGUE"):
        abort(404)


@bp.get("/catalogue")
def catalogue() -> Any:
    args = {k: v for k, v in request.args.items() if k in ("q", "category", "kind") and v.strip()}
    page_no = max(1, int_arg("page") or 1)
    errors: dict[str, str] = {}
    items: list[dict[str, Any]] = []
    total = 0
    with uow() as u:
        try:
            items, total = public_catalogue.public_search(
                u, q=args.get("q"), category=args.get("category"), kind=args.get("kind"),
                limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE)
        except DomainError as exc:
            errors = error_messages(exc)[1] or {"_": error_messages(exc)[0]}
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("public_catalogue.html", items=items, total=total, args=args, errors=errors,
                           categories=category_options(), kind_options=[(k, ORG_KIND[k]) for k in ORG_KINDS],
                           page_no=page_no, pages=pages), 422 if errors else 200


@bp.get("/catalogue/<int:practice_id>")
def practice(practice_id: int) -> Any:
    with uow() as u:
        p = public_catalogue.public_practice(u, practice_id)  # 404: unknown or withdrawn
    return render_template("public_practice.html", p=p)
