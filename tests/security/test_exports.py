"""Items 2 and 3 of issue #10, the export side: every CSV and XLSX export writes text as
text. Titles and names that a spreadsheet would run as a formula (OWASP "CSV injection")
or that carry control characters are written with SQL (input validation would refuse some
of them, and older rows may hold anything), then every export is fetched by everyone who
may: each file opens, no cell is a formula, each such text is neutralised, numbers stay
numbers. Then engine.io.cells, the one helper every export writes through, on its own."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as OPENPYXL_ILLEGAL
from sqlalchemy import text

from engine import services as svc
from engine.io import cells
from engine.practices import publish
from tests.web import conftest as web_conftest
from tests.web.conftest import add_diagnosis, fire
from tests.web.test_reports import close_project

web = web_conftest.web  # the pages' tests' signed-in browsers (the app is tests/conftest.py's)

PAYLOADS = {
    "equals": "=1+2",
    "plus": "+SUM(1,2)",
    "minus": "-2+3",
    "at": "@SUM(1,2)",
    "hyperlink": '=HYPERLINK("http://x","y")',
    "control": "\x01=1+2\x1b",  # the control characters go, the formula is still neutralised
    "escape": "Школа\x1b[31m\x0b №1\x1f",
    "tab": "\t=1+2",
    "error-code": "#N/A",
    "fullwidth": "\uff1dSUM(1,2)",
}


def poison_all_text(store: Any, region_id: int, payload: str) -> set[str]:
    """Every text column an export writes, in the region (and every user's name), set to
    ``payload`` and a tag of the row (distinct, still beginning with the payload). Returns
    the values written."""
    written: set[str] = set()
    tables = [  # (table, column, rows of the region, tag)
        ("region", "name", "id = :r", "reg"),
        ("municipality", "name", "region_id = :r", "mun"),
        ("organization", "name", "region_id = :r", "org"),
        ("project", "title", "region_id = :r", "pro"),
        ("project", "reg_number", "region_id = :r", "num"),
        ("risk", "title", "project_id IN (SELECT id FROM project WHERE region_id = :r)", "ris"),
        ("practice", "title", "region_id = :r", "pra"),
        ('"user"', "name", "1 = 1", "use"),
    ]
    with store.engine.begin() as conn:
        for table, column, where, tag in tables:
            ids = conn.execute(text(f"SELECT id FROM {table} WHERE {where} ORDER BY id"), {"r": region_id}).scalars()
            for row_id in list(ids):
                value = f"{payload} {tag}{row_id}"
                conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), {"v": value, "id": row_id})
                written.add(value)
    return written


@pytest.fixture
def region_of_everything(make, store, world, member_of_school, head_of_school, curator_orel, frozen_clock):
    """Orel: a closed project published as a practice, one waiting for the head's approval
    with an unresolved risk and a leader, all stalled 50 days later; a project in Kursk."""
    closed = make.project(world.school, member_of_school.actor, title="Оптимизация подготовки контрольной")
    close_project(make, store, closed.id, member_of_school, head_of_school)
    with store.uow() as uow:
        publish(uow, curator_orel.actor, closed.id, {"category": "meals", "summary": "Шаблоны"})
    waiting = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи справок",
                           leader_id=member_of_school.id)
    make.call(svc.log_risk, member_of_school.actor, waiting.id,
              {"title": "Сопротивление педагогов", "probability": 4, "impact": 4})
    add_diagnosis(make, waiting.id, member_of_school)
    assert fire(make, store, waiting.id, member_of_school, "to_target").request is not None
    make.project(world.other_school, make.person("member", org=world.other_school).actor)
    make.project(world.other_region_school, make.person("member", org=world.other_region_school).actor,
                 title="=1+2 Курск")
    frozen_clock.advance(days=50)
    return {"closed": closed, "waiting": waiting}


def clean(value: str) -> str:
    return OPENPYXL_ILLEGAL.sub("", value).replace("\ufffe", "").replace("\uffff", "")


def dangerous(value: str) -> bool:
    return (value.startswith(("\t", "\r"))
            or value.lstrip().startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")))


def check_workbook(body: bytes, written: set[str]) -> set[str]:
    """The workbook opens; no cell is a formula or an error value; every text is clean; a
    poisoned value is a plain string cell (marked as text when it looks like a formula).
    Returns the poisoned values found."""
    wb = load_workbook(io.BytesIO(body))  # every XML part parses
    expected = {clean(v): v for v in written}
    found: set[str] = set()
    for ws in wb.worksheets:
        assert len(ws.title) <= 31 and not OPENPYXL_ILLEGAL.search(ws.title)
        assert not set(ws.title) & set("[]:*?/\\")
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not OPENPYXL_ILLEGAL.search(cell.value), (ws.title, cell.coordinate)
                    assert not cell.value.startswith("=") or cell.data_type == "s"
                    if cell.value in expected:
                        found.add(cell.value)
                        assert cell.data_type == "s"
                        assert cell.quotePrefix == dangerous(cell.value), (ws.title, cell.coordinate, cell.value)
                if cell.hyperlink is not None:
                    assert not cell.hyperlink.target, "links stay inside the workbook"
                    assert cell.hyperlink.location.rsplit("!", 1)[0].strip("'").replace("''", "'") in wb.sheetnames
    return found


def check_csv(body: str, written: set[str]) -> tuple[list[list[str]], set[str]]:
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline=""), delimiter=";"))
    expected = {clean(v) for v in written}
    found = set()
    for row in rows:
        for value in row:
            assert not OPENPYXL_ILLEGAL.search(value)
            assert not dangerous(value), f"{value!r} would be a formula"
            bare = value[1:] if value.startswith("'") else value
            if bare in expected:
                found.add(bare)
                assert value == ("'" + bare if dangerous(bare) else bare)
    return rows, found


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_tower_xlsx_writes_text_as_text(web, store, world, curator_orel, admin, region_of_everything, payload):
    written = poison_all_text(store, world.region.id, payload)
    for who, path in ((curator_orel, "/tower.xlsx"), (admin, f"/tower.xlsx?region_id={world.region.id}")):
        r = web(who).get(path)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        found = check_workbook(r.data, written)
        wb = load_workbook(io.BytesIO(r.data))
        # every kind of poisoned text was in the file: region, organisations, municipality,
        # project titles and numbers, risk title, the leader's name
        region, = (v for v in found if v.endswith(f"reg{world.region.id}"))
        assert wb["Сводка"]["B2"].value == region
        tags = {v.rsplit(" ", 1)[1][:3] for v in found}
        assert {"reg", "mun", "org", "pro", "num", "ris", "use"} <= tags
        # numbers stay numbers
        risks = list(wb["Риски"].iter_rows(min_row=2, values_only=True))
        assert risks and all(isinstance(row[2], int) and isinstance(row[4], int) for row in risks)
        # the organisations' sheets exist, reached by links (not formulas)
        links = [row[-1] for row in wb["По организациям"].iter_rows(min_row=2) if row[-1].hyperlink]
        assert len(links) == 2 and len(wb.sheetnames) == 5 + 2
        for sheet in wb.sheetnames[5:]:
            rows = list(wb[sheet].iter_rows(min_row=2, values_only=True))
            assert rows and all(isinstance(row[4], int) and isinstance(row[7], int) for row in rows)
            assert all(isinstance(row[3], datetime) for row in rows)  # dates stay dates


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_summary_xlsx_writes_text_as_text(web, store, world, curator_orel, admin, region_of_everything, payload):
    written = poison_all_text(store, world.region.id, payload)
    for who, path in ((curator_orel, "/tower/summary.xlsx"),
                      (admin, f"/tower/summary.xlsx?region_id={world.region.id}")):
        r = web(who).get(path)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        found = check_workbook(r.data, written)
        tags = {v.rsplit(" ", 1)[1][:3] for v in found}
        assert {"mun", "org", "pra"} <= tags  # municipalities, the practice's organisation, its title
        wb = load_workbook(io.BytesIO(r.data))
        assert clean(payload) in wb["Сводка"]["A1"].value  # the region's name, inside the title
        practice = list(wb["Практики"].iter_rows(min_row=4, values_only=True))[0]
        assert isinstance(practice[4], datetime) and isinstance(practice[6], int)
        muns = list(wb["По муниципалитетам"].iter_rows(min_row=4, values_only=True))
        assert all(isinstance(x, int) for row in muns for x in row[1:5])


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_projects_csv_writes_text_as_text(web, store, world, member_of_school, head_of_school, curator_orel,
                                          admin, region_of_everything, payload):
    written = poison_all_text(store, world.region.id, payload)
    for who, visible in ((member_of_school, 2), (head_of_school, 2), (curator_orel, 3), (admin, 4)):
        r = web(who).get("/projects.csv")
        assert r.status_code == 200
        body = r.get_data(as_text=True)
        rows, found = check_csv(body, written)
        assert len(rows) == 1 + visible
        tags = {v.rsplit(" ", 1)[1][:3] for v in found}
        assert {"org", "pro", "num"} <= tags  # organisations, project titles and numbers
        for row in rows[1:]:
            assert row[4].isdecimal() and row[6].isdecimal()  # numbers stay numbers
        if dangerous(clean(payload)):  # text is quoted in the file, numbers are not
            assert '"\'' + clean(payload).replace('"', '""') in body


@pytest.mark.parametrize("state", ["%00", "diagnose%00", "%01", "x" * 5000, "%FF%FE", "%0D%0A=1+2"])
def test_projects_csv_with_odd_states_is_never_a_500(web, world, member_of_school, region_of_everything, state):
    r = web(member_of_school).get(f"/projects.csv?state={state}")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Номер"


def test_a_sheet_name_made_of_forbidden_characters(web, store, world, curator_orel, region_of_everything):
    """An organisation named only with what sheet names may not hold, and one named as
    Excel's reserved sheet: the tower still opens, with a sheet for each."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE organization SET name = :n WHERE id = :id"),
                     {"n": "[]:*?/\\'\x01\x1f", "id": world.school.id})
        conn.execute(text("UPDATE organization SET name = :n WHERE id = :id"),
                     {"n": "History", "id": world.other_school.id})
    r = web(curator_orel).get("/tower.xlsx")
    assert r.status_code == 200
    check_workbook(r.data, set())
    names = load_workbook(io.BytesIO(r.data)).sheetnames
    assert sorted(names[5:]) == ["History (2)", "Организация"]


