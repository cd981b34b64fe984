"""The kanban board and moving a card (drag and drop, menu, or a plain form)."""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal, format_scientific
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from engine.checks import section_of
from engine.errors import Conflict, DomainError, GateFailed, StaleVersion, ValidationFailed
from engine.models import ORG_KINDS, Organization
from engine.services import get_project, request_transition
from engine.services.board import LANES, BoardFilters, card_moves, municipalities, organizations
from engine.services.board import cached_board as board_view
from engine.services.pages import watched_regions
from engine.text import Text
from webui.csrf import csrf_token
from webui.extensions import htmx
from webui.query import int_arg, search_arg
from webui.web.common import INT_MAX, locale, login_required, no_nul, tr, uow
from webui.web.labels import ORG_KIND

bp = Blueprint("board", __name__)

# the board's own query parameters: only these are passed on to url_for (others, such as
# project_id or _method, would clash with its arguments and answer 500)
BOARD_ARGS = ("q", "kind", "leader_id", "stalled", "critical", "waiting", "municipality_id", "org_id",
              "region_id", "lanes", "stage")


def _scope() -> tuple[BoardFilters, dict[str, Any]]:
    """Which board: a member's or head's organisation, a curator's or admin's region."""
    actor = g.actor
    f = BoardFilters(q=search_arg() or "",  # beyond 500 characters: a 422 page naming it
                     kind=request.args.get("kind") if request.args.get("kind") in ORG_KINDS else None,
                     stalled=request.args.get("stalled") == "1",
                     critical=request.args.get("critical") == "1",
                     waiting=request.args.get("waiting") == "1",
                     leader_id=int_arg("leader_id"),
                     municipality_id=int_arg("municipality_id"))
    ctx: dict[str, Any] = {"mode": "org"}
    curator_regions = sorted(actor.curator_region_ids())
    orgs = sorted(actor.org_ids() | actor.municipal_org_ids())  # a municipal curator: their municipality's
    wanted_org = int_arg("org_id")
    with uow() as u:
        if actor.is_admin or curator_regions:
            regions = watched_regions(u, actor)
            region_id = int_arg("region_id")
            if region_id not in {r.id for r in regions}:
                region_id = regions[0].id if regions else None
            f.region_id = region_id
            f.org_id = wanted_org
            f.lanes = request.args.get("lanes") if request.args.get("lanes") in LANES else None
            ctx.update(mode="region", regions=regions, region_id=region_id,
                       reset_url=url_for("board.board", region_id=region_id, lanes=f.lanes),
                       municipalities=municipalities(u, region_id) if region_id else [],
                       organizations=organizations(u, region_id) if region_id else [])
        else:
            if not orgs:
                abort(404)
            f.org_id = wanted_org if wanted_org in orgs else orgs[0]
            ctx.update(reset_url=url_for("board.board", org_id=f.org_id if len(orgs) > 1 else None),
                       org=u.session.get(Organization, f.org_id),
                       my_orgs=[u.session.get(Organization, o) for o in orgs])
    return f, ctx


# What every card of a board says, translated once per language (the translations do not
# change while the process runs): the board renders hundreds of cards.
_LABELS: dict[str, dict[str, str]] = {}


def _labels() -> dict[str, str]:
    loc = locale()
    if loc not in _LABELS:
        _LABELS[loc] = {
            "days_in_stage": _("days in this stage"), "of_allowed": _("of %(n)s allowed"), "days": _("%(n)s d."),
            "waiting": _("waiting for approval"), "rejected": _("rejected"), "stalled": _("stalled"),
            "over_sla": _("over the stage limit: %(d)s of %(l)s days"), "idle": _("no activity for %(d)s days"),
            "critical": _("critical risks: %(n)s"), "reason": _("Reason"), "not_measured": _("not measured yet"),
            "target": _("target"), "progress": _("progress to target"), "withdraw": _("Withdraw the request"),
            "move": _("Move the card"), "choose_stage": _("Choose the stage"),
            "cards_wip": _("cards / WIP limit"), "over_limit": _("over the limit"),
        }
    return _LABELS[loc]


@lru_cache(maxsize=16384)
def _number(value: float, loc: str) -> str:
    if abs(value) >= 1e15:  # as the pages' fmt_num
        return format_scientific(value, "0.###E0", locale=loc)
    return format_decimal(value, "#,##0.##", locale=loc)


def _num(value: Any) -> str:
    """The pages' ``fmt_num`` for the board's figures, cached (the same cards every refresh)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return _number(float(value), locale())


def _url_parts(endpoint: str, **kw: Any) -> tuple[str, str]:
    """A card's URL as (before, after) its project id: built once, not once per card."""
    marker = 987654321
    before, after = url_for(endpoint, project_id=marker, **kw).split(str(marker), 1)
    return before, after


