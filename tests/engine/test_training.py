"""Training (issue #14 items 1, 2): courses, streams, enrolments of users or initiative-group
people, completion; the import ``leanschool import enrolments FILE --stream ID`` (row errors,
dry run, idempotent re-run, completions updating enrolments); the check ``team_trained``
and the funnel's ``trained`` step. On a real database, through the services."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.checks import CHECKS, evaluate
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.models import Enrolment, Event, Project
from engine.programme import service as P
from engine.programme.funnel import funnel_rows
from engine.services import items as item_svc
from engine.services import projects as project_svc
from engine.training import service as T
from webui import cli


@pytest.fixture
def leanschool(db_url: str) -> Callable[..., Any]:
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli.main, list(args), env={"DATABASE_URL": db_url}, catch_exceptions=False)
    return run


@pytest.fixture
def course(make: Any, world: Any, curator_orel: Any) -> Any:
    return make.call(T.create_course, curator_orel.actor, {
        "region_id": world.region.id, "hours": 72, "kind": "qualification",
        "title": "ПК «Реализация концепции бережливого производства в образовательных организациях»"})


@pytest.fixture
def stream(make: Any, course: Any, curator_orel: Any) -> Any:
    return make.call(T.add_stream, curator_orel.actor, course.id,
                     {"starts_on": "2026-03-25", "ends_on": "2026-03-27", "place": "Орёл, ОИРО"})


@pytest.fixture
def programme(make: Any, world: Any, curator_orel: Any) -> Any:
    return make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа", "starts_on": "2026-01-01",
        "ends_on": "2027-12-31"})


@pytest.fixture
def group(make: Any, world: Any, programme: Any, curator_orel: Any) -> dict[str, Any]:
    """The school takes part; its initiative group has two named people."""
    part = make.call(P.add_participant, curator_orel.actor, programme.id,
                     {"org_id": world.school.id, "joined_on": "2026-01-15"})
    return {"participant": part, **{name: make.call(P.add_member, curator_orel.actor, part.id,
                                                    {"name": name, "position": "учитель"})
                                    for name in ("Петрова Ирина Владимировна", "Сидоров Олег Игоревич")}}


def enrolments(store: Any) -> list[Enrolment]:
    with store.uow() as uow:
        rows = list(uow.session.execute(select(Enrolment).order_by(Enrolment.id)).scalars())
        uow.session.expunge_all()
    return rows


def events(store: Any, kind: str) -> int:
    with store.uow() as uow:
        return len(list(uow.session.execute(select(Event).where(Event.kind == kind)).scalars()))


def write(path: Path, text: str) -> Path:
    path.write_text("\ufeff" + text, encoding="utf-8")
    return path


HEADER = "ФИО;E-mail;ИНН;Организация;Муниципалитет;Дата окончания;Номер удостоверения\n"


# --- the services -----------------------------------------------------------------------------

def test_a_curator_enrols_a_user_and_a_group_person_and_completes(make, store, stream, group, member_of_school,
                                                                  curator_orel, world):
    by_user = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_school.id})
    by_member = make.call(T.enrol, curator_orel.actor, stream.id, {"member_id": group["Петрова Ирина Владимировна"].id})
    assert (by_user.org_id, by_user.name) == (world.school.id, "Иванова Анна")
    assert (by_member.org_id, by_member.member_id) == (world.school.id, group["Петрова Ирина Владимировна"].id)
    done = make.call(T.complete, curator_orel.actor, by_user.id,
                     {"completed_on": "2026-03-27", "certificate_no": "572400012345"})
    assert (done.status, done.completed_on.isoformat(), done.certificate_no) == ("completed", "2026-03-27",
                                                                                  "572400012345")
    assert events(store, "enrolled") == 2 and events(store, "enrolment_completed") == 1
    with pytest.raises(Conflict):
        make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_school.id})


def test_bad_input_names_the_field_and_writes_nothing(make, store, stream, curator_orel, member_of_other_school,
                                                      curator_kursk, world):
    with pytest.raises(ValidationFailed) as exc:
        make.call(T.enrol, curator_orel.actor, stream.id, {})
    assert "user_id" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        make.call(T.create_course, curator_orel.actor, {"region_id": world.region.id, "title": "Семинар",
                                                        "hours": 0, "kind": "lecture"})
    assert {"hours", "kind"} <= set(exc.value.fields)
    with pytest.raises(ValidationFailed) as exc:
        make.call(T.add_stream, curator_orel.actor, stream.course_id, {"starts_on": "2026-05-02",
                                                                       "ends_on": "2026-05-01"})
    assert "ends_on" in exc.value.fields
    with pytest.raises(NotFound):
        make.call(T.enrol, curator_kursk.actor, stream.id, {"user_id": member_of_other_school.id})
    with pytest.raises(Forbidden):
        make.call(T.enrol, member_of_other_school.actor, stream.id, {"user_id": member_of_other_school.id})
    assert enrolments(store) == []


def test_a_head_sees_only_their_own_peoples_enrolments(make, stream, curator_orel, member_of_school,
                                                       member_of_other_school, head_of_school, world):
    make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_school.id})
    make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_other_school.id})
    assert len(make.call(T.enrolments_of, curator_orel.actor, stream.id)[2]) == 2
    own = make.call(T.enrolments_of, head_of_school.actor, stream.id)[2]
    assert [e.org_id for e in own] == [world.school.id]
    with pytest.raises(Forbidden):
        make.call(T.enrolments_of, member_of_school.actor, stream.id)


# --- the import ---------------------------------------------------------------------------------

def test_the_import_enrols_users_and_group_people_and_a_rerun_changes_nothing(
        leanschool, store, stream, group, member_of_school, world, tmp_path):
    f = write(tmp_path / "e.csv", HEADER + ";teacher@lyceum1.ru;;;;;\n"
              f"Петрова Ирина Владимировна;;;{world.school.name};г. Орёл;;\n")
    result = leanschool("import", "enrolments", str(f), "--stream", str(stream.id))
    assert result.exit_code == 0, result.output
    assert "Слушатели потока: добавлено 2, изменено 0, без изменений 0." in result.stdout
    rows = enrolments(store)
    assert {(e.user_id, e.member_id, e.status) for e in rows} == {
        (member_of_school.id, None, "enrolled"), (None, group["Петрова Ирина Владимировна"].id, "enrolled")}
    again = leanschool("import", "enrolments", str(f), "--stream", str(stream.id))
    assert again.exit_code == 0, again.output
    assert "добавлено 0, изменено 0, без изменений 2." in again.stdout
    assert events(store, "enrolled") == 2


def test_a_second_file_with_completions_updates_the_enrolments_and_a_rerun_changes_nothing(
        leanschool, store, stream, group, member_of_school, world, tmp_path):
    enrol = write(tmp_path / "e.csv", HEADER + ";teacher@lyceum1.ru;;;;;\n"
                  f"Петрова Ирина Владимировна;;;{world.school.name};г. Орёл;;\n")
    assert leanschool("import", "enrolments", str(enrol), "--stream", str(stream.id)).exit_code == 0
    done = write(tmp_path / "done.csv", HEADER + ";TEACHER@lyceum1.ru;;;;27.03.2026;572400012345\n"
                 f"Петрова Ирина Владимировна;;;{world.school.name};Орёл;2026-03-27;572400012346\n")
    result = leanschool("import", "enrolments", str(done), "--stream", str(stream.id))
    assert result.exit_code == 0, result.output
    assert "добавлено 0, изменено 2, без изменений 0." in result.stdout
    got = {(e.user_id or e.member_id): (e.status, e.completed_on.isoformat(), e.certificate_no)
           for e in enrolments(store)}
    assert got == {member_of_school.id: ("completed", "2026-03-27", "572400012345"),
                   group["Петрова Ирина Владимировна"].id: ("completed", "2026-03-27", "572400012346")}
    assert len(enrolments(store)) == 2 and events(store, "enrolment_completed") == 2
    again = leanschool("import", "enrolments", str(done), "--stream", str(stream.id))
    assert "добавлено 0, изменено 0, без изменений 2." in again.stdout
    assert events(store, "enrolment_completed") == 2
    fixed = write(tmp_path / "fixed.csv", HEADER + ";teacher@lyceum1.ru;;;;27.03.2026;572400099999\n")
    assert "изменено 1" in leanschool("import", "enrolments", str(fixed), "--stream", str(stream.id)).stdout
    assert {e.certificate_no for e in enrolments(store)} == {"572400099999", "572400012346"}


def test_row_errors_name_row_and_column_in_russian_and_nothing_is_written(
        leanschool, store, stream, group, member_of_school, world, tmp_path):
    f = write(tmp_path / "bad.csv", HEADER
              + ";teacher@lyceum1.ru;;;;31.02.2026;1\n"               # row 2: no such date
              + ";nobody@lyceum1.ru;;;;;\n"                           # row 3: unknown user
              + f"Кузнецов Пётр;;;{world.school.name};г. Орёл;;\n"    # row 4: not in the group
              + f"Петрова Ирина Владимировна;;;{world.school.name};г. Орёл;01.01.2020;\n"  # row 5: before the stream
              + "Сидоров Олег Игоревич;;;;;;7\n"                      # row 6: no organisation, no date
              + f"Сидоров Олег Игоревич;;;{world.school.name};г. Орёл;;\n")  # row 7: good
    result = leanschool("import", "enrolments", str(f), "--stream", str(stream.id))
    assert result.exit_code != 0
    err = result.stderr
    assert "строка 2, столбец «Дата окончания»: не дата: «31.02.2026»" in err
    assert "строка 3, столбец «E-mail»: нет пользователя nobody@lyceum1.ru" in err
    assert "строка 4, столбец «ФИО»: в инициативной группе" in err and "нет «Кузнецов Пётр»" in err
    assert "строка 5, столбец «Дата окончания»: дата окончания 01.01.2020 раньше начала потока" in err
    assert "строка 6, столбец «Организация»" in err
    assert "строк с ошибками: 5 (2, 3, 4, 5, 6); ничего не записано" in err
    assert "Traceback" not in result.output
    assert enrolments(store) == []
    dry = leanschool("import", "enrolments", str(f), "--stream", str(stream.id), "--dry-run", "--skip-bad")
    assert dry.exit_code == 0 and "Пробный запуск: ничего не записано. Было бы: добавлено 1" in dry.stdout
    assert enrolments(store) == []
    skip = leanschool("import", "enrolments", str(f), "--stream", str(stream.id), "--skip-bad")
    assert skip.exit_code == 0 and "добавлено 1" in skip.stdout
    assert [e.member_id for e in enrolments(store)] == [group["Сидоров Олег Игоревич"].id]


def test_an_unknown_stream_is_one_line_listing_the_streams(leanschool, stream, tmp_path):
    f = write(tmp_path / "e.csv", HEADER)
    result = leanschool("import", "enrolments", str(f), "--stream", "999")
    assert result.exit_code != 0 and "нет потока 999; есть:" in result.stderr and str(stream.id) in result.stderr
    assert "Traceback" not in result.output


# --- team_trained and the funnel ---------------------------------------------------------------------

@pytest.fixture
def holds(store: Any) -> Callable[[int], list[Any]]:
    def unmet(project_id: int) -> list[Any]:
        with store.uow() as uow:
            p = uow.session.get(Project, project_id)
            return evaluate(uow.session, p, ["team_trained"], uow.workflows.get(p.workflow_id, p.workflow_version))
    return unmet


def test_team_trained_unmet_until_a_team_member_completes_a_course(
        make, holds, stream, project, member_of_school, head_of_school, curator_orel):
    make.call(item_svc.add_team_member, member_of_school.actor, project.id, {"user_id": head_of_school.id})
    unmet = holds(project.id)
    assert [u.check for u in unmet] == ["team_trained"]
    assert unmet[0].as_dict("ru")["message"].startswith("Пройдите обучение")
    assert CHECKS["team_trained"].page == "training.index"  # the message links to the training page
    row = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": head_of_school.id})
    assert [u.check for u in holds(project.id)] == ["team_trained"]  # enrolled is not trained
    make.call(T.complete, curator_orel.actor, row.id, {"completed_on": "2026-03-27", "certificate_no": "1"})
    assert holds(project.id) == []


def test_team_trained_counts_the_leader_and_a_group_person_linked_to_a_user(
        make, store, holds, stream, project, member_of_school, curator_orel, group, world, member_of_other_school):
    other = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_other_school.id})
    make.call(T.complete, curator_orel.actor, other.id, {"completed_on": "2026-03-27"})
    assert [u.check for u in holds(project.id)] == ["team_trained"]  # someone else's training
    member = make.call(P.add_member, curator_orel.actor, group["participant"].id, {"user_id": member_of_school.id})
    row = make.call(T.enrol, curator_orel.actor, stream.id, {"member_id": member.id})
    make.call(T.complete, curator_orel.actor, row.id, {"completed_on": "2026-03-27"})
    assert [u.check for u in holds(project.id)] == ["team_trained"]  # not the leader yet, not in the team
    make.call(project_svc.update_project, member_of_school.actor, project.id,
              {"leader_id": member_of_school.id, "version": project.version})
    assert holds(project.id) == []


def test_the_funnels_trained_step_is_read_from_completions(make, store, stream, group, curator_orel, programme,
                                                           world, member_of_other_school):
    def trained() -> dict[int, bool]:
        with store.uow() as uow:
            return {r.org_id: r.steps["trained"] for r in funnel_rows(uow.session, uow.workflows, programme.id)}
    make.call(P.add_participant, curator_orel.actor, programme.id,
              {"org_id": world.other_school.id, "joined_on": "2026-01-15"})
    assert trained() == {world.school.id: False, world.other_school.id: False}
    row = make.call(T.enrol, curator_orel.actor, stream.id, {"member_id": group["Сидоров Олег Игоревич"].id})
    assert trained()[world.school.id] is False
    make.call(T.complete, curator_orel.actor, row.id, {"completed_on": "2026-03-27", "certificate_no": "7"})
    assert trained() == {world.school.id: True, world.other_school.id: False}
    user_row = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_other_school.id})
    make.call(T.complete, curator_orel.actor, user_row.id, {"completed_on": "2026-03-28"})
    assert trained() == {world.school.id: True, world.other_school.id: True}
