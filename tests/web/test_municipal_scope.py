"""The municipal curator's pages (issue #13 item 3): the board, the projects list and the
project pages show their municipality only; another municipality's project answers 404.
The admin page offers the coordinator role and the municipality of a curator."""
from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import dom


@pytest.fixture
def two_projects(make: Any, world: Any, member_of_school: Any) -> dict[str, Any]:
    elsewhere = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    far_member = make.person("member", org=elsewhere)
    return {"mine": make.project(world.school, member_of_school.actor, title="Питание в лицее"),
            "theirs": make.project(elsewhere, far_member.actor, title="Питание в Мценске")}


def test_a_municipal_curators_pages_show_their_municipality_only(web, two_projects, curator_of_municipality,
                                                                 curator_orel):
    mine, theirs = two_projects["mine"], two_projects["theirs"]
    b = web(curator_of_municipality)
    board = b.get("/board")
    assert board.status_code == 200
    cards = {n["data-project-id"] for n in dom(board).find_all(**{"data-project-id": True})}
    assert str(mine.id) in cards and str(theirs.id) not in cards
    listed = b.get("/projects").get_data(as_text=True)
    assert "Питание в лицее" in listed and "Питание в Мценске" not in listed
    assert b.get(f"/projects/{mine.id}").status_code == 200
    assert b.get(f"/projects/{theirs.id}").status_code == 404
    # the region's control tower is not theirs: no link to it (it would answer 403)
    assert dom(board).find("a", href="/tower") is None
    assert dom(web(curator_orel).get("/board")).find("a", href="/tower") is not None
    # the region's curator sees both on the region's board
    region_board = web(curator_orel).get("/board")
    cards = {n["data-project-id"] for n in dom(region_board).find_all(**{"data-project-id": True})}
    assert {str(mine.id), str(theirs.id)} <= cards


def test_the_admin_page_offers_the_new_roles(web, admin, world):
    page = dom(web(admin).get("/admin/"))
    roles = {o["value"] for o in page.find_all("option") if o.get("value")}
    assert "coordinator" in roles
    assert page.find("select", name="municipality_id") is not None
