"""Training's mutations and plain reads (PROGRAMME.md "Training"). Courses belong to a
region: its curators (and admins) manage courses, streams and enrolments
(``training.manage``); heads and coordinators see their own people's enrolments
(``training.view``). Each mutation checks scope and role, validates, writes the change and
its audit event in one transaction; services raise and never roll back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
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
from engine.policy import ACTIONS, Actor, can_in_region
from engine.schemas import parse
from engine.services.common import cas_update, get_or_404, is_id, record
from engine.text import Text
from engine.training import schemas as TS
from engine.vocab import EnrolmentStatus, EventKind

ALREADY = Text("Этот человек уже записан на этот поток", "This person is already enrolled in this stream")


def _bad(field: str, ru: str, en: str) -> ValidationFailed:
    return ValidationFailed({field: Text(ru, en)})


# --- scope ---------------------------------------------------------------------------------

def _visible_region(actor: Actor, region_id: int) -> bool:
    return actor.is_admin or region_id in actor.region_ids()


def may_manage(actor: Actor, region_id: int) -> bool:
    return can_in_region(actor, "training.manage", region_id)


def get_course(uow: UnitOfWork, actor: Actor, course_id: Any) -> Course:
    """A course of a region the actor's scope touches; NotFound otherwise."""
    course = uow.session.get(Course, course_id) if is_id(course_id) else None
    if course is None or not _visible_region(actor, course.region_id):
        raise NotFound("course")
    return course


def get_stream(uow: UnitOfWork, actor: Actor, stream_id: Any) -> tuple[CourseStream, Course]:
    stream = get_or_404(uow.session, CourseStream, stream_id, "stream")
    return stream, get_course(uow, actor, stream.course_id)


def _managed_stream(uow: UnitOfWork, actor: Actor, stream_id: Any) -> tuple[CourseStream, Course]:
    stream, course = get_stream(uow, actor, stream_id)
    if not may_manage(actor, course.region_id):
        raise Forbidden()
    return stream, course


def seen_orgs(actor: Actor, region_id: int) -> set[int] | None:
    """The organisations whose enrolments the actor sees in the region (None: all of
    them, for its curators and admins); heads' and coordinators' own, municipal curators'."""
    if may_manage(actor, region_id):
        return None
    own = {o for o in actor.org_ids()
           if actor.roles_for(o, region_id) & ACTIONS["training.view"]}
    return own | actor.municipal_org_ids()


# --- courses and streams -------------------------------------------------------------------