# Rendered cards, by everything a card's HTML depends on: a refreshed board whose cards did
# not change renders none of them again. Bounded; emptied when full.
_CARD_HTML: dict[tuple[Any, ...], Markup] = {}
_CARD_HTML_MAX = 20_000


def _card_renderer(ctx: dict[str, Any], filters: BoardFilters, message: dict[str, Any] | None,
                   urls: dict[str, Any], labels: dict[str, str]) -> Any:
    """``card_html(card)`` for the board's template: _card.html, from the cache when the
    same card was rendered the same way before. A card with a withdraw form (which carries
    the session's CSRF token) is rendered each time."""
    template = current_app.jinja_env.get_template("_card.html")
    view = {"ctx": {"mode": ctx["mode"]}, "filters": filters, "message": message, "urls": urls, "L": labels,
            "num": _num}
    shared = (locale(), ctx["mode"], filters.lanes, urls["project"], urls["moves"], urls["moves_query"],
              message["project_id"] if message else None)

    def card_html(card: Any) -> Markup:
        if card.withdrawable:
            return Markup(template.render(card=card, csrf=csrf_token(), **view))
        key = (shared, repr(card))
        html = _CARD_HTML.get(key)
        if html is None:
            if len(_CARD_HTML) >= _CARD_HTML_MAX:
                _CARD_HTML.clear()
            html = _CARD_HTML[key] = Markup(template.render(card=card, **view))
        return html
    return card_html


def _render_board(message: dict[str, Any] | None = None, status: int = 200) -> Any:
    f, ctx = _scope()
    with uow() as u:
        data = board_view(u, g.actor, f)
    states = [c.state for c in data["columns"]]
    stage = request.args.get("stage")
    ctx["stage"] = stage if stage in states else (states[0] if states else None)  # the phone's one column
    ctx["filtered"] = f.any_set() or (ctx["mode"] == "region" and f.org_id is not None)
    scope_args = {"org_id": f.org_id} if f.org_id else {"region_id": f.region_id} if f.region_id else {}
    query = {k: v for k, v in request.args.items() if k in BOARD_ARGS}
    urls = {"project": _url_parts("projects.page"), "moves": _url_parts("board.moves"),
            "moves_query": urlencode(query)}
    labels = _labels()
    fragment = dict(board=data, filters=f, ctx=ctx, message=message, query=query, scope_args=scope_args,
                    L=labels, urls=urls, card_html=_card_renderer(ctx, f, message, urls, labels))
    board_html = _board_html(data, fragment, message, query)
    if htmx:
        return board_html, status
    return render_template("board.html", board_html=board_html, org_kinds=[(k, ORG_KIND[k]) for k in ORG_KINDS],
                           **fragment), status


def _board_html(data: dict[str, Any], fragment: dict[str, Any], message: dict[str, Any] | None,
                query: dict[str, str]) -> Markup:
    """The board itself (_board.html: the columns and their cards). ``data`` is the board as
    cached until the next change (cached_board); the HTML made of it is kept with it, by
    everything else it depends on (language, the session's CSRF token in withdraw forms,
    the query, the phone's stage), so a refresh of an unchanged board renders nothing.
    A board with a message (after a move) is rendered each time."""
    ctx = fragment["ctx"]
    key = (locale(), csrf_token(), tuple(sorted(query.items())), ctx["stage"], ctx["mode"], ctx["filtered"],
           ctx.get("reset_url"))
    kept: dict[Any, Markup] = data.setdefault("html", {})
    html = kept.get(key) if message is None else None
    if html is None:
        html = Markup(render_template("_board.html", **fragment))
        if message is None:
            if len(kept) >= 8:  # a handful of sessions or languages viewing one board
                kept.clear()
            kept[key] = html
    return html


@bp.get("/")
@login_required
def home() -> Any:
    return redirect(url_for("board.board"))


@bp.get("/board", endpoint="board")
@login_required
def board_page() -> Any:
    return _render_board()


@bp.get("/projects/<int:project_id>/moves")
@login_required
def moves(project_id: int) -> Any:
    """A card's menu «Переместить»: its moves as forms, read when the menu opens (htmx), or
    as a page of its own without JavaScript. ``version``: the card's version on the board."""
    with uow() as u:
        data = card_moves(u, g.actor, project_id)
    query = {k: v for k, v in request.args.items() if k in BOARD_ARGS}
    # the version the board showed: a card changed since then is refused as stale when moved
    return render_template("_moves.html" if htmx else "board_moves.html", data=data, query=query,
                           partial=bool(htmx), version=int_arg("version", lo=1))


