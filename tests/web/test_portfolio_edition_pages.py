"""The portfolio edition's pages (#15 item 2): /portfolio/edition, printable on A4 with
contents that link to every practice and no navigation in print, and
/portfolio/edition.docx, for the region's curators and the admins only."""
from __future__ import annotations

import io

import pytest
from docx import Document

from tests.portfolio_helpers import PROPOSAL, published_practice
from tests.web.conftest import assert_redirects_to_login, dom


@pytest.fixture
def practices(make, world, member_of_school, head_of_school, curator_orel):
    garden = make.org(world.municipality, "МБДОУ «Детский сад №5»", kind="kindergarten")
    return [
        published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                           title="Обеды без очередей"),
        published_practice(make, garden, make.person("member", org=garden), make.person("head", org=garden),
                           curator_orel, title="Полдник по графику"),
        published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                           title="Ремонт без срыва уроков", category="facilities"),
    ]


def test_the_printable_page_has_contents_linking_to_every_practice_under_its_category(web, practices,
                                                                                      curator_orel):
    r = web(curator_orel).get("/portfolio/edition")
    assert r.status_code == 200
    page = dom(r)
    assert page.one("h1", cls="doc-title").text == "Проектный портфель «Бережливая школа»"
    for practice in practices:
        link = page.one("a", data_contents_practice=str(practice.id))
        assert link["href"] == f"#practice-{practice.id}"
        section = page.by_id(f"practice-{practice.id}")
        assert section is not None and section.find("h4").text == practice.title
        category = section.parent.parent  # practice -> kind -> category
        assert category.get("data-category") == practice.category
    meals = page.by_id("category-meals")
    assert [k.get("data-kind") for k in meals.find_all("section", cls="edition-kind")] == ["school", "kindergarten"]
    assert [dd.text for dd in page.find_all("dd", data_scaling_proposal="")] == [PROPOSAL] * 3


def test_printed_without_the_navigation(web, client, practices, curator_orel):
    page = dom(web(curator_orel).get("/portfolio/edition"))
    assert page.one("header", cls="top").find("nav") is not None  # the menu is inside .top ...
    assert page.one("nav", cls="print-bar").find("button", data_print=True) is not None
    css = client.get("/static/app.css").get_data(as_text=True).replace(" ", "")
    media = css[css.index("@mediaprint{"):]
    assert ".top," in media and ".print-bar" in media and "display:none!important" in media  # ... hidden in print
    assert "@page{size:A4;" in css
    assert ".edition-category{page-break-before:always;" in css


def test_the_docx_is_the_same_edition(web, practices, curator_orel):
    r = web(curator_orel).get("/portfolio/edition.docx")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert r.headers["Content-Disposition"].startswith("attachment; filename=\"portfolio-")
    document = Document(io.BytesIO(r.get_data()))
    assert sorted(p.text for p in document.paragraphs if p.style.name == "Heading 3") == sorted(
        p.title for p in practices)
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [
        "Питание", "Хозяйственная деятельность"]


def test_only_the_regions_curators_and_admins(web, practices, world, member_of_school, head_of_school,
                                              curator_kursk, admin):
    assert_redirects_to_login(web().get("/portfolio/edition"))
    assert_redirects_to_login(web().get("/portfolio/edition.docx"))
    for who in (member_of_school, head_of_school):
        assert web(who).get("/portfolio/edition").status_code == 403
        assert web(who).get("/portfolio/edition.docx").status_code == 403
    kursk = web(curator_kursk)
    assert kursk.get(f"/portfolio/edition?region_id={world.region.id}").status_code == 404
    assert dom(kursk.get("/portfolio/edition")).find("section", cls="edition-practice") is None
    r = web(admin).get(f"/portfolio/edition?region_id={world.region.id}")
    assert r.status_code == 200 and len(dom(r).find_all("section", cls="edition-practice")) == 3


def test_the_catalogue_links_to_it_for_curators_only(web, practices, curator_orel, member_of_school):
    assert dom(web(curator_orel).get("/practices")).one("a", data_edition="")["href"] == "/portfolio/edition"
    assert dom(web(member_of_school).get("/practices")).find("a", data_edition="") is None
