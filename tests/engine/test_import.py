"""Onboarding a region from files: ``leanschool import orgs|users FILE`` (engine.io.onboarding).

The real command runs against the test's own database (a SQLite file, or PostgreSQL with
LEANSCHOOL_TEST_DB=postgresql): in-process through click's CliRunner, and as the installed
console script where the process boundary matters (locale, exit code, no traceback).
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

from engine.demo.world import municipalities
from engine.errors import ValidationFailed
from engine.models import Event, Municipality, Organization, RoleGrant, User
from engine.policy import SYSTEM
from engine.services import admin as admin_svc
from webui import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
COUNTED = ("organization", "user", "role_grant", "event")
ORG_HEADER = "ИНН;Наименование;Тип;Муниципалитет"
LYCEUM = "МБОУ «Лицей №1 им. М.В. Ломоносова»"


@pytest.fixture
def oryol(make: Any) -> Any:
    """Oryol oblast with its 27 real municipalities and no organisations yet."""
    region = make.region("Орловская область", code="57")
    for _kind, name in municipalities():
        make.municipality(region, name)
    return region


@pytest.fixture
def leanschool(db_url: str) -> Callable[..., Any]:
    """``leanschool("import", "orgs", path)``: the real command on the test's database."""
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli.main, list(args), env={"DATABASE_URL": db_url}, catch_exceptions=False)
    return run


@pytest.fixture
def counts(row_counts: Callable[[], dict[str, int]]) -> Callable[[], dict[str, int]]:
    return lambda: {t: n for t, n in row_counts().items() if t in COUNTED}