def _move_message(project_id: int, title: str, exc: DomainError | None, result: Any,
                  dest_title: str) -> tuple[dict[str, Any], int]:
    if exc is None:
        if result.request is not None:
            return {"kind": "waiting", "project_id": project_id, "title": title,
                    "text": _("«%(title)s»: the move to «%(dest)s» is waiting for the head's approval.",
                              title=title, dest=dest_title)}, 200
        return {"kind": "moved", "project_id": project_id, "title": title,
                "text": _("«%(title)s» moved to «%(dest)s».", title=title, dest=dest_title)}, 200
    if isinstance(exc, GateFailed):
        return {"kind": "gate", "project_id": project_id, "title": title,
                "text": _("«%(title)s» cannot move to «%(dest)s» yet. Not done:", title=title, dest=dest_title),
                "unmet": [{"check": x.check, "message": tr(x.text),
                           "href": url_for("projects.page", project_id=project_id) + "#"
                           + section_of(x.check)} for x in exc.unmet]}, 422
    if isinstance(exc, StaleVersion):
        return {"kind": "stale", "project_id": project_id, "title": title,
                "text": _("The card was changed by another user. The board has been refreshed: "
                          "check the card and try again.")}, 409
    if isinstance(exc, ValidationFailed) and "comment" in exc.fields:
        return {"kind": "comment", "project_id": project_id, "title": title,
                "text": tr(exc.fields["comment"]), "dest": request.form.get("dest"),
                "trigger": request.form.get("trigger"), "version": request.form.get("version")}, 422
    if isinstance(exc, ValidationFailed) and "scaling_proposal" in exc.fields:
        return {"kind": "error", "project_id": project_id, "title": title,
                "text": _("Where else does this apply, and on what conditions?") + " "
                + tr(exc.fields["scaling_proposal"])}, 422
    return {"kind": "error", "project_id": project_id, "title": title,
            "text": exc.message(locale())}, 409 if isinstance(exc, Conflict) else 422


@bp.post("/projects/<int:project_id>/move")
@login_required
def move(project_id: int) -> Any:
    """Move a card to ``dest`` (a state) or fire ``trigger``; answers the board (htmx) or
    redirects back (plain form)."""
    dest = request.form.get("dest", "")
    trigger = request.form.get("trigger", "")
    version_raw = request.form.get("version", "")
    comment = no_nul(request.form.get("comment")).strip() or None
    exc: DomainError | None = None
    result = None
    with uow() as u:
        project = get_project(u, g.actor, project_id)
        title = project.title
        wf = u.workflows.get(project.workflow_id, project.workflow_version)
        if not trigger:
            roles = g.actor.roles_for(project.org_id, project.region_id)
            dragged = wf.trigger_to(project.state, dest, roles)  # type: ignore[union-attr]
            trigger = dragged.trigger if dragged else ""
        t = wf.find(trigger, project.state) if trigger else None  # type: ignore[union-attr]
        dest_title = tr(wf.state(t.dest).title) if t else dest  # type: ignore[union-attr]
    if not trigger:
        exc = Conflict(_text_cannot_move(dest))
    else:
        try:
            with uow() as u:
                result = request_transition(u, g.actor, project_id, {
                    "trigger": trigger, "comment": comment,
                    "scaling_proposal": no_nul(request.form.get("scaling_proposal")).strip() or None,
                    # beyond the database's integers: stale (the engine would write version + 1)
                    "version": (int(version_raw) if int(version_raw) < INT_MAX else -1)
                    if version_raw.isdecimal() else version_raw or None})
        except DomainError as e:
            exc = e
    message, status = _move_message(project_id, title, exc, result, dest_title)
    back = request.form.get("back") or ""
    if htmx:
        if back == "project":
            from webui.web.projects import render_project
            return render_project(project_id, message=message, status=status)
        return _render_board(message, status)
    flash_kind = "ok" if status == 200 else "error"
    text = message["text"]
    if message.get("unmet"):
        text += " " + "; ".join(x["message"] for x in message["unmet"])
    flash(text, flash_kind)
    if back == "project" or message["kind"] == "comment":
        return redirect(url_for("projects.page", project_id=project_id) + "#move")
    return redirect(url_for("board.board", **{k: v for k, v in request.args.items() if k in BOARD_ARGS}))


def _text_cannot_move(dest: str) -> Any:
    return Text("Карточку нельзя переместить в этот столбец", "The card cannot be moved to that column")
