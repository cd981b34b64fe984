"""A programme's participants from a CSV or XLSX file (issue #13 item 2):
``leanschool import participants FILE --programme ID``, the real command on the test's
database, through the same plan-then-apply machinery as the organisations' import."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

from engine.models import Event, Participant
from engine.programme import service as P
from webui import cli


@pytest.fixture
def leanschool(db_url: str) -> Callable[..., Any]:
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli.main, list(args), env={"DATABASE_URL": db_url}, catch_exceptions=False)
    return run


@pytest.fixture
def programme(make: Any, world: Any, curator_orel: Any) -> Any:
    return make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа", "starts_on": "2026-01-01",
        "ends_on": "2027-12-31",
        "stages": [{"title": "Подготовительный", "starts_on": "2026-01-01", "ends_on": "2027-12-31"}]})


@pytest.fixture
def orgs(make: Any, world: Any) -> dict[str, Any]:
    """Two more organisations of the region: one with an ИНН, one in another municipality."""
    livny = make.municipality(world.region, "г. Ливны")
    return {"gymnasium": make.org(world.municipality, "МБОУ «Гимназия №19»", inn="5751000010"),
            "livny": make.org(livny, "МБОУ «Лицей имени С.Н. Булгакова»")}


def participants(store: Any) -> dict[int, Participant]:
    with store.uow() as uow:
        rows = list(uow.session.execute(select(Participant)).scalars())
        uow.session.expunge_all()
    return {p.org_id: p for p in rows}


def added_events(store: Any) -> int:
    with store.uow() as uow:
        return len(list(uow.session.execute(select(Event).where(Event.kind == "participant_added")).scalars()))


def write(path: Path, text: str) -> Path:
    path.write_text("\ufeff" + text, encoding="utf-8")
    return path


def test_a_csv_adds_participants_found_by_inn_or_by_name_and_municipality(
        leanschool, store, world, programme, orgs, tmp_path):
    f = write(tmp_path / "p.csv", "ИНН;Наименование;Муниципалитет;Волна;Дата вступления\n"
                                  "5751000010;;;1;01.09.2026\n"
                                  ";МБОУ «Лицей имени С.Н. Булгакова»;Ливны;2;\n"
                                  f";{world.school.name};г. Орёл;;\n")
    result = leanschool("import", "participants", str(f), "--programme", str(programme.id))
    assert result.exit_code == 0, result.output
    assert "Участники программы: добавлено 3, изменено 0, без изменений 0." in result.stdout
    joined = participants(store)
    assert set(joined) == {orgs["gymnasium"].id, orgs["livny"].id, world.school.id}
    assert joined[orgs["gymnasium"].id].joined_on.isoformat() == "2026-09-01"
    assert joined[orgs["livny"].id].wave == 2 and joined[world.school.id].wave == 1
    assert added_events(store) == 3  # each through the service, with its audit event

    again = leanschool("import", "participants", str(f), "--programme", str(programme.id))
    assert again.exit_code == 0, again.output
    assert "добавлено 0, изменено 0, без изменений 3." in again.stdout
    assert added_events(store) == 3


def test_an_xlsx_reads_the_same_and_a_date_cell_is_a_date(leanschool, store, programme, orgs, tmp_path):
    from datetime import date
    wb = Workbook()
    ws = wb.active
    ws.append(["ИНН", "Волна", "Дата вступления"])
    ws.append([5751000010, 3, date(2026, 10, 15)])  # a number and a real date, as Excel stores them
    path = tmp_path / "p.xlsx"
    wb.save(path)
    result = leanschool("import", "participants", str(path), "--programme", str(programme.id))
    assert result.exit_code == 0, result.output
    part = participants(store)[orgs["gymnasium"].id]
    assert (part.wave, part.joined_on) == (3, date(2026, 10, 15))


def test_one_bad_row_names_its_row_and_column_and_nothing_is_written(leanschool, store, programme, orgs, tmp_path):
    f = write(tmp_path / "p.csv", "ИНН;Наименование;Муниципалитет;Волна;Дата вступления\n"
                                  "5751000010;;;1;\n"
                                  "5751999995;;;1;\n"
                                  ";МБОУ «Лицей имени С.Н. Булгакова»;Нет такого;1;\n"
                                  ";МБОУ «Лицей имени С.Н. Булгакова»;г. Ливны;седьмая;\n"
                                  ";МБОУ «Лицей имени С.Н. Булгакова»;г. Ливны;1;31.02.2026\n")
    result = leanschool("import", "participants", str(f), "--programme", str(programme.id))
    assert result.exit_code != 0
    assert "строка 3, столбец «ИНН»: в регионе «Орловская область» нет организации с ИНН 5751999995" in result.stderr
    assert "строка 4, столбец «Муниципалитет»: нет муниципалитета «Нет такого»" in result.stderr
    assert "строка 5, столбец «Волна»: волна — целое число от 1 до 100, а здесь «седьмая»" in result.stderr
    assert "строка 6, столбец «Дата вступления»: не дата: «31.02.2026»" in result.stderr
    assert "Traceback" not in result.output
    assert participants(store) == {} and added_events(store) == 0

    skipped = leanschool("import", "participants", str(f), "--programme", str(programme.id), "--skip-bad")
    assert skipped.exit_code == 0, skipped.output
    assert set(participants(store)) == {orgs["gymnasium"].id}


def test_dry_run_writes_nothing_and_a_taken_part_or_withdrawn_one_is_reported(
        leanschool, store, make, world, programme, orgs, curator_orel, tmp_path):
    part = make.call(P.add_participant, curator_orel.actor, programme.id,
                     {"org_id": world.school.id, "joined_on": "2026-02-01", "wave": 1})
    make.call(P.withdraw_participant, curator_orel.actor, part.id, {"reason": "реорганизация"})
    f = write(tmp_path / "p.csv", "Наименование;Муниципалитет;Волна\n"
                                  f"{world.school.name};г. Орёл;2\n"
                                  "МБОУ «Гимназия №19»;г. Орёл;1\n")
    dry = leanschool("import", "participants", str(f), "--programme", str(programme.id), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Пробный запуск: ничего не записано. Было бы: добавлено 1, изменено 0, без изменений 1." in dry.stdout
    assert "выбыла из программы" in dry.stdout
    assert set(participants(store)) == {world.school.id}


def test_an_unknown_programme_or_file_is_one_clear_line(leanschool, programme, tmp_path):
    f = write(tmp_path / "p.csv", "ИНН\n5751000010\n")
    result = leanschool("import", "participants", str(f), "--programme", "999")
    assert result.exit_code != 0
    assert f"нет программы 999; есть: {programme.id} «Бережливая школа»" in result.output
    no_column = write(tmp_path / "q.csv", "Волна\n1\n")
    result = leanschool("import", "participants", str(no_column), "--programme", str(programme.id))
    assert result.exit_code != 0 and "нужен столбец «ИНН» или «Наименование»" in result.output
    assert "Traceback" not in result.output
