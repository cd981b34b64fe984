"""Moving a card: the plain form (no JavaScript) redirects back; htmx (menu or drag and
drop) answers the board partial with a message: gate failures list each unmet check
with a link, an approval shows the waiting badge, a stale version answers 409 with the
refreshed board, a back move asks for its comment."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import services as svc
from engine.models import Event, TransitionRequest
from tests.web.conftest import (
    add_diagnosis,
    db_snapshot,
    dom,
    project_row,
    to_target,
)


def _pending(store: Any, project_id: int) -> list[TransitionRequest]:
    with store.uow() as uow:
        return list(uow.session.execute(select(TransitionRequest).where(
            TransitionRequest.project_id == project_id, TransitionRequest.status == "pending")).scalars())


def _card(board: Any, project_id: int) -> Any:
    return board.one("li", data_project_id=project_id)


def _menu(b: Any, board: Any, project_id: int) -> Any:
    """The card's menu «Переместить», read as the browser reads it when opened (htmx)."""
    lazy = _card(board, project_id).one("div", cls="move-menu")
    return dom(b.get(lazy["hx-get"], htmx=True))


def _column_of(board: Any, project_id: int) -> str:
    card = _card(board, project_id)
    col = card.closest("ol")
    assert col is not None and col.has("data-state")
    return col["data-state"]


def _assert_board_partial(r: Any) -> Any:
    body = r.get_data(as_text=True)
    assert "<html" not in body
    page = dom(r)
    top = [n for n in page.children if not isinstance(n, str)]
    assert len(top) == 1 and top[0].get("id") == "board", [t for t in top]
    return page


def _move(b: Any, project_id: int, htmx: bool, **form: Any) -> Any:
    return b.post(f"/projects/{project_id}/move", {k: str(v) for k, v in form.items()}, htmx=htmx)


# --- without JavaScript ----------------------------------------------------------------------

def test_plain_form_member_request_redirects_to_the_board(web, make, store, project, member_of_school):
    add_diagnosis(make, project.id, member_of_school)
    b = web(member_of_school)
    r = _move(b, project.id, False, trigger="to_target", version=project_row(store, project.id).version)
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/board")
    [req] = _pending(store, project.id)
    assert (req.trigger, req.dest, req.requested_by) == ("to_target", "target", member_of_school.id)
    assert project_row(store, project.id).state == "diagnose"
    board = dom(b.get("/board"))
    assert board.find("p", cls="flash") is not None
    assert _card(board, project.id).find("span", cls="wait") is not None


def test_plain_form_head_moves_at_once_and_returns_to_the_project(web, make, store, project, member_of_school,
                                                                 head_of_school):
    add_diagnosis(make, project.id, member_of_school)
    b = web(head_of_school)
    r = _move(b, project.id, False, trigger="to_target", version=project_row(store, project.id).version,
              back="project")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/projects/{project.id}#move")
    assert project_row(store, project.id).state == "target"
    assert _pending(store, project.id) == []


def test_plain_form_gate_failure_writes_nothing_and_says_why(web, store, project, member_of_school):
    b = web(member_of_school)
    before = db_snapshot(store)
    r = _move(b, project.id, False, trigger="to_target", version=1)
    assert r.status_code == 302
    assert db_snapshot(store) == before
    flashes = dom(b.get("/board")).find_all("p", cls="flash")
    assert len(flashes) == 1 and "error" in flashes[0].classes


def test_plain_form_back_move_without_comment_returns_to_the_project(web, make, store, project,
                                                                     member_of_school, head_of_school):
    to_target(make, store, project.id, member_of_school, head_of_school)
    b = web(head_of_school)
    before = db_snapshot(store)
    r = _move(b, project.id, False, trigger="back_to_diagnose", version=project_row(store, project.id).version)
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/projects/{project.id}#move")
    assert db_snapshot(store) == before
    page = dom(b.get(f"/projects/{project.id}"))
    assert page.find("p", cls="error") is not None
    # the project page offers the back move with a required comment
    form = next(f for f in page.find_all("form", action=f"/projects/{project.id}/move")
                if f.find("input", name="trigger", value="back_to_diagnose"))
    assert form.one("textarea", name="comment").has("required")


# --- htmx: gate failure -------------------------------------------------------------------------

