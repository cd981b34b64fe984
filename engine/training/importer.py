"""Planning the import of a stream's enrolments and completions
(``leanschool import enrolments FILE --stream ID [--dry-run] [--skip-bad]``), through
engine.io.onboarding's plan-then-apply: every row checked first (row, column, reason in
Russian), then applied through the training services, each with its audit event, in
the caller's one transaction.

A row names a person: a user by e-mail, or an initiative-group person by ФИО and
organisation (ИНН, or name with municipality). Natural key: (stream, person). A new
person is enrolled (and completed, when the row has a completion date); a person
enrolled already is completed, or corrected when the file's date or certificate number
differ; the same values again change nothing, so a second run of a file is ``unchanged``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from engine.db import UnitOfWork
from engine.io.onboarding.common import (
    EMAIL,
    MAX,
    Column,
    Municipalities,
    Outcome,
    Plan,
    Row,
    ignored_columns,
    norm,
    resolve_columns,
    unknown_municipality,
)
from engine.io.tabular import BadFile, Table
from engine.models import (
    Course,
    CourseStream,
    Enrolment,
    InitiativeMember,
    Organization,
    Participant,
    Programme,
    Region,
    RoleGrant,
    User,
    pk,
)
from engine.policy import SYSTEM
from engine.text import Text
from engine.training import service as svc
from engine.vocab import EnrolmentStatus

ENROLMENT_COLUMNS = (
    Column("person", "ФИО", ("фио", "full name", "слушатель", "person", "name")),
    Column("email", "E-mail", ("email", "e-mail", "почта", "эл. почта", "электронная почта")),
    Column("inn", "ИНН", ("inn", "инн", "инн организации")),
    Column("org", "Организация", ("организация", "наименование", "organisation", "organization")),
    Column("municipality", "Муниципалитет", ("municipality", "муниципалитет", "муниципальное образование",
                                             "мо", "район")),
    Column("completed_on", "Дата окончания", ("дата окончания", "окончил", "окончила", "completed on",
                                              "completed_on", "дата выдачи")),
    Column("certificate_no", "Номер удостоверения", ("номер удостоверения", "удостоверение", "сертификат",
                                                     "номер сертификата", "certificate", "certificate_no")),
)
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_EXCEL_EPOCH = date(1899, 12, 30)


def plan_enrolments(uow: UnitOfWork, table: Table, stream_ref: str) -> Plan:
    """What importing ``table`` into the stream ``stream_ref`` (its id) would do; writes nothing."""
    stream, course = _stream(uow, stream_ref)
    region = uow.session.get(Region, course.region_id)
    index, written = resolve_columns(table, ENROLMENT_COLUMNS)
    if "email" not in index and "person" not in index:
        raise BadFile(Text("нужен столбец «E-mail» (пользователь) или «ФИО» (участник инициативной группы)",
                           "an «E-mail» (a user) or «ФИО» (an initiative-group person) column is needed"))
    plan = Plan("enrolments", region)
    plan.ignored_columns = ignored_columns(table, index)
    look = _Lookup(uow, course.region_id)
    existing = list(uow.session.execute(select(Enrolment).where(col(Enrolment.stream_id) == stream.id)).scalars())
    by_user = {e.user_id: e for e in existing if e.user_id is not None}
    by_member = {e.member_id: e for e in existing if e.member_id is not None}
    seen: dict[tuple[str, int], int] = {}
    for number, cells in table.rows:
        row = Row(plan, number, cells, index, written)
        person = _person(row, plan, look, region)  # type: ignore[arg-type]  # a course's region exists
        completed_on = _date(row, stream)
        cert = row["certificate_no"].strip()
        if len(cert) > 100:
            row.required("certificate_no", 100)
        elif cert and completed_on is None and row.ok:
            row.error("completed_on", Text("есть номер удостоверения, но нет даты окончания",
                                           "a certificate number without the completion date"))
        if not row.ok or person is None:
            continue
        user_id, member_id, org_id, label = person
        key = ("u", user_id) if user_id is not None else ("m", member_id or 0)
        if key in seen:
            row.error("email" if user_id is not None and row["email"] else "person",
                      Text(f"этот человек уже был в строке {seen[key]}", f"this person is in row {seen[key]} already"))
            continue
        seen[key] = number
        found = (by_user.get(user_id) if user_id is not None else None) or (
            by_member.get(member_id) if member_id is not None else None)
        plan.outcomes.append(_outcome(number, label, found, pk(stream), user_id, member_id, org_id,
                                      completed_on, cert or None))
    return plan


def _outcome(number: int, label: str, found: Enrolment | None, stream_id: int, user_id: int | None,
             member_id: int | None, org_id: int | None, completed_on: date | None, cert: str | None) -> Outcome:
    done = Text(f"окончил(а) {completed_on:%d.%m.%Y}" + (f", удостоверение {cert}" if cert else ""),
                f"completed on {completed_on}" + (f", certificate {cert}" if cert else "")) if completed_on else None
    if found is None:
        return Outcome(number, "create", label, done or Text("записан(а)", "enrolled"),
                       _enrol(stream_id, user_id, member_id, org_id, completed_on, cert))
    if completed_on is None:
        return Outcome(number, "unchanged", label, Text("уже записан(а)", "enrolled already"))
    if found.status == EnrolmentStatus.DROPPED.value:
        return Outcome(number, "unchanged", label, Text("отчислен(а): окончание не отмечено",
                                                        "dropped out: the completion is not recorded"))
    if (found.status == EnrolmentStatus.COMPLETED.value and found.completed_on == completed_on
            and (found.certificate_no or None) == cert):
        return Outcome(number, "unchanged", label, done)
    return Outcome(number, "update", label, done, _complete(pk(found), completed_on, cert))


def _enrol(stream_id: int, user_id: int | None, member_id: int | None, org_id: int | None,
           completed_on: date | None, cert: str | None) -> Callable[[UnitOfWork], None]:
    def enrol(uow: UnitOfWork) -> None:
        who: dict[str, Any] = {"member_id": member_id} if member_id is not None else {"user_id": user_id,
                                                                                       "org_id": org_id}
        row = svc.enrol(uow, SYSTEM, stream_id, who)
        if completed_on is not None:
            svc.complete(uow, SYSTEM, pk(row), {"completed_on": completed_on.isoformat(), "certificate_no": cert})
    return enrol


def _complete(enrolment_id: int, completed_on: date, cert: str | None) -> Callable[[UnitOfWork], None]:
    def complete(uow: UnitOfWork) -> None:
        svc.complete(uow, SYSTEM, enrolment_id, {"completed_on": completed_on.isoformat(), "certificate_no": cert})
    return complete


def _stream(uow: UnitOfWork, ref: str) -> tuple[CourseStream, Course]:
    stream = uow.session.get(CourseStream, int(ref)) if ref.strip().isdigit() and len(ref) < 10 else None
    if stream is None:
        known = ", ".join(f"{s.id} ({c.title}, {s.starts_on:%d.%m.%Y})" for s, c in uow.session.execute(
            select(CourseStream, Course).join(Course, col(Course.id) == col(CourseStream.course_id))
            .order_by(col(CourseStream.id))).all()) or "—"
        raise BadFile(Text(f"нет потока {ref}; есть: {known}", f"no stream {ref}; there are: {known}"))
    return stream, uow.session.get_one(Course, stream.course_id)


class _Lookup:
    """The region's organisations, users' organisations and initiative groups, read once."""

    def __init__(self, uow: UnitOfWork, region_id: int):
        s = uow.session
        orgs = list(s.execute(select(Organization).where(col(Organization.region_id) == region_id)).scalars())
        self.by_inn = {o.inn: o for o in orgs if o.inn}
        self.by_key = {(o.municipality_id, norm(o.name)): o for o in orgs}
        self.muns = Municipalities(uow)
        self.uow = uow
        self.region_orgs = {pk(o) for o in orgs}
        self.members: dict[tuple[int, str], list[InitiativeMember]] = {}
        for m, org_id in s.execute(select(InitiativeMember, col(Participant.org_id))
                                   .join(Participant, col(Participant.id) == col(InitiativeMember.participant_id))
                                   .join(Programme, col(Programme.id) == col(Participant.programme_id))
                                   .where(col(Programme.region_id) == region_id)
                                   .order_by(col(InitiativeMember.id))).all():
            self.members.setdefault((org_id, norm(m.name)), []).append(m)

    def user(self, email: str) -> User | None:
        return self.uow.session.execute(select(User).where(func.lower(col(User.email)) == email.lower())
                                        ).scalars().first()

    def user_orgs(self, user_id: int) -> set[int]:
        return set(self.uow.session.execute(select(col(RoleGrant.org_id)).where(
            col(RoleGrant.user_id) == user_id, col(RoleGrant.org_id).in_(self.region_orgs or {-1}))).scalars())


def _org(row: Row, plan: Plan, look: _Lookup, region: Region) -> Organization | None:
    inn, name = row["inn"].strip(), row["org"].strip()
    if inn:
        org = look.by_inn.get(inn)
        if org is None:
            row.error("inn", Text(f"в регионе «{region.name}» нет организации с ИНН {inn}",
                                  f"no organisation with INN {inn} in the region «{region.name}»"))
        return org
    if not name:
        return None
    if len(name) > MAX["org_name"]:
        row.required("org", MAX["org_name"])
        return None
    if not row.required("municipality"):
        return None
    mun = look.muns.find(region, row["municipality"])
    if mun is None:
        unknown_municipality(row, plan, look.muns, region, row["municipality"])
        return None
    org = look.by_key.get((pk(mun), norm(name)))
    if org is None:
        row.error("org", Text(f"нет организации «{name}» в муниципалитете «{mun.name}»",
                              f"no organisation «{name}» in the municipality «{mun.name}»"))
    return org


def _person(row: Row, plan: Plan, look: _Lookup, region: Region
            ) -> tuple[int | None, int | None, int | None, str] | None:
    """(user_id, member_id, org_id, label) of the row's person, or None with the row's error."""
    email, name = row["email"].strip(), row["person"].strip()
    org = _org(row, plan, look, region)
    if not row.ok:
        return None
    if email:
        if not EMAIL.match(email) or len(email) > MAX["email"]:
            row.error("email", Text(f"не адрес электронной почты: «{email}»", f"not an e-mail address: «{email}»"))
            return None
        user = look.user(email)
        works = look.user_orgs(pk(user)) if user is not None else set()
        if user is None:
            row.error("email", Text(f"нет пользователя {email} (сначала импортируйте пользователей: import users)",
                                    f"no user {email} (import the users first: import users)"))
            return None
        if org is not None and pk(org) not in works:
            row.error("org", Text(f"{user.name} не работает в «{org.name}»",
                                  f"{user.name} does not work at «{org.name}»"))
            return None
        return pk(user), None, pk(org) if org else None, f"{user.name} <{user.email}>"
    if not name:
        row.error("person", Text("укажите e-mail пользователя или ФИО участника инициативной группы",
                                 "give the user's e-mail or the initiative-group person's name"))
        return None
    if len(name) > MAX["user_name"]:
        row.required("person", MAX["user_name"])
        return None
    if org is None:
        row.error("org", Text("укажите ИНН или наименование организации (с муниципалитетом), чтобы найти человека "
                              "в её инициативной группе",
                              "give the organisation's INN or name (with the municipality) to find the person "
                              "in its initiative group"))
        return None
    found = look.members.get((pk(org), norm(name)), [])
    if not found:
        row.error("person", Text(f"в инициативной группе «{org.name}» нет «{name}»",
                                 f"«{name}» is not in the initiative group of «{org.name}»"))
        return None
    member = found[0]
    return member.user_id, pk(member), pk(org), f"{member.name} ({org.name})"


def _date(row: Row, stream: CourseStream) -> date | None:
    raw = row["completed_on"].strip()
    if not raw:
        return None
    m = _DATE.match(raw)
    try:
        if m:
            value = date(int(m[3]), int(m[2]), int(m[1]))
        elif raw.isdigit() and 4 <= len(raw) <= 6:  # an Excel serial number typed as text
            value = _EXCEL_EPOCH + timedelta(days=int(raw))
        else:
            value = date.fromisoformat(raw[:10])  # an Excel date cell comes as ISO (engine.io.tabular)
    except ValueError:
        row.error("completed_on", Text(f"не дата: «{raw}»; нужно ДД.ММ.ГГГГ, например 27.03.2020",
                                       f"not a date: «{raw}»; expected DD.MM.YYYY, e.g. 27.03.2020"))
        return None
    if value < stream.starts_on:
        row.error("completed_on", Text(f"дата окончания {value:%d.%m.%Y} раньше начала потока "
                                       f"{stream.starts_on:%d.%m.%Y}",
                                       f"completed on {value} before the stream began ({stream.starts_on})"))
        return None
    return value
