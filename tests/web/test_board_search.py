"""The board's search and filters (#12 item 7): Russian word forms over title, problem and
goal (the practices' stemmer), the leader and organisation-kind filters, swimlanes on the
region board, «ничего не найдено» with a way back; every filter is a plain GET form whose
URL can be shared, so nothing needs JavaScript. The move menu is read when opened."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import add_diagnosis, dom, project_row


def _card_ids(page: Any) -> set[int]:
    return {int(li["data-project-id"]) for li in page.find_all("li", data_project_id=True)}


@pytest.fixture
def school_projects(make, world, member_of_school, head_of_school):
    """Three projects of the school: two led by the member, one by the head."""
    who = member_of_school.actor
    meals = make.project(world.school, who, title="Столовая без очередей",
                         problem="Дети не успевают поесть на перемене", goal="Организация питания за 10 минут",
                         leader_id=member_of_school.id)
    library = make.project(world.school, who, title="Выдача учебников", problem="Очередь в библиотеке",
                           goal="Выдача за один день", leader_id=head_of_school.id)
    forms = make.project(world.school, who, title="Справки для родителей", problem="Справку ждут три дня",
                         goal="Справка в день обращения", leader_id=member_of_school.id)
    return {"meals": meals.id, "library": library.id, "forms": forms.id}


@pytest.fixture
def region_projects(make, world, member_of_school, member_of_other_school):
    """The school's projects and a kindergarten's of another municipality, same region."""
    mun = make.municipality(world.region, "Болховский район")
    kindergarten = make.org(mun, "МБДОУ «Детский сад №2»", kind="kindergarten")
    nanny = make.person("member", org=kindergarten, email="nanny@sad2.ru", name="Сидорова Вера")
    return {
        "school": make.project(world.school, member_of_school.actor, title="Питание без очередей").id,
        "other_school": make.project(world.other_school, member_of_other_school.actor,
                                     title="Расписание кружков").id,
        "kindergarten": make.project(kindergarten, nanny.actor, title="Прогулки по графику",
                                     problem="Группы выходят на прогулку одновременно").id,
        "kindergarten_org": kindergarten.id, "mun": mun.id,
    }


# --- word forms --------------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["питании", "ПИТАНИЕМ", "организацию питания"])
def test_search_finds_other_word_forms_in_the_goal(web, member_of_school, school_projects, q):
    """«питании» finds the project whose goal says «питания»: neither is in its title."""
    page = dom(web(member_of_school).get("/board", query_string={"q": q}))
    assert _card_ids(page) == {school_projects["meals"]}


def test_search_reads_title_and_problem_too(web, member_of_school, school_projects):
    b = web(member_of_school)
    assert _card_ids(dom(b.get("/board?q=учебник"))) == {school_projects["library"]}  # title: «учебников»
    assert _card_ids(dom(b.get("/board?q=библиотеку"))) == {school_projects["library"]}  # problem
    assert _card_ids(dom(b.get("/board?q=очередями"))) == {school_projects["meals"], school_projects["library"]}


def test_search_still_finds_a_piece_of_the_title_or_the_number(web, store, member_of_school, school_projects):
    b = web(member_of_school)
    assert _card_ids(dom(b.get("/board?q=без очер"))) == {school_projects["meals"]}  # «Столовая без очередей»
    reg = project_row(store, school_projects["forms"]).reg_number
    assert _card_ids(dom(b.get("/board", query_string={"q": reg}))) == {school_projects["forms"]}


def test_search_needs_every_word(web, member_of_school, school_projects):
    b = web(member_of_school)
    assert _card_ids(dom(b.get("/board?q=питание справка"))) == set()


# --- filters and nothing found ----------------------------------------------------------------

def test_filter_by_leader_lists_the_leaders_and_keeps_the_choice(web, member_of_school, head_of_school,
                                                                 school_projects):
    b = web(member_of_school)
    page = dom(b.get("/board"))
    leader = page.one("select", name="leader_id")
    assert {o["value"] for o in leader.find_all("option")} == {"", str(member_of_school.id), str(head_of_school.id)}
    page = dom(b.get(f"/board?leader_id={head_of_school.id}"))
    assert _card_ids(page) == {school_projects["library"]}
    chosen = page.one("select", name="leader_id").find("option", selected=True)
    assert chosen is not None and chosen["value"] == str(head_of_school.id)
    # the other leaders stay offered while one is chosen
    assert len(page.one("select", name="leader_id").find_all("option")) == 3
    page = dom(b.get(f"/board?leader_id={member_of_school.id}&q=справку"))
    assert _card_ids(page) == {school_projects["forms"]}


def test_filter_by_organisation_kind_on_the_region_board(web, curator_orel, region_projects):
    b = web(curator_orel)
    assert _card_ids(dom(b.get("/board"))) == {region_projects["school"], region_projects["other_school"],
                                              region_projects["kindergarten"]}
    assert _card_ids(dom(b.get("/board?kind=kindergarten"))) == {region_projects["kindergarten"]}
    assert _card_ids(dom(b.get("/board?kind=school&q=питанием"))) == {region_projects["school"]}


def test_nothing_found_says_so_and_offers_a_reset(web, member_of_school, school_projects):
    b = web(member_of_school)
    page = dom(b.get("/board?q=бассейн&stalled=1"))
    assert _card_ids(page) == set()
    found = page.one(data_nothing_found=True)
    assert found.text
    reset = found.one("a", data_reset=True)
    assert urlsplit(reset["href"]).path == "/board" and not urlsplit(reset["href"]).query
    assert _card_ids(dom(b.get(reset["href"]))) == set(school_projects.values())
    # an unfiltered empty board is not «nothing found»
    assert dom(b.get("/board")).find(data_nothing_found=True) is None


def test_the_board_without_cards_is_not_nothing_found(web, member_of_school, world):
    assert dom(web(member_of_school).get("/board")).find(data_nothing_found=True) is None


# --- swimlanes ---------------------------------------------------------------------------------

def _lanes(page: Any) -> dict[str, set[int]]:
    return {lane.one("h2", cls="lane-title").text.rsplit(" ", 1)[0]: _card_ids(lane)
            for lane in page.find_all("section", cls="lane")}


def test_swimlanes_by_organisation_and_by_municipality(web, world, curator_orel, region_projects):
    b = web(curator_orel)
    page = dom(b.get("/board?lanes=org"))
    assert _lanes(page) == {world.school.name: {region_projects["school"]},
                            world.other_school.name: {region_projects["other_school"]},
                            "МБДОУ «Детский сад №2»": {region_projects["kindergarten"]}}
    lanes = page.one("select", name="lanes")
    assert lanes.find("option", selected=True)["value"] == "org"
    page = dom(b.get("/board?lanes=municipality"))
    assert _lanes(page) == {"Болховский район": {region_projects["kindergarten"]},
                            world.municipality.name: {region_projects["school"], region_projects["other_school"]}}
    # a card's lane keeps its column: drop targets stay within the lane
    card = page.one("li", data_project_id=region_projects["kindergarten"])
    assert card.closest("ol")["data-state"] == "diagnose" and card.closest("ol").has("data-lane")
    # swimlanes and a filter together; an unknown value is no swimlanes
    page = dom(b.get("/board?lanes=municipality&kind=school"))
    assert _lanes(page) == {world.municipality.name: {region_projects["school"], region_projects["other_school"]}}
    assert dom(b.get("/board?lanes=nonsense")).find("section", cls="lane") is None


def test_an_organisation_board_has_no_swimlanes(web, member_of_school, school_projects):
    page = dom(web(member_of_school).get("/board?lanes=org"))
    assert page.find("section", cls="lane") is None and page.find("select", name="lanes") is None
    assert _card_ids(page) == set(school_projects.values())


# --- no JavaScript needed ------------------------------------------------------------------------

def test_the_filters_are_a_get_form_whose_url_is_the_board(web, curator_orel, region_projects):
    """Submitting the form is a GET of /board with the fields as parameters: the URL can be
    shared, and the same URL shows the same cards and the same choices."""
    b = web(curator_orel)
    page = dom(b.get("/board"))
    form = page.one("form", data_board_filters=True)
    assert form.get("method") == "get" and urlsplit(form["action"]).path == "/board"
    names = {n["name"] for n in form.iter() if n.tag in ("input", "select") and n.get("name")}
    assert {"q", "leader_id", "kind", "municipality_id", "org_id", "lanes", "stalled"} <= names
    url = f"/board?q=прогулка&municipality_id={region_projects['mun']}&lanes=org"
    page = dom(web(curator_orel).get(url))  # another browser, the shared link
    assert _card_ids(page) == {region_projects["kindergarten"]}
    form = page.one("form", data_board_filters=True)
    assert form.one("input", name="q")["value"] == "прогулка"
    # the refresh and the stage tabs keep the filters
    assert parse_qs(urlsplit(page.one(id="board")["hx-get"]).query) == {
        "q": ["прогулка"], "municipality_id": [str(region_projects["mun"])], "lanes": ["org"]}
    tab = page.one("a", data_stage_tab="target")
    assert parse_qs(urlsplit(tab["href"]).query)["q"] == ["прогулка"]


def test_stage_tabs_are_links_that_show_one_column(web, member_of_school, school_projects):
    b = web(member_of_school)
    page = dom(b.get("/board"))
    tabs = page.find_all("a", data_stage_tab=True)
    assert [t["data-stage-tab"] for t in tabs] == ["diagnose", "target", "implement", "standardise", "sustain"]
    assert [t["data-stage-tab"] for t in tabs if t.has("aria-current")] == ["diagnose"]
    page = dom(b.get(tabs[2]["href"]))
    assert [s["data-column"] for s in page.find_all("section", cls="current")] == ["implement"]
    assert page.one(id="board")["data-stage"] == "implement"


def test_the_move_menu_works_without_javascript(web, make, store, member_of_school, school_projects):
    """The menu's link opens a page of the card's moves, naming destination stages; its form
    posts the move and returns to the board with the same filters."""
    pid = school_projects["meals"]
    add_diagnosis(make, pid, member_of_school)
    b = web(member_of_school)
    card = dom(b.get("/board?q=питание")).one("li", data_project_id=pid)
    assert card["data-dests"] == "target"  # drop slots: the next column only (cancel leaves the board)
    link = card.one("div", cls="move-menu").one("a")
    page = dom(b.get(link["href"]))
    assert page.find("html") is not None  # a page of its own
    buttons = {btn["data-dest"]: btn for btn in page.find_all("button", data_dest=True)}
    assert set(buttons) == {"target", "cancelled"}
    assert "Целевое состояние" in buttons["target"].text  # the stage, not the gate's name
    form = buttons["target"].closest("form")
    assert not form.has("hx-post")
    assert form.one("input", name="version")["value"] == str(project_row(store, pid).version)
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    r = b.post(form["action"], data, csrf=False)
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["Location"]).query) == {"q": ["питание"]}
    # the request is waiting now: the menu offers nothing, the card no menu
    assert dom(b.get(link["href"], htmx=True)).find("form") is None
    card = dom(b.get("/board")).one("li", data_project_id=pid)
    assert card.find("details", cls="menu") is None


def test_the_move_menu_of_a_card_out_of_scope_is_404(web, member_of_other_school, school_projects):
    assert web(member_of_other_school).get(f"/projects/{school_projects['meals']}/moves").status_code == 404


def test_the_move_menu_carries_the_version_the_board_showed(web, make, store, member_of_school, school_projects):
    """A card changed by a colleague after the board was loaded is refused as stale (409),
    even though its menu is read later."""
    from engine import services as svc
    pid = school_projects["forms"]
    b = web(member_of_school)
    lazy = dom(b.get("/board")).one("li", data_project_id=pid).one("div", cls="move-menu")
    make.call(svc.update_project, member_of_school.actor, pid, {"version": 1, "goal": "Новая цель"})
    menu = dom(b.get(lazy["hx-get"], htmx=True))
    form = menu.one("input", name="trigger", value="cancel").closest("form")
    assert form.one("input", name="version")["value"] == "1"
    r = b.post(form["hx-post"], {"trigger": "cancel", "version": "1", "comment": "Не нужен"}, htmx=True)
    assert r.status_code == 409 and project_row(store, pid).state == "diagnose"


def test_cached_cards_follow_the_language_the_data_and_the_filters(web, make, member_of_school, school_projects):
    """The board keeps rendered cards between requests: a card must still change with the
    language, with its data and with the filters its menu carries."""
    from engine import services as svc
    pid = school_projects["library"]
    b = web(member_of_school)

    def card() -> Any:
        return dom(b.get("/board" + query)).one("li", data_project_id=pid)

    query = ""
    ru = card().one("span", cls="age")["title"]
    assert b.post("/locale", {"locale": "en", "next": "/board"}).status_code == 302
    assert card().one("span", cls="age")["title"] != ru
    make.call(svc.update_project, member_of_school.actor, pid, {"version": 1, "title": "Учебники за один день"})
    assert card().one("a", cls="card-title").text == "Учебники за один день"
    query = "?q=учебники"
    assert "q=" in card().one("div", cls="move-menu")["hx-get"]


def test_critical_risks_and_waiting_requests_on_the_cards(web, make, store, member_of_school, school_projects):
    """The cards' statement counts each card's unresolved critical risks and joins its
    waiting request: the badges and the filters agree."""
    from engine import services as svc
    meals, forms = school_projects["meals"], school_projects["forms"]
    who = member_of_school.actor
    for title in ("Нет поваров", "Нет продуктов"):
        make.call(svc.log_risk, who, meals, {"title": title, "probability": 5, "impact": 5})
    make.call(svc.log_risk, who, meals, {"title": "Мелочь", "probability": 1, "impact": 2})
    make.call(svc.log_risk, who, forms, {"title": "Мелочь", "probability": 2, "impact": 2})
    add_diagnosis(make, forms, member_of_school)
    make.call(svc.request_transition, who, forms, {"trigger": "to_target",
                                                   "version": project_row(store, forms).version})
    b = web(member_of_school)
    page = dom(b.get("/board"))
    badge = page.one("li", data_project_id=meals).one("span", cls="critical")
    assert "2" in badge.text
    assert page.one("li", data_project_id=forms).find("span", cls="critical") is None
    assert page.one("li", data_project_id=forms).find("span", cls="wait") is not None
    assert page.one("li", data_project_id=meals).find("span", cls="wait") is None
    assert _card_ids(dom(b.get("/board?critical=1"))) == {meals}
    assert _card_ids(dom(b.get("/board?waiting=1"))) == {forms}