def test_htmx_gate_failure_lists_each_unmet_check_with_a_link(web, make, store, project, member_of_school):
    make.call(svc.add_problem, member_of_school.actor, project.id, {"description": "Очередь", "waste": "waiting"})
    b = web(member_of_school)
    before = db_snapshot(store)
    r = _move(b, project.id, True, dest="target", version=project_row(store, project.id).version)
    assert r.status_code == 422
    board = _assert_board_partial(r)
    assert db_snapshot(store) == before
    msg = board.one(data_message="gate")
    checks = {li["data-check"]: li for li in msg.find_all("li", data_check=True)}
    assert set(checks) == {"current_state_mapped", "baselines_recorded"}
    assert checks["current_state_mapped"].one("a")["href"] == f"/projects/{project.id}#artefacts"
    assert checks["baselines_recorded"].one("a")["href"] == f"/projects/{project.id}#metrics"
    for li in checks.values():
        assert li.text  # says what to do
    # the anchors exist on the project page
    page = dom(b.get(f"/projects/{project.id}"))
    for anchor in ("artefacts", "metrics", "problems", "actions", "risks"):
        assert page.by_id(anchor) is not None, anchor
    # the card stays where it was
    assert _column_of(board, project.id) == "diagnose"


def test_htmx_gate_failure_of_an_empty_project_lists_all_three(web, store, project, member_of_school):
    b = web(member_of_school)
    r = _move(b, project.id, True, trigger="to_target", version=1)
    assert r.status_code == 422
    board = _assert_board_partial(r)
    unmet = [li["data-check"] for li in board.find_all("li", data_check=True)]
    assert unmet == ["current_state_mapped", "problems_listed", "baselines_recorded"]
    hrefs = [li.one("a")["href"] for li in board.find_all("li", data_check=True)]
    assert hrefs == [f"/projects/{project.id}#artefacts", f"/projects/{project.id}#problems",
                     f"/projects/{project.id}#metrics"]


# --- htmx: approval, moved, stale -----------------------------------------------------------------

def test_htmx_request_shows_the_waiting_badge(web, make, store, project, member_of_school):
    add_diagnosis(make, project.id, member_of_school)
    b = web(member_of_school)
    r = _move(b, project.id, True, dest="target", version=project_row(store, project.id).version)
    assert r.status_code == 200
    board = _assert_board_partial(r)
    assert board.one(data_message="waiting") is not None
    card = _card(board, project.id)
    assert card.find("span", cls="wait") is not None
    assert _column_of(board, project.id) == "diagnose"
    assert len(_pending(store, project.id)) == 1
    # a second try while the request waits: 409, nothing written
    before = db_snapshot(store)
    r = _move(b, project.id, True, dest="target", version=project_row(store, project.id).version)
    assert r.status_code == 409
    _assert_board_partial(r)
    assert db_snapshot(store) == before


def test_htmx_drag_by_the_head_moves_the_card(web, make, store, project, member_of_school, head_of_school):
    add_diagnosis(make, project.id, member_of_school)
    b = web(head_of_school)
    # as app.js posts it: dest and version, the token in the header
    r = b.post(f"/projects/{project.id}/move", {"dest": "target", "version": project_row(store, project.id).version},
               csrf=False, htmx=True, headers={"X-CSRFToken": b.csrf})
    assert r.status_code == 200
    board = _assert_board_partial(r)
    assert board.one(data_message="moved") is not None
    assert _column_of(board, project.id) == "target"
    assert _card(board, project.id)["data-version"] == str(project_row(store, project.id).version)
    assert project_row(store, project.id).state == "target"


def test_htmx_stale_version_answers_409_with_the_refreshed_board(web, make, store, project, member_of_school,
                                                                  head_of_school):
    add_diagnosis(make, project.id, member_of_school)
    b = web(head_of_school)
    stale = project_row(store, project.id).version
    make.call(svc.update_project, member_of_school.actor, project.id,
              {"title": "Переименован коллегой", "version": stale})
    before = db_snapshot(store)
    r = _move(b, project.id, True, dest="target", version=stale)
    assert r.status_code == 409
    board = _assert_board_partial(r)
    assert db_snapshot(store) == before
    assert board.one(data_message="stale") is not None
    card = _card(board, project.id)
    assert card["data-version"] == str(stale + 1)
    assert card.one("a", cls="card-title").text == "Переименован коллегой"
    assert _column_of(board, project.id) == "diagnose"


def test_htmx_move_to_a_column_without_a_transition_is_refused(web, make, store, project, member_of_school,
                                                               head_of_school):
    add_diagnosis(make, project.id, member_of_school)
    b = web(head_of_school)
    before = db_snapshot(store)
    for dest in ("sustain", "nowhere", ""):
        r = _move(b, project.id, True, dest=dest, version=project_row(store, project.id).version)
        assert r.status_code == 409, dest
        _assert_board_partial(r)
    r = _move(b, project.id, True, trigger="close", version=project_row(store, project.id).version)
    assert r.status_code == 409
    assert db_snapshot(store) == before