# --- engine.io.cells on its own ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=1+2", "+SUM(1,2)", "-2+3", "@SUM(1,2)", "\t=1+2", "\r=1+2",
                                   '=HYPERLINK("http://x","y")', "\uff1d1+2", "-", "="])
def test_csv_prefixes_what_would_be_a_formula(value):
    assert cells.csv_value(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), (True, "да"), (False, "нет"), (-2, -2), (0, 0), (2.5, 2.5), (-1e308, -1e308),
    (float("inf"), ""), (float("-inf"), ""), (float("nan"), ""), (Decimal("-3.5"), Decimal("-3.5")),
    (Decimal("NaN"), ""), (Decimal("sNaN"), ""), (10 ** 400, 10 ** 400),
    (date(2026, 9, 1), "2026-09-01"), (datetime(2026, 9, 1, 9, 30), "2026-09-01T09:30:00"),
    ("Оптимизация питания", "Оптимизация питания"), ("a=b", "a=b"), ("1-2", "1-2"),
    (" =1+2", "' =1+2"), ("\n@x", "'\n@x"),
    ("\x01\x1b=1+2", "'=1+2"), ("две\nстроки\tи таб", "две\nстроки\tи таб"), ("\x00\x08\x0b\x0c\x0e\x1f", ""),
    ("#N/A", "#N/A"), ("'=1+2", "'=1+2"),
])
def test_csv_values(value, expected):
    got = cells.csv_value(value)
    assert got == expected and type(got) is type(expected)


