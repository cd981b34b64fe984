"""The evaluation editions' pages (#15 item 1): «Оценка» (a region's editions, the form for
a new one), an edition's page (indicators, SVG charts, printable on A4 without the
navigation), signing, the comparison of two editions, and the XLSX that opens in openpyxl
with the figures the page shows."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from engine import clock
from tests.web.conftest import dom, field_error, form_for


@pytest.fixture
def editions(make, web, world, curator_orel, member_of_school, member_of_other_school):
    """Two projects of the region, then two editions: one as of a date before them, one today."""
    make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    make.project(world.other_school, member_of_other_school.actor, title="Оптимизация приёма документов")
    b = web(curator_orel)
    ids = []
    for title, as_of in (("Промежуточный анализ на 01.01.2026", "2026-01-01"), ("Итоговая оценка", clock.today())):
        r = b.post("/evaluation", {"title": title, "kind": "interim", "as_of": str(as_of)})
        assert r.status_code == 302, r.get_data(as_text=True)[:400]
        ids.append(int(r.headers["Location"].rsplit("/", 1)[1]))
    return b, ids


def test_the_curator_creates_signs_and_the_page_shows_the_figures(editions, curator_orel):
    b, (old, new) = editions
    page = dom(b.get(f"/evaluation/{new}"))
    assert page.one("h1", cls="doc-title").text == "Итоговая оценка"
    assert page.one("tr", data_key="projects_launched").one("td", data_value="2") is not None
    assert page.one("tr", data_key="stage.diagnose").one("td", data_value="2") is not None
    assert page.one("figure", data_chart="stage").find("svg") is not None  # the server-side chart
    assert page.find("span", data_draft=True) is not None

    sign = form_for(page, f"/evaluation/{new}/sign")
    version = next(n for n in sign.iter() if n.get("name") == "version")["value"]
    assert b.post(f"/evaluation/{new}/sign", {"version": version}).status_code == 302
    page = dom(b.get(f"/evaluation/{new}"))
    assert page.find("span", data_signed=True) is not None
    assert page.find("form", data_form="sign") is None  # nothing to sign or edit any more
    r = b.post(f"/evaluation/{new}/edit", {"title": "Другое", "as_of": "2026-01-01", "version": "2"})
    assert r.status_code == 409

    listing = dom(b.get("/evaluation"))
    assert listing.one("tr", data_edition_id=str(new))["data-status"] == "signed"
    assert listing.one("tr", data_edition_id=str(old))["data-status"] == "draft"


def test_a_bad_date_is_shown_next_to_its_field(editions):
    b, _ids = editions
    r = b.post("/evaluation", {"title": "Срез", "kind": "interim", "as_of": "2999-01-01"})
    assert r.status_code == 422
    assert "позже сегодняшнего" in field_error(dom(r), "as_of").text


def test_two_editions_side_by_side(editions):
    b, (old, new) = editions
    page = dom(b.get(f"/evaluation/compare?a={old}&b={new}"))
    row = page.one("tr", data_key="projects_launched")
    assert (row.one("td", data_a="0") is not None, row.one("td", data_b="2") is not None,
            row.one("td", data_change="2.0") is not None) == (True, True, True)


def test_the_xlsx_opens_with_the_figures(editions):
    b, (_old, new) = editions
    r = b.get(f"/evaluation/{new}.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(r.get_data()))
    sheet = book["Показатели"]
    values = {row[1]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert (values["projects_launched"], values["stage.diagnose"], values["projects_closed"]) == (2, 2, 0)
    assert book["Срез"]["B2"].value == "Итоговая оценка"
    r = b.get(f"/evaluation/compare.xlsx?a={_old}&b={new}")
    rows = list(load_workbook(io.BytesIO(r.get_data())).active.iter_rows(min_row=2, values_only=True))
    assert ("Запущено проектов", "", 0, 2, 2, None) in rows


def test_printed_on_a4_without_the_navigation(editions, client):
    b, (_old, new) = editions
    page = dom(b.get(f"/evaluation/{new}"))
    assert page.one("header", cls="top").find("nav") is not None  # the menu is inside .top ...
    assert page.one("nav", cls="print-bar").find("button", data_print=True) is not None
    assert page.find("article", cls="print-doc") is not None
    css = client.get("/static/app.css").get_data(as_text=True).replace(" ", "").replace("\n", "")
    media = css[css.index("@mediaprint{.top,.skip,.print-bar"):]
    assert ".top," in media and ".print-bar" in media and ".no-print" in media \
        and "display:none!important" in media  # ... hidden in print, and the draft's forms too
    assert "@page{size:A4;" in css


def test_a_head_is_refused_and_sees_no_link(web, editions, head_of_school):
    _b, (old, _new) = editions
    b = web(head_of_school)
    assert b.get("/evaluation").status_code == 403
    assert b.get(f"/evaluation/{old}").status_code == 403
    assert dom(b.get("/board")).find("a", href="/evaluation") is None