# --- htmx: back moves ask for the comment ----------------------------------------------------------

def _back_move_events(store: Any, project_id: int) -> list[Event]:
    with store.uow() as uow:
        return list(uow.session.execute(select(Event).where(
            Event.project_id == project_id, Event.kind == "state_changed",
            Event.to_state == "diagnose")).scalars())


def test_htmx_back_move_by_drag_asks_for_the_comment_then_moves(web, make, store, project, member_of_school,
                                                                head_of_school):
    to_target(make, store, project.id, member_of_school, head_of_school)
    b = web(head_of_school)
    version = project_row(store, project.id).version
    before = db_snapshot(store)
    r = _move(b, project.id, True, dest="diagnose", version=version)
    assert r.status_code == 422
    board = _assert_board_partial(r)
    assert db_snapshot(store) == before
    msg = board.one(data_message="comment")
    form = msg.one("form")
    assert form.one("textarea", name="comment").has("required")
    # send the form as it is, with the comment
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    data["comment"] = "Карта текущего состояния без замеров"
    r = b.post(form["hx-post"], data, csrf=False, htmx=True)
    assert r.status_code == 200, r.get_data(as_text=True)[:1000]
    board = _assert_board_partial(r)
    assert _column_of(board, project.id) == "diagnose"
    assert project_row(store, project.id).state == "diagnose"
    assert len(_back_move_events(store, project.id)) == 1


def test_htmx_back_move_from_the_menu_with_a_blank_comment_asks_again_then_moves(
        web, make, store, project, member_of_school, head_of_school):
    to_target(make, store, project.id, member_of_school, head_of_school)
    b = web(head_of_school)
    r = _move(b, project.id, True, trigger="back_to_diagnose", comment="   ",
              version=project_row(store, project.id).version)
    assert r.status_code == 422
    form = _assert_board_partial(r).one(data_message="comment").one("form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    data["comment"] = "Вернуть: нет базовых значений"
    r = b.post(form["hx-post"], data, csrf=False, htmx=True)
    assert r.status_code == 200, r.get_data(as_text=True)[:1000]
    assert project_row(store, project.id).state == "diagnose"


def test_htmx_back_move_with_a_comment_moves_at_once(web, make, store, project, member_of_school, head_of_school,
                                                     curator_orel):
    to_target(make, store, project.id, member_of_school, head_of_school)
    b = web(curator_orel)  # curators may send a project back too
    r = _move(b, project.id, True, trigger="back_to_diagnose", comment="Нужны замеры ВПП",
              version=project_row(store, project.id).version)
    assert r.status_code == 200
    assert _column_of(_assert_board_partial(r), project.id) == "diagnose"
    [ev] = _back_move_events(store, project.id)
    assert ev.actor_id == curator_orel.id


def test_member_cannot_send_back(web, make, store, project, member_of_school, head_of_school):
    to_target(make, store, project.id, member_of_school, head_of_school)
    b = web(member_of_school)
    board = dom(b.get("/board"))
    triggers = {i["value"] for i in _menu(b, board, project.id).find_all("input", name="trigger")}
    assert "back_to_diagnose" not in triggers and "cancel" in triggers
    before = db_snapshot(store)
    r = _move(b, project.id, True, trigger="back_to_diagnose", comment="Назад",
              version=project_row(store, project.id).version)
    assert r.status_code in (403, 422)
    assert db_snapshot(store) == before


def test_htmx_move_from_the_project_page_answers_the_project_page(web, make, store, project, member_of_school):
    b = web(member_of_school)
    r = _move(b, project.id, True, trigger="to_target", version=1, back="project")
    assert r.status_code == 422
    page = dom(r)
    assert page.one("h1", cls="project-title").text == project.title
    assert {li["data-check"] for li in page.by_id("project-message").find_all("li", data_check=True)} == {
        "current_state_mapped", "problems_listed", "baselines_recorded"}


def test_menu_forms_fire_what_they_show(web, make, store, project, member_of_school):
    """Every move form on the board carries the card's version and a trigger the person may fire."""
    add_diagnosis(make, project.id, member_of_school)
    b = web(member_of_school)
    board = dom(b.get("/board"))
    forms = _menu(b, board, project.id).find_all("form")
    assert {f.one("input", name="trigger")["value"] for f in forms} == {"to_target", "cancel"}
    form = next(f for f in forms if f.find("input", name="trigger", value="to_target"))
    assert form.one("input", name="version")["value"] == str(project_row(store, project.id).version)
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    r = b.post(form["action"], data, csrf=False)
    assert r.status_code == 302
    assert len(_pending(store, project.id)) == 1