def test_csv_writer_quotes_text_and_leaves_numbers_bare():
    out = io.StringIO()
    w = cells.csv_writer(out)
    w.writerow(["=1+2", -2, 2.5, None, "a;b", "-2"])
    w.writerows([["@x"]])
    assert out.getvalue() == "\"'=1+2\";-2;2.5;\"\";\"a;b\";\"'-2\"\r\n\"'@x\"\r\n"
    assert list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))[0] == ["'=1+2", "-2", "2.5", "", "a;b", "'-2"]


def test_the_illegal_characters_cover_openpyxls():
    every = "".join(chr(i) for i in range(0x20)) + "\ufffe\uffff"
    assert cells.clean_text(every) == "\t\n\r"
    assert not OPENPYXL_ILLEGAL.search(cells.clean_text(every))


@pytest.mark.parametrize("write_only", [True, False], ids=["write-only", "normal"])
def test_xlsx_cells(write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("Лист")
    values = ["=1+2", "+SUM(1,2)", "-2+3", "@SUM(1,2)", '=HYPERLINK("http://x","y")', "\x01=1+2\x1b", "#N/A",
              "#DIV/0!", "Обычный текст", "x" * 40_000, -2, 2.5, Decimal("1.25"), float("inf"), float("nan"),
              1e308, True, None, date(2026, 9, 1), datetime(2026, 9, 1, 12, 0, tzinfo=UTC), 10 ** 400]
    if write_only:
        ws.append(cells.xlsx_row(ws, values))
    else:
        for col, value in enumerate(values, start=1):
            cells.put(ws.cell(row=1, column=col), value)
    buf = io.BytesIO()
    wb.save(buf)
    row = next(load_workbook(io.BytesIO(buf.getvalue()))["Лист"].iter_rows())
    got = {i: (c.value, c.data_type, c.quotePrefix) for i, c in enumerate(row)}
    for i, value in enumerate(["=1+2", "+SUM(1,2)", "-2+3", "@SUM(1,2)", '=HYPERLINK("http://x","y")', "=1+2"]):
        assert got[i] == (value, "s", True)
    assert got[6] == ("#N/A", "s", False) and got[7] == ("#DIV/0!", "s", False)
    assert got[8] == ("Обычный текст", "s", False)
    assert got[9][0] == "x" * 32_767 and got[9][1] == "s"
    assert got[10][:2] == (-2, "n") and got[11][:2] == (2.5, "n") and got[12][:2] == (1.25, "n")
    assert got[13][0] is None and got[14][0] is None  # infinities and NaN: empty
    assert got[15][:2] == ("1e+308", "s")  # beyond Excel's range: its text
    assert got[16][:2] == (True, "b") and got[17][0] is None
    assert got[18][0] == datetime(2026, 9, 1) and row[18].number_format == "DD.MM.YYYY"
    assert got[19][0] == datetime(2026, 9, 1, 12, 0)  # UTC, without the zone Excel cannot hold
    assert got[20][1] == "s"


@pytest.mark.parametrize("write_only", [True, False], ids=["write-only", "normal"])
def test_links_between_sheets_are_hyperlinks(write_only):
    wb = Workbook(write_only=write_only)
    first, second = wb.create_sheet("Список"), wb.create_sheet("Школа №1")
    if write_only:
        from openpyxl.cell import WriteOnlyCell
        first.append([cells.link_to_sheet(WriteOnlyCell(first), "Школа №1")])
        second.append(cells.xlsx_row(second, ["a"]))
    else:
        cells.link_to_sheet(first.cell(row=1, column=1), "Школа №1", text="=открыть")
    buf = io.BytesIO()
    wb.save(buf)
    cell = load_workbook(io.BytesIO(buf.getvalue()))["Список"]["A1"]
    assert cell.data_type == "s" and cell.value == ("Школа №1" if write_only else "=открыть")
    assert cell.hyperlink.location == "'Школа №1'!A1" and not cell.hyperlink.target
    assert cells.sheet_location("It's") == "'It''s'!A1"


@pytest.mark.parametrize(("name", "taken", "expected"), [
    ("МБОУ «Лицей № 1 имени М. В. Ломоносова» г. Орла", set(), "МБОУ «Лицей № 1 имени М. В. Лом"),
    ("Школа [а/б]: что?*", set(), "Школа а б что"),
    ("Школа № 5", {"школа № 5"}, "Школа № 5 (2)"),
    ("", set(), "Лист"),
    ("\x01\x1b\x7f\x9f", set(), "Лист"),
    ("=1+2\x01", set(), "=1+2"),
    ("history", set(), "history (2)"),
    ("😀" * 20, set(), "😀" * 15),  # Excel counts UTF-16 units: 31 at most
    ("x" * 40, {"x" * 31}, "x" * 27 + " (2)"),
])
def test_sheet_names_follow_excels_rules(name, taken, expected):
    for names in (set(taken), cells.SheetNames(taken)):  # a plain set, and the one the big workbook keeps
        got = cells.sheet_name(name, names)
        assert got == expected and got in names and len(got.encode("utf-16-le")) // 2 <= 31
    assert cells.sheet_name(name.upper() or "x", names) not in taken | {got}  # unique regardless of case


def test_every_export_writes_through_engine_cells():
    """Present and future: no module but engine.io.cells makes a CSV writer, and every module
    that builds a workbook writes its cells through engine.io.cells."""
    root = Path(__file__).resolve().parents[2]
    for path in sorted([*root.glob("engine/**/*.py"), *root.glob("webui/**/*.py")]):
        if path == root / "engine" / "io" / "cells.py":
            continue
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(root)
        assert "csv.writer(" not in source and "DictWriter(" not in source, f"{name}: use engine.io.cells.csv_writer"
        if "Workbook(" in source:
            assert "from engine.io import cells" in source or "from engine.io.cells import" in source, name
            assert "value=" not in source, f"{name}: a cell's value goes through engine.io.cells.put"


def test_the_passwords_file_of_an_import_writes_text_as_text(tmp_path):
    from webui.cli import _write_passwords
    path = tmp_path / "passwords.csv"
    _write_passwords(str(path), [("=1+2@school.ru", "abcDEF23"), ("a;=cmd@school.ru", "xyz")])
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [["email", "password"], ["'=1+2@school.ru", "abcDEF23"], ["a;=cmd@school.ru", "xyz"]]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_long_text_is_cut_as_excel_counts():
    """At most 32,767 UTF-16 units a cell (an emoji is two), a pair never split."""
    assert cells.xlsx_value("😀" * 40_000) == "😀" * 16_383
    assert cells.xlsx_value("a" + "😀" * 40_000) == "a" + "😀" * 16_383
    assert cells.sheet_name("x" * 1_000_000, set()) == "x" * 31
