"""Training's pages: /training (courses, streams, counts; an organisation's people), a
stream's page (enrol, record completion), and the gate's link to training."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.models import Enrolment
from engine.training import service as T


def enrolments(store: Any) -> list[Enrolment]:
    with store.uow() as uow:
        rows = list(uow.session.execute(select(Enrolment).order_by(Enrolment.id)).scalars())
        uow.session.expunge_all()
    return rows


def test_a_curator_creates_a_course_and_a_stream_enrols_and_records_completion(
        web, store, world, curator_orel, member_of_school):
    client = web(curator_orel)
    r = client.post("/training/courses", data={"region_id": world.region.id, "title": "ПК «Бережливая школа»",
                                               "hours": "72", "kind": "qualification"})
    assert r.status_code == 302
    page = client.get("/training").get_data(as_text=True)
    assert "ПК «Бережливая школа»" in page and "72" in page
    with store.uow() as uow:
        course = T.list_courses(uow, curator_orel.actor)[0]
    bad = client.post(f"/training/courses/{course.id}/streams", data={"starts_on": "2026-03-27",
                                                                      "ends_on": "2026-03-25"})
    assert bad.status_code == 422 and "Дата окончания раньше даты начала" in bad.get_data(as_text=True)
    r = client.post(f"/training/courses/{course.id}/streams", data={"starts_on": "2026-03-25",
                                                                    "ends_on": "2026-03-27", "place": "ОИРО"})
    assert r.status_code == 302
    with store.uow() as uow:
        stream_id = T.streams_of(uow, [course.id])[course.id][0].id
    r = client.post(f"/training/streams/{stream_id}/enrol", data={"user_id": member_of_school.id})
    assert r.status_code == 302
    e = enrolments(store)[0]
    r = client.post(f"/training/streams/{stream_id}/enrolments/{e.id}/complete",
                    data={"completed_on": "2026-03-27", "certificate_no": "572400012345", "version": e.version})
    assert r.status_code == 302
    assert (enrolments(store)[0].status, enrolments(store)[0].certificate_no) == ("completed", "572400012345")
    page = client.get(f"/training/streams/{stream_id}").get_data(as_text=True)
    assert "Иванова Анна" in page and "572400012345" in page
    org_page = client.get(f"/training?org_id={world.school.id}").get_data(as_text=True)
    assert 'id="org-training"' in org_page and "572400012345" in org_page


def test_a_member_sees_the_courses_but_not_an_organisations_records_nor_manages(web, world, member_of_school,
                                                                   member_of_other_school):
    client = web(member_of_school)
    own = client.get(f"/training?org_id={world.school.id}")  # the gate's link: the courses, not the records
    assert own.status_code == 200 and 'id="org-training"' not in own.get_data(as_text=True)
    assert client.get(f"/training?org_id={world.other_region_school.id}").status_code == 404
    r = client.post("/training/courses", data={"region_id": world.region.id, "title": "X", "hours": "1",
                                               "kind": "seminar"})
    assert r.status_code == 403


def test_the_initiative_group_and_the_team_show_who_is_trained(web, make, world, curator_orel, member_of_school,
                                                               head_of_school, project):
    from engine.programme import service as P
    from engine.services import items as item_svc

    course = make.call(T.create_course, curator_orel.actor, {"region_id": world.region.id, "hours": 72,
                                                             "kind": "qualification", "title": "ПК «Бережливая школа»"})
    stream = make.call(T.add_stream, curator_orel.actor, course.id, {"starts_on": "2026-03-25",
                                                                     "ends_on": "2026-03-27"})
    prog = make.call(P.create_programme, curator_orel.actor, {"region_id": world.region.id, "title": "РИП",
                                                              "starts_on": "2026-01-01", "ends_on": "2027-12-31"})
    part = make.call(P.add_participant, curator_orel.actor, prog.id, {"org_id": world.school.id,
                                                                      "joined_on": "2026-01-15"})
    named = make.call(P.add_member, curator_orel.actor, part.id, {"name": "Петрова Ирина", "position": "учитель"})
    untrained = make.call(P.add_member, curator_orel.actor, part.id, {"name": "Сидоров Олег"})
    for who in ({"member_id": named.id}, {"user_id": member_of_school.id}):
        row = make.call(T.enrol, curator_orel.actor, stream.id, who)
        make.call(T.complete, curator_orel.actor, row.id, {"completed_on": "2026-03-27"})
    make.call(item_svc.add_team_member, member_of_school.actor, project.id, {"user_id": member_of_school.id})
    make.call(item_svc.add_team_member, member_of_school.actor, project.id, {"user_id": head_of_school.id})

    group = web(curator_orel).get(f"/participants/{part.id}").get_data(as_text=True)
    row_of = {m: group.split(f'data-member-id="{m}"')[1].split("</tr>")[0] for m in (named.id, untrained.id)}
    assert "ПК «Бережливая школа»" in row_of[named.id] and "ПК «Бережливая школа»" not in row_of[untrained.id]
    card = web(member_of_school).get(f"/projects/{project.id}").get_data(as_text=True)
    team = {u: card.split(f'data-team-user="{u}"')[1].split("</li>")[0]
            for u in (member_of_school.id, head_of_school.id)}
    assert "data-trained" in team[member_of_school.id] and "ПК «Бережливая школа»" in team[member_of_school.id]
    assert "data-trained" not in team[head_of_school.id]


def test_the_programme_tower_and_the_regional_summary_count_trained_people(web, make, world, curator_orel,
                                                                          member_of_school, member_of_other_school):
    import io

    from openpyxl import load_workbook

    from engine.programme import service as P

    kindergarten = make.org(world.municipality, "МБДОУ «Детский сад №34»", kind="kindergarten")
    teacher = make.person("member", org=kindergarten, email="teacher@ds34.ru", name="Морозова Анна")
    course = make.call(T.create_course, curator_orel.actor, {"region_id": world.region.id, "hours": 72,
                                                             "kind": "qualification", "title": "ПК"})
    first = make.call(T.add_stream, curator_orel.actor, course.id, {"starts_on": "2026-03-25", "ends_on": "2026-03-27"})
    second = make.call(T.add_stream, curator_orel.actor, course.id, {"starts_on": "2026-11-23",
                                                                     "ends_on": "2026-11-25"})
    prog = make.call(P.create_programme, curator_orel.actor, {"region_id": world.region.id, "title": "РИП",
                                                              "starts_on": "2026-01-01", "ends_on": "2027-12-31"})
    for org in (world.school, kindergarten):
        make.call(P.add_participant, curator_orel.actor, prog.id, {"org_id": org.id, "joined_on": "2026-01-15"})
    for stream, person, done in ((first, member_of_school, True), (second, member_of_school, True),
                                 (second, teacher, True), (first, member_of_other_school, False)):
        row = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": person.id})
        if done:
            make.call(T.complete, curator_orel.actor, row.id, {"completed_on": stream.ends_on.isoformat()})

    tower = web(curator_orel).get(f"/programmes/{prog.id}").get_data(as_text=True)
    section = tower.split("data-training-figures")[1].split("</section>")[0]
    assert 'data-trained-total>2<' in section  # a person trained twice counts once
    wb = load_workbook(io.BytesIO(web(curator_orel).get("/tower/summary.xlsx").data))
    rows = [tuple(c.value for c in r) for r in wb["Обучение"].iter_rows(min_row=4)]
    assert rows[0] == ("Всего", None, 2)
    assert ("Поток", "ПК, 25.03.2026 – 27.03.2026", 1) in rows and ("Поток", "ПК, 23.11.2026 – 25.11.2026", 2) in rows
    assert ("Тип организации", "Школы", 1) in rows and ("Тип организации", "Детские сады", 1) in rows
    assert ("Муниципальное образование", "г. Орёл", 2) in rows


def test_a_head_sees_their_own_organisations_training_from_the_menu(web, make, world, curator_orel, head_of_school,
                                                                     member_of_school):
    course = make.call(T.create_course, curator_orel.actor, {"region_id": world.region.id, "hours": 16,
                                                             "kind": "seminar", "title": "Семинар по 5S"})
    stream = make.call(T.add_stream, curator_orel.actor, course.id, {"starts_on": "2026-04-01",
                                                                     "ends_on": "2026-04-01"})
    make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_school.id})
    page = web(head_of_school).get("/training").get_data(as_text=True)
    assert 'href="/training"' in page  # the menu's link
    assert f'data-org-id="{world.school.id}"' in page and "Иванова Анна" in page and "Семинар по 5S" in page