def create_course(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> Course:
    """A course of a region (curator of the region, admin)."""
    region_id = data.get("region_id") if isinstance(data, dict) else None
    if is_id(region_id):
        if uow.session.get(Region, region_id) is None or not _visible_region(actor, region_id):
            raise NotFound("region")
        if not may_manage(actor, region_id):
            raise Forbidden()
    elif not actor.is_admin and not actor.curator_region_ids():
        raise Forbidden()
    body: TS.CourseIn = parse(TS.CourseIn, data)
    if uow.session.get(Region, body.region_id) is None:
        raise _bad("region_id", "Нет такого региона", "No such region")
    course = Course(region_id=body.region_id, title=body.title, hours=body.hours, kind=body.kind,
                    created_at=clock.now(), created_by=actor.user_id)
    uow.session.add(course)
    uow.session.flush()
    record(uow.session, actor, EventKind.COURSE_CREATED, None,
           {"course_id": course.id, "region_id": course.region_id, "title": course.title})
    uow.commit()
    return course


def list_courses(uow: UnitOfWork, actor: Actor, region_id: int | None = None) -> list[Course]:
    stmt = select(Course).order_by(col(Course.title), col(Course.id))
    if not actor.is_admin:
        stmt = stmt.where(col(Course.region_id).in_(actor.region_ids() or {-1}))
    if region_id is not None:
        stmt = stmt.where(col(Course.region_id) == region_id)
    return list(uow.session.execute(stmt).scalars())


def add_stream(uow: UnitOfWork, actor: Actor, course_id: Any, data: dict[str, Any]) -> CourseStream:
    course = get_course(uow, actor, course_id)
    if not may_manage(actor, course.region_id):
        raise Forbidden()
    body: TS.StreamIn = parse(TS.StreamIn, data)
    if body.ends_on < body.starts_on:
        raise _bad("ends_on", "Дата окончания раньше даты начала", "Ends before it starts")
    stream = CourseStream(course_id=pk(course), starts_on=body.starts_on, ends_on=body.ends_on,
                          place=body.place, created_at=clock.now())
    uow.session.add(stream)
    uow.session.flush()
    record(uow.session, actor, EventKind.STREAM_ADDED, None, {"course_id": course.id, "stream_id": stream.id})
    uow.commit()
    return stream


def streams_of(uow: UnitOfWork, course_ids: list[int]) -> dict[int, list[CourseStream]]:
    out: dict[int, list[CourseStream]] = {c: [] for c in course_ids}
    for s in uow.session.execute(select(CourseStream).where(col(CourseStream.course_id).in_(course_ids or [-1]))
                                 .order_by(col(CourseStream.starts_on), col(CourseStream.id))).scalars():
        out[s.course_id].append(s)
    return out


def stream_counts(uow: UnitOfWork, stream_ids: list[int],
                  org_ids: set[int] | None = None) -> dict[int, dict[str, int]]:
    """{stream: {status: people}} (within ``org_ids`` when given)."""
    stmt = (select(col(Enrolment.stream_id), col(Enrolment.status), func.count())
            .where(col(Enrolment.stream_id).in_(stream_ids or [-1]))
            .group_by(col(Enrolment.stream_id), col(Enrolment.status)))
    if org_ids is not None:
        stmt = stmt.where(col(Enrolment.org_id).in_(org_ids or {-1}))
    out: dict[int, dict[str, int]] = {s: {} for s in stream_ids}
    for sid, status, n in uow.session.execute(stmt).all():
        out[sid][status] = n
    return out


# --- enrolments ----------------------------------------------------------------------------

def enrolments_of(uow: UnitOfWork, actor: Actor, stream_id: Any
                  ) -> tuple[CourseStream, Course, list[Enrolment]]:
    """A stream's enrolments the actor may see (all for the region's curators; a head's or
    coordinator's own organisation's); Forbidden for those who see none of them."""
    stream, course = get_stream(uow, actor, stream_id)
    orgs = seen_orgs(actor, course.region_id)
    if orgs is not None and not orgs:
        raise Forbidden()
    stmt = select(Enrolment).where(col(Enrolment.stream_id) == stream.id)
    if orgs is not None:
        stmt = stmt.where(col(Enrolment.org_id).in_(orgs))
    return stream, course, list(uow.session.execute(stmt.order_by(col(Enrolment.name), col(Enrolment.id))).scalars())


def _person(uow: UnitOfWork, course: Course, body: TS.EnrolmentIn) -> tuple[int | None, int | None, int | None, str]:
    """(user_id, member_id, org_id, name) of the person to enrol; 422 naming the field."""
    s = uow.session
    if (body.user_id is None) == (body.member_id is None):
        raise _bad("user_id", "Укажите пользователя или участника инициативной группы (одного)",
                   "Name a user or an initiative-group person (one of them)")
    if body.member_id is not None:
        found = s.execute(select(InitiativeMember, Participant).join(
            Participant, col(Participant.id) == col(InitiativeMember.participant_id))
            .join(Programme, col(Programme.id) == col(Participant.programme_id))
            .where(col(InitiativeMember.id) == body.member_id, col(Programme.region_id) == course.region_id)
            ).first() if is_id(body.member_id) else None
        if found is None:
            raise _bad("member_id", "Нет такого участника инициативной группы в регионе курса",
                       "No such initiative-group person in the course's region")
        member, part = found
        return member.user_id, pk(member), part.org_id, member.name
    user = s.get(User, body.user_id) if is_id(body.user_id) else None
    grants = list(s.execute(select(RoleGrant).where(col(RoleGrant.user_id) == body.user_id)).scalars()) if user else []
    org_ids = {g.org_id for g in grants if g.org_id is not None}
    regions = {g.region_id for g in grants if g.region_id is not None}
    if org_ids:
        regions |= set(s.execute(select(col(Organization.region_id))
                                 .where(col(Organization.id).in_(org_ids))).scalars())
    if user is None or course.region_id not in regions:
        raise _bad("user_id", "Нет такого пользователя в регионе курса", "No such user in the course's region")
    in_region = set(s.execute(select(col(Organization.id)).where(
        col(Organization.id).in_(org_ids or {-1}), col(Organization.region_id) == course.region_id)).scalars())
    if body.org_id is not None:
        if body.org_id not in in_region:
            raise _bad("org_id", "Пользователь не работает в этой организации", "The user does not work there")
        org_id: int | None = body.org_id
    else:
        org_id = next(iter(in_region)) if len(in_region) == 1 else None
    return pk(user), None, org_id, user.name


def enrol(uow: UnitOfWork, actor: Actor, stream_id: Any, data: dict[str, Any]) -> Enrolment:
    """Enrol a user or an initiative-group person in a stream (the region's curators);
    409 when they are enrolled already."""
    stream, course = _managed_stream(uow, actor, stream_id)
    body: TS.EnrolmentIn = parse(TS.EnrolmentIn, data)
    user_id, member_id, org_id, name = _person(uow, course, body)
    if find_enrolment(uow, pk(stream), user_id, member_id) is not None:
        raise Conflict(ALREADY)
    now = clock.now()
    row = Enrolment(stream_id=pk(stream), user_id=user_id, member_id=member_id, org_id=org_id, name=name,
                    created_at=now, updated_at=now)
    uow.session.add(row)
    try:  # no savepoint (see engine.programme.service._join): the Conflict discards the transaction
        uow.session.flush()
    except IntegrityError:
        raise Conflict(ALREADY) from None
    record(uow.session, actor, EventKind.ENROLLED, None,
           {"course_id": course.id, "stream_id": stream.id, "enrolment_id": row.id, "user_id": user_id,
            "member_id": member_id, "org_id": org_id, "name": name})
    uow.commit()
    return row


def find_enrolment(uow: UnitOfWork, stream_id: int, user_id: int | None, member_id: int | None) -> Enrolment | None:
    """The person's enrolment in the stream (by user, else by initiative-group person)."""
    for column, value in ((Enrolment.user_id, user_id), (Enrolment.member_id, member_id)):
        if value is not None:
            row = uow.session.execute(select(Enrolment).where(col(Enrolment.stream_id) == stream_id,
                                                              col(column) == value)).scalars().first()
            if row is not None:
                return row
    return None


def _enrolment(uow: UnitOfWork, actor: Actor, enrolment_id: Any) -> tuple[Enrolment, CourseStream, Course]:
    row = get_or_404(uow.session, Enrolment, enrolment_id, "enrolment")
    stream, course = _managed_stream(uow, actor, row.stream_id)
    return row, stream, course


def complete(uow: UnitOfWork, actor: Actor, enrolment_id: Any, data: dict[str, Any]) -> Enrolment:
    """Mark an enrolment completed on a date with a certificate number (a completed one
    is corrected the same way); 409 for a dropped one or a stale ``version``."""
    row, stream, course = _enrolment(uow, actor, enrolment_id)
    body: TS.CompletionIn = parse(TS.CompletionIn, data)
    if body.completed_on < stream.starts_on:
        raise _bad("completed_on", "Дата окончания обучения раньше начала потока",
                   "Completed before the stream began")
    if row.status == EnrolmentStatus.DROPPED.value:
        raise Conflict(Text("Слушатель отчислен: отметить окончание нельзя", "The person has dropped out"))
    cert = (body.certificate_no or "").strip() or None
    cas_update(uow.session, Enrolment, row, body.version if body.version is not None else row.version,
               status=EnrolmentStatus.COMPLETED.value, completed_on=body.completed_on, certificate_no=cert,
               updated_at=clock.now())
    record(uow.session, actor, EventKind.ENROLMENT_COMPLETED, None,
           {"course_id": course.id, "stream_id": stream.id, "enrolment_id": row.id,
            "completed_on": body.completed_on.isoformat(), "certificate_no": cert})
    uow.commit()
    return row


def drop(uow: UnitOfWork, actor: Actor, enrolment_id: Any, data: dict[str, Any]) -> Enrolment:
    """An enrolled person dropped out (отчислен); a completed course stays completed (409)."""
    row, stream, course = _enrolment(uow, actor, enrolment_id)
    body: TS.DropIn = parse(TS.DropIn, data)
    if row.status != EnrolmentStatus.ENROLLED.value:
        raise Conflict(Text("Отчислить можно только записанного слушателя", "Only an enrolled person may drop out"))
    cas_update(uow.session, Enrolment, row, body.version if body.version is not None else row.version,
               status=EnrolmentStatus.DROPPED.value, updated_at=clock.now())
    record(uow.session, actor, EventKind.ENROLMENT_DROPPED, None,
           {"course_id": course.id, "stream_id": stream.id, "enrolment_id": row.id})
    uow.commit()
    return row


def courses_with_streams(uow: UnitOfWork, actor: Actor, courses: list[Course]
                         ) -> list[tuple[Course, list[tuple[CourseStream, dict[str, int]]]]]:
    """Each course with its streams and their counts by status (of the people the actor sees)."""
    streams = streams_of(uow, [pk(c) for c in courses])
    out = []
    for c in courses:
        orgs = seen_orgs(actor, c.region_id)
        counts = stream_counts(uow, [pk(s) for s in streams[pk(c)]], orgs)
        out.append((c, [(s, counts[pk(s)]) for s in streams[pk(c)]]))
    return out