def write_csv(path: Path, text: str, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def read(store: Any, stmt: Any) -> list[Any]:
    with store.uow() as uow:
        rows = list(uow.session.execute(stmt).scalars())
        uow.session.expunge_all()
        return rows


def event_kinds(store: Any) -> list[str]:
    return [e.kind for e in read(store, select(Event).order_by(Event.id))]


# --- the example files ------------------------------------------------------------------------

def test_the_example_files_onboard_a_region(oryol, leanschool, store, tmp_path):
    orgs = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"))
    assert orgs.exit_code == 0, orgs.output
    assert "Организации: создано 8, изменено 0, без изменений 0." in orgs.stdout
    passwords = tmp_path / "passwords.csv"
    users = leanschool("import", "users", str(EXAMPLES / "users.csv"), "--passwords-out", str(passwords))
    assert users.exit_code == 0, users.output
    assert "Пользователи: создано 9, изменено 0, без изменений 0." in users.stdout
    assert users.stderr.startswith("Запись")  # the progress bar (on a terminal it moves)

    by_name = {o.name: o for o in read(store, select(Organization))}
    assert len(by_name) == 8
    lyceum = by_name["МБОУ «Лицей имени С.Н. Булгакова» г. Ливны"]
    assert lyceum.kind == "school" and lyceum.inn is None
    assert by_name["БПОУ ОО «Новосильский аграрный техникум»"].kind == "college"
    assert by_name["БПОУ ОО «Новосильский аграрный техникум»"].inn == "5718000341"
    kinds = event_kinds(store)
    assert kinds.count("organization_created") == 8 and kinds.count("user_created") == 9

    # every new user got a password that works; only its hash is stored
    rows = list(csv.reader(passwords.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["email", "password"] and len(rows) == 10
    assert oct(passwords.stat().st_mode & 0o777) == "0o600"
    users_by_email = {u.email: u for u in read(store, select(User))}
    for email, password in rows[1:]:
        stored = users_by_email[email].password_hash
        assert password not in stored and admin_svc.verify_password(password, stored)

    grants = {(g.user_id, g.role, g.org_id, g.region_id) for g in read(store, select(RoleGrant))}
    curator = users_by_email["kuznetsova.mv@obr-orel.example.org"]
    assert (curator.id, "curator", None, oryol.id) in grants
    head = users_by_email["volkov.dp@licey-livny.example.org"]  # found by name + municipality
    assert (head.id, "head", lyceum.id, None) in grants


def test_the_example_participants_join_a_programme(oryol, make, leanschool, store, tmp_path):
    from engine.models import Participant
    from engine.programme import service as programme_svc
    assert leanschool("import", "orgs", str(EXAMPLES / "orgs.csv")).exit_code == 0
    curator = make.person("curator", region=oryol)
    prog = make.call(programme_svc.create_programme, curator.actor, {
        "region_id": oryol.id, "title": "Бережливая школа", "starts_on": "2021-09-01", "ends_on": "2024-08-31",
        "stages": [{"title": "Подготовительный", "starts_on": "2021-09-01", "ends_on": "2024-08-31"}]})
    result = leanschool("import", "participants", str(EXAMPLES / "participants.csv"), "--programme", str(prog.id))
    assert result.exit_code == 0, result.output
    assert "Участники программы: добавлено 5, изменено 0, без изменений 0." in result.stdout
    waves = sorted(p.wave for p in read(store, select(Participant)))
    assert waves == [1, 1, 1, 2, 2]


def test_a_fresh_installation_is_onboarded_with_create_missing(leanschool, store, counts, tmp_path):
    """No region, no municipalities: --create-missing makes the region named by --region
    and the municipalities the file names (a dry run first writes nothing); then the users."""
    empty = counts()
    dry = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--region", "Орловская область",
                     "--create-missing", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Новый регион: Орловская область" in dry.stdout and "Новые муниципалитеты:" in dry.stdout
    assert counts() == empty and read(store, select(Municipality)) == []

    without = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--region", "Орловская область")
    assert without.exit_code != 0 and "нет региона «Орловская область»" in without.stderr

    real = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--region", "Орловская область",
                      "--create-missing")
    assert real.exit_code == 0, real.output
    muns = {m.name: m for m in read(store, select(Municipality))}
    named = {row[3] for row in csv.reader((EXAMPLES / "orgs.csv").read_text(encoding="utf-8-sig")
                                          .splitlines()[1:], delimiter=";")}
    assert set(muns) == named  # one per name the file uses, no more
    assert all(m.kind == ("city" if name.startswith("г.") else "district") for name, m in muns.items())
    assert len(read(store, select(Organization))) == 8
    kinds = event_kinds(store)
    assert kinds.count("region_created") == 1 and kinds.count("municipality_created") == len(named)

    again = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--region", "Орловская область",
                       "--create-missing")
    assert again.exit_code == 0 and "Новый" not in again.stdout  # nothing is created twice
    users = leanschool("import", "users", str(EXAMPLES / "users.csv"), "--passwords-out", str(tmp_path / "p.csv"))
    assert users.exit_code == 0, users.output


def test_the_same_files_twice_create_nothing_new(oryol, leanschool, counts, tmp_path):
    assert leanschool("import", "orgs", str(EXAMPLES / "orgs.csv")).exit_code == 0
    assert leanschool("import", "users", str(EXAMPLES / "users.csv"),
                      "--passwords-out", str(tmp_path / "p.csv")).exit_code == 0
    before = counts()

    orgs = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"))
    users = leanschool("import", "users", str(EXAMPLES / "users.csv"))

    assert orgs.exit_code == 0 and users.exit_code == 0, orgs.output + users.output
    assert counts() == before  # not even an event
    assert "Организации: создано 0, изменено 0, без изменений 8." in orgs.stdout
    assert "Пользователи: создано 0, изменено 0, без изменений 9." in users.stdout
    assert "строка 2: без изменений — " in orgs.stdout
    assert "Пароли" not in users.stdout  # nobody new, no password


def test_xlsx_and_a_semicolon_csv_with_a_bom_read_the_same(oryol, leanschool, counts):
    xlsx = leanschool("import", "orgs", str(EXAMPLES / "orgs.xlsx"))
    assert xlsx.exit_code == 0, xlsx.output
    assert "создано 8" in xlsx.stdout
    assert (EXAMPLES / "orgs.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel writes
    before = counts()
    again = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"))  # ИНН numbers in XLSX = text in CSV
    assert again.exit_code == 0, again.output
    assert "без изменений 8" in again.stdout and counts() == before


def test_a_comma_csv_without_bom_and_english_headers(oryol, leanschool, store, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", "name,kind,municipality\n"
                     f'"{LYCEUM}, Орёл",school,Орёл\n'
                     "МБДОУ «Детский сад №5»,Детский сад,  г.  ОРЁЛ \n")
    result = leanschool("import", "orgs", str(path))
    assert result.exit_code == 0, result.output
    orgs = read(store, select(Organization).order_by(Organization.id))
    assert [(o.name, o.kind) for o in orgs] == [(f"{LYCEUM}, Орёл", "school"),
                                                ("МБДОУ «Детский сад №5»", "kindergarten")]


def test_an_xlsx_with_an_error_names_its_row_and_column(oryol, leanschool, counts, tmp_path):
    book = Workbook()
    book.active.append(["ИНН", "Наименование", "Тип", "Муниципалитет"])
    book.active.append([5753012340, "МБОУ СОШ №12", "школа", "г. Орёл"])
    book.active.append([None, None, None, None])  # an empty row keeps its number
    book.active.append([None, "МБОУ СОШ №13", "гимназия", "г. Орёл"])
    book.save(tmp_path / "orgs.xlsx")
    before = counts()
    result = leanschool("import", "orgs", str(tmp_path / "orgs.xlsx"))
    assert result.exit_code == 1
    assert "строка 4, столбец «Тип»: неизвестный тип «гимназия»" in result.stderr
    assert counts() == before


# --- refusing -----------------------------------------------------------------------------------

def test_one_bad_row_refuses_the_whole_file_and_writes_nothing(oryol, leanschool, counts, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", ORG_HEADER + "\n"
                     "5753012340;МБОУ СОШ №12;школа;г. Орёл\n"
                     ";МБДОУ «Детский сад №34»;детский сад;г. Орёл\n"
                     ";МБОУ СОШ №1;лицей;г. Мценск\n"
                     ";МБОУ СОШ №2;школа;г. Мценск\n", bom=True)
    before = counts()
    result = leanschool("import", "orgs", str(path))
    assert result.exit_code == 1
    assert "строка 4, столбец «Тип»: неизвестный тип «лицей»" in result.stderr
    assert "строк с ошибками: 1 (4); ничего не записано" in result.stderr
    assert "Traceback" not in result.output
    assert counts() == before


def test_a_bad_users_row_refuses_the_file(oryol, leanschool, counts, tmp_path):
    assert leanschool("import", "orgs", str(EXAMPLES / "orgs.csv")).exit_code == 0
    path = write_csv(tmp_path / "users.csv", "email;ФИО;роль;ИНН\n"
                     "a.ivanova@sch12.example.org;Иванова Анна;участник;5753012340\n"
                     "b.petrov@sch12;Петров Борис;участник;5753012340\n")
    before = counts()
    result = leanschool("import", "users", str(path))
    assert result.exit_code == 1
    assert "строка 3, столбец «email»: неверный адрес электронной почты «b.petrov@sch12»" in result.stderr
    assert counts() == before


def test_dry_run_shows_the_plan_and_writes_nothing(oryol, leanschool, counts):
    before = counts()
    orgs = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--dry-run")
    assert orgs.exit_code == 0, orgs.output
    assert "строка 2: создание — МБОУ «Средняя общеобразовательная школа №12» г. Орла (г. Орёл)" in orgs.stdout
    assert "Пробный запуск: ничего не записано. Было бы: создано 8" in orgs.stdout
    assert counts() == before
    users = leanschool("import", "users", str(EXAMPLES / "users.csv"), "--dry-run")
    assert users.exit_code == 1  # the organisations are not there yet
    assert "нет организации с ИНН 5753012340; сначала импортируйте организации" in users.stderr
    assert counts() == before


def test_dry_run_of_users_prints_no_password(oryol, leanschool, counts):
    assert leanschool("import", "orgs", str(EXAMPLES / "orgs.csv")).exit_code == 0
    before = counts()
    users = leanschool("import", "users", str(EXAMPLES / "users.csv"), "--dry-run")
    assert users.exit_code == 0, users.output
    assert "Было бы: создано 9" in users.stdout and "Пароли" not in users.stdout
    assert counts() == before


def test_skip_bad_writes_the_good_rows_and_reports_the_bad(oryol, leanschool, store, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", ORG_HEADER + "\n"
                     ";МБОУ СОШ №12;школа;г. Орёл\n"
                     "1234567890;МБОУ СОШ №13;школа;г. Орёл\n"
                     ";МБОУ СОШ №14;школа;Орловский район\n"
                     ";МБОУ СОШ №15;школа;Южный район\n")
    result = leanschool("import", "orgs", str(path), "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "строка 3, столбец «ИНН»: неверный ИНН «1234567890»" in result.stderr
    assert "строка 5, столбец «Муниципалитет»: нет муниципалитета «Южный район» в регионе «Орловская область»" \
        in result.stderr
    assert "Муниципалитеты региона «Орловская область»: " in result.stderr
    assert "Кромской район" in result.stderr  # the known ones are listed
    assert "Организации: создано 2, изменено 0, без изменений 0, пропущено строк с ошибками 2." in result.stdout
    assert sorted(o.name for o in read(store, select(Organization))) == ["МБОУ СОШ №12", "МБОУ СОШ №14"]


def test_duplicates_within_the_file_name_the_first_row(oryol, leanschool, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", ORG_HEADER + "\n"
                     "5753012340;МБОУ СОШ №12;школа;г. Орёл\n"
                     ";МБОУ СОШ №7;школа;г. Орёл\n"
                     "5753012340;МБОУ СОШ №12 (корпус 2);школа;г. Орёл\n"
                     ";МБОУ  сош №7;Школа;г. Орел\n")
    result = leanschool("import", "orgs", str(path))
    assert result.exit_code == 1
    assert "строка 4, столбец «ИНН»: ИНН 5753012340 уже был в строке 2" in result.stderr
    assert "строка 5, столбец «Наименование»: строка повторяет строку 3" in result.stderr
    users = write_csv(tmp_path / "users.csv", "email,name,role,region\n"
                      "k@obr.example.org,Кузнецова М.В.,curator,\n"
                      "K@obr.example.org,Кузнецова М.В.,куратор,Орловская область\n"
                      "k@obr.example.org,Кузнецова Марина,admin,\n")
    result = leanschool("import", "users", str(users))
    assert "строка 3, столбец «email»: строка повторяет строку 2 (тот же пользователь и роль)" in result.stderr
    assert "строка 4, столбец «name»: ФИО отличается от строки 2 с тем же e-mail" in result.stderr


def test_a_missing_column_is_one_clear_message(oryol, leanschool, counts, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", "Наименование;Тип\nМБОУ СОШ №12;школа\n")
    result = leanschool("import", "orgs", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "leanschool: нет обязательного столбца: «Муниципалитет» (municipality); в файле есть: «Наименование», «Тип»"]
    users = write_csv(tmp_path / "users.csv", "ФИО;Роль\nИванова;участник\n")
    result = leanschool("import", "users", str(users))
    assert result.exit_code == 1
    assert "«E-mail» (email)" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("name, content, message", [
    ("garbage.csv", bytes(range(256)) * 8, "garbage.csv: это не текстовый файл CSV"),
    ("garbage.xlsx", b"PK\x03\x04" + bytes(range(256)) * 8, "garbage.xlsx: не удалось открыть как таблицу Excel"),
    ("text.xlsx", "ИНН;Наименование\n".encode(), "text.xlsx: не удалось открыть как таблицу Excel"),
    ("orgs.pdf", b"%PDF-1.4", "orgs.pdf: неизвестный формат файла; нужен .csv или .xlsx"),
    ("empty.csv", b"", "empty.csv: в первой строке должны быть названия столбцов"),
    ("missing.csv", None, "missing.csv: файл не найден"),
])
def test_a_file_that_is_not_a_table_is_one_line_without_a_traceback(oryol, leanschool, counts, tmp_path,
                                                                    name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = counts()
    result = leanschool("import", "orgs", str(path))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert result.stderr.startswith("leanschool: ") and result.stdout == ""
    assert counts() == before


def test_the_console_script_speaks_english_when_asked(oryol, db_url, tmp_path):
    script = Path(sys.executable).with_name("leanschool")
    path = write_csv(tmp_path / "orgs.csv", ORG_HEADER + "\n;МБОУ СОШ №1;лицей;г. Мценск\n")
    env = {**os.environ, "DATABASE_URL": db_url, "LEANSCHOOL_LOCALE": "en"}
    env.pop("LEANSCHOOL_DEBUG", None)
    result = subprocess.run([str(script), "import", "orgs", str(path)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 1
    assert "row 2, column «Тип»: unknown kind «лицей»; expected one of: school, kindergarten" in result.stderr
    assert "leanschool: rows with errors: 1 (2); nothing was written" in result.stderr
    missing = subprocess.run([str(script), "import", "users", str(tmp_path / "nope.xlsx")], capture_output=True,
                             text=True, timeout=120, env=env)
    assert missing.returncode == 1 and missing.stderr.strip().endswith("nope.xlsx: no such file")
    assert "Traceback" not in result.stderr + missing.stderr


# --- updating on a second run, one transaction ------------------------------------------------

def test_a_changed_field_updates_instead_of_duplicating(oryol, leanschool, store, counts, tmp_path):
    first = write_csv(tmp_path / "v1.csv", ORG_HEADER + "\n"
                      "5753012340;МБОУ СОШ №12;другое;г. Орёл\n;МБОУ СОШ №7;школа;г. Орёл\n")
    assert leanschool("import", "orgs", str(first)).exit_code == 0
    before = counts()
    second = write_csv(tmp_path / "v2.csv", ORG_HEADER + "\n"
                       "5753012340;МБОУ «Средняя школа №12»;школа;г. Орёл\n"
                       "5753023454;МБОУ СОШ №7;школа;г. Орёл\n")
    result = leanschool("import", "orgs", str(second))
    assert result.exit_code == 0, result.output
    assert ("строка 2: изменение — МБОУ «Средняя школа №12» (г. Орёл): наименование: МБОУ СОШ №12 → "
            "МБОУ «Средняя школа №12»; тип: другое → школа") in result.stdout
    assert "строка 3: изменение — МБОУ СОШ №7 (г. Орёл): ИНН: — → 5753023454" in result.stdout
    after = counts()
    assert after["organization"] == before["organization"]
    assert after["event"] == before["event"] + 2
    updated = [e for e in read(store, select(Event).order_by(Event.id)) if e.kind == "organization_updated"]
    assert updated[0].payload["changes"] == {"name": ["МБОУ СОШ №12", "МБОУ «Средняя школа №12»"],
                                             "kind": ["other", "school"]}


def test_an_existing_user_keeps_the_password_and_gets_the_new_role(oryol, make, leanschool, store, tmp_path):
    from tests.conftest import PASSWORD

    mun = read(store, select(Municipality).where(Municipality.name == "г. Орёл"))[0]
    school = make.org(mun, "МБОУ СОШ №12")
    teacher = make.person("member", org=school, email="teacher@sch12.example.org", name="Иванова Анна")
    path = write_csv(tmp_path / "users.csv", "email;ФИО;роль;организация;муниципалитет\n"
                     "Teacher@sch12.example.org;Иванова Анна Петровна;руководитель;мбоу сош №12;Орёл\n")
    result = leanschool("import", "users", str(path))
    assert result.exit_code == 0, result.output
    assert ("ФИО: Иванова Анна → Иванова Анна Петровна; добавлена роль «руководитель»") in result.stdout
    assert "Пароли" not in result.stdout
    user = read(store, select(User).where(User.id == teacher.id))[0]
    assert user.name == "Иванова Анна Петровна"
    assert admin_svc.verify_password(PASSWORD, user.password_hash)
    roles = sorted(g.role for g in read(store, select(RoleGrant).where(RoleGrant.user_id == teacher.id)))
    assert roles == ["head", "member"]  # an import adds roles, it never takes one away
    assert event_kinds(store)[-2:] == ["user_updated", "role_granted"]


def test_passwords_are_printed_without_passwords_out(oryol, leanschool, store, tmp_path):
    path = write_csv(tmp_path / "users.csv", "email,name,role\nboss@leanschool.example.org,Главный Админ,admin\n")
    result = leanschool("import", "users", str(path))
    assert result.exit_code == 0, result.output
    line = result.stdout.splitlines()[-1].split()
    assert line[0] == "boss@leanschool.example.org"
    user = read(store, select(User))[0]
    assert admin_svc.verify_password(line[1], user.password_hash)


def test_an_existing_passwords_file_is_never_overwritten(oryol, leanschool, counts, tmp_path):
    assert leanschool("import", "orgs", str(EXAMPLES / "orgs.csv")).exit_code == 0
    taken = tmp_path / "passwords.csv"
    taken.write_text("earlier passwords\n")
    before = counts()
    result = leanschool("import", "users", str(EXAMPLES / "users.csv"), "--passwords-out", str(taken))
    assert result.exit_code == 1 and "уже есть" in result.stderr
    assert taken.read_text() == "earlier passwords\n" and counts() == before


def test_a_crash_half_way_writes_nothing(oryol, leanschool, counts, monkeypatch):
    from engine.io.onboarding import orgs as orgs_mod

    real = orgs_mod.create_organization
    calls = []

    def flaky(uow: Any, actor: Any, data: dict[str, Any]) -> Any:
        calls.append(data["name"])
        if len(calls) == 5:
            raise RuntimeError("disk on fire")
        return real(uow, actor, data)

    monkeypatch.setattr(orgs_mod, "create_organization", flaky)
    before = counts()
    result = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "leanschool: internal error: RuntimeError: disk on fire"
    assert len(calls) == 5 and counts() == before


def test_a_step_the_service_refuses_stops_the_import(oryol, leanschool, counts, monkeypatch):
    from engine.io.onboarding import orgs as orgs_mod
    from engine.text import Text

    def refuse(uow: Any, actor: Any, data: dict[str, Any]) -> Any:
        raise ValidationFailed({"name": Text("занято", "taken")})

    monkeypatch.setattr(orgs_mod, "create_organization", refuse)
    before = counts()
    result = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--skip-bad")
    assert result.exit_code == 1
    assert "leanschool: строка 2: name: занято; ничего не записано" in result.stderr
    assert counts() == before


# --- curators, admins, regions ------------------------------------------------------------------

def test_roles_need_their_scope(oryol, make, leanschool, tmp_path):
    make.region("Курская область")  # two regions now: the region is no longer implied
    path = write_csv(tmp_path / "users.csv", "email;ФИО;роль;ИНН;организация;регион\n"
                     "c1@obr.example.org;Куратор Один;куратор;;;\n"
                     "c2@obr.example.org;Куратор Два;куратор;;;Тульская область\n"
                     "a1@obr.example.org;Админ Один;администратор;;;Орловская область\n"
                     "m1@obr.example.org;Участник Один;участник;;;\n"
                     "m2@obr.example.org;Участник Два;участник;;МБОУ СОШ №99;Орловская область\n"
                     "h1@obr.example.org;Руководитель;директор;;;\n")
    result = leanschool("import", "users", str(path))
    err = result.stderr
    assert result.exit_code == 1
    assert "строка 2, столбец «регион»: не понятно, какой регион" in err
    assert "строка 3, столбец «регион»: нет региона «Тульская область»" in err
    assert "строка 4, столбец «регион»: администратору это поле не указывается" in err
    assert "строка 5, столбец «организация»: для участника и руководителя нужна организация" in err
    assert "строка 6, столбец «организация»: нет организации «МБОУ СОШ №99» (Орловская область)" in err
    assert "строка 7, столбец «роль»: неизвестная роль «директор»" in err
    ok = leanschool("import", "users", str(path), "--region", "орловская  область", "--skip-bad")
    assert ok.exit_code == 0 and "c1@obr.example.org: куратор — Орловская область" in ok.stdout


def test_orgs_need_a_region_when_there_are_several(oryol, make, leanschool):
    make.region("Курская область")
    result = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"))
    assert result.exit_code == 1 and "--region" in result.stderr
    result = leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--region", "Тульская")
    assert result.exit_code == 1 and "нет региона «Тульская»" in result.stderr
    assert leanschool("import", "orgs", str(EXAMPLES / "orgs.csv"), "--region", str(oryol.id)).exit_code == 0


# --- the services behind it -------------------------------------------------------------------

def test_an_inn_is_checked_and_unique(oryol, make, store):
    mun = read(store, select(Municipality))[0]
    with pytest.raises(ValidationFailed) as info:
        make.call(admin_svc.create_organization, SYSTEM, {"municipality_id": mun.id, "name": "Школа",
                                                          "kind": "school", "inn": "5753012341"})
    assert "Неверный ИНН" in info.value.field_messages()["inn"]
    first = make.call(admin_svc.create_organization, SYSTEM, {"municipality_id": mun.id, "name": "Школа",
                                                              "kind": "school", "inn": "5753012340"})
    with pytest.raises(ValidationFailed) as info:
        make.call(admin_svc.create_organization, SYSTEM, {"municipality_id": mun.id, "name": "Другая",
                                                          "kind": "school", "inn": "5753012340"})
    assert info.value.field_messages()["inn"] == "ИНН 5753012340 уже у организации «Школа»"
    same = make.call(admin_svc.update_organization, SYSTEM, first.id, {"inn": "5753012340", "name": "Школа"})
    assert same.inn == "5753012340"
    assert event_kinds(store).count("organization_updated") == 0  # nothing changed, nothing recorded


def test_a_column_the_file_lacks_is_named_by_its_title(oryol, make, leanschool, tmp_path):
    make.region("Курская область")
    path = write_csv(tmp_path / "users.csv", "email,name,role\nc@obr.example.org,Куратор,curator\n")
    result = leanschool("import", "users", str(path))
    assert result.exit_code == 1
    assert "строка 2, столбец «Регион»: не понятно, какой регион" in result.stderr


def test_a_windows_1251_csv_reads_and_unknown_columns_are_named(oryol, leanschool, store, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_bytes(("ИНН организаций;Наименование;Тип;Муниципалитет;Директор\n"
                      "5753012340;МБОУ СОШ №12;школа;г. Орёл;Соколова Е.И.\n").encode("cp1251"))
    result = leanschool("import", "orgs", str(path))
    assert result.exit_code == 0, result.output
    assert "Эти столбцы не используются: «ИНН организаций», «Директор»" in result.stderr  # a typo shows
    assert [(o.name, o.inn) for o in read(store, select(Organization))] == [("МБОУ СОШ №12", None)]


def test_lengths_are_the_models_limits(oryol, leanschool, tmp_path):
    path = write_csv(tmp_path / "orgs.csv", ORG_HEADER + "\n"
                     f";{'Ш' * 300};школа;г. Орёл\n;{'Ш' * 301};школа;г. Орёл\n")
    result = leanschool("import", "orgs", str(path))
    assert result.stderr.splitlines()[0] == ("строка 3, столбец «Наименование»: слишком длинное значение: "
                                             "допустимо символов не более 300, а здесь 301")
    users = write_csv(tmp_path / "users.csv", "email,name,role\n"
                      f"{'a' * 245}@mail.example.org,Иванова,admin\nb@mail.example.org,{'И' * 201},admin\n")
    result = leanschool("import", "users", str(users))
    assert "строка 2, столбец «email»: слишком длинное значение: допустимо символов не более 254, а здесь 262" \
        in result.stderr
    assert "строка 3, столбец «name»: слишком длинное значение: допустимо символов не более 200, а здесь 201" \
        in result.stderr


def test_generated_passwords_are_hashed_cheaply_and_upgraded_at_first_sign_in(oryol, leanschool, store, tmp_path):
    """2,000 imported users at the production cost would take a quarter of an hour; a generated
    password (about 70 bits) needs no slow hash, and the first sign-in re-hashes it."""
    from engine import passwords
    previous = passwords.set_hasher(passwords.Scrypt(n=2**14))  # dearer than GENERATED_N, cheaper than production
    try:
        path = write_csv(tmp_path / "users.csv", "email,name,role\nboss@leanschool.example.org,Главный Админ,admin\n")
        result = leanschool("import", "users", str(path))
        assert result.exit_code == 0, result.output
        password = result.stdout.splitlines()[-1].split()[1]
        user = read(store, select(User))[0]
        assert user.password_hash.split("$")[1] == str(passwords.GENERATED_N)
        assert passwords.hasher().n == 2**14  # the cheap cost ended with the import
        assert passwords.needs_rehash(user.password_hash)
        with store.uow() as uow:
            assert admin_svc.authenticate(uow, "boss@leanschool.example.org", password) is not None
        assert read(store, select(User))[0].password_hash.split("$")[1] == str(2**14)
    finally:
        passwords.set_hasher(previous)


# --- the programme's roles (#13): the school coordinator and the municipal curator ------------------------

def test_coordinators_and_municipal_curators_are_imported(oryol, make, leanschool, store, tmp_path):
    mun = next(m for m in make.call(lambda uow: list(uow.session.execute(
        select(Municipality).where(Municipality.region_id == oryol.id)).scalars())) if m.name == "г. Орёл")
    school = make.org(mun, "МБОУ СОШ №12")
    path = write_csv(tmp_path / "users.csv", "email;ФИО;роль;организация;муниципалитет;регион\n"
                     "k@obr.example.org;Координатор;координатор;МБОУ СОШ №12;г. Орёл;\n"
                     "m@obr.example.org;Куратор города;куратор;;г. Орёл;Орловская область\n"
                     "r@obr.example.org;Куратор области;куратор;;;Орловская область\n"
                     "x@obr.example.org;Куратор нигде;куратор;;Южный район;Орловская область\n")
    bad = leanschool("import", "users", str(path))
    assert bad.exit_code == 1
    assert "строка 5, столбец «муниципалитет»: нет муниципалитета «Южный район»" in bad.stderr
    ok = leanschool("import", "users", str(path), "--skip-bad")
    assert ok.exit_code == 0, ok.output
    assert "m@obr.example.org: куратор — г. Орёл" in ok.stdout
    grants = {(g.role, g.org_id, g.region_id, g.municipality_id) for g in read(store, select(RoleGrant))}
    assert {("coordinator", school.id, None, None), ("curator", None, oryol.id, mun.id),
            ("curator", None, oryol.id, None)} <= grants
    again = leanschool("import", "users", str(path), "--skip-bad")  # the same file twice: nothing new
    assert again.exit_code == 0 and len(read(store, select(RoleGrant))) == len(grants)
