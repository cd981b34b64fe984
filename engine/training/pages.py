"""Training's page read models: what /training, a stream's page and an organisation's
training show, read in the engine so that the views only parse, call and render."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine.db import UnitOfWork
from engine.models import (
    Course,
    CourseStream,
    Enrolment,
    InitiativeMember,
    Organization,
    Participant,
    Programme,
    RoleGrant,
    User,
    pk,
)
from engine.policy import ACTIONS, Actor, require_visible
from engine.services.common import get_or_404
from engine.training import service as svc

CANDIDATES_LIMIT = 1000


@dataclass
class CoursesPage:
    courses: list[tuple[Course, list[tuple[CourseStream, dict[str, int]]]]]
    manage_regions: list[int]  # the regions where the actor may add courses
    org: Organization | None = None
    org_enrolments: list[tuple[Enrolment, Course, CourseStream]] = field(default_factory=list)


def courses_page(uow: UnitOfWork, actor: Actor, org_id: Any = None) -> CoursesPage:
    """The courses of the actor's regions with their streams and counts; with ``org_id``,
    that organisation's people's enrolments too (404 outside scope; only the courses for
    those without ``training.view`` there, such as a member following the gate's link)."""
    courses = svc.courses_with_streams(uow, actor, svc.list_courses(uow, actor))
    regions = sorted(r for r in (actor.region_ids() if not actor.is_admin else
                                 {c.region_id for c, _s in courses} | actor.region_ids())
                     if svc.may_manage(actor, r))
    page = CoursesPage(courses, regions)
    if org_id is None and not regions:  # a head or coordinator: their own organisation's people
        own = sorted(o for o in actor.org_ids()
                     if actor.roles_for(o, actor.org_regions.get(o, -1)) & ACTIONS["training.view"])
        org_id = own[0] if len(own) == 1 else None
    if org_id is not None:
        org = get_or_404(uow.session, Organization, org_id, "organization")
        roles = require_visible(actor, pk(org), org.region_id, "organization")
        if not roles & ACTIONS["training.view"]:
            return page  # a member (the gate's link): the courses, not the people's records
        page.org = org
        page.org_enrolments = [(e, c, st) for e, c, st in uow.session.execute(
            select(Enrolment, Course, CourseStream)
            .join(CourseStream, col(CourseStream.id) == col(Enrolment.stream_id))
            .join(Course, col(Course.id) == col(CourseStream.course_id))
            .where(col(Enrolment.org_id) == org.id)
            .order_by(col(CourseStream.starts_on).desc(), col(Enrolment.name))).all()]
    return page


@dataclass
class StreamPage:
    stream: CourseStream
    course: Course
    enrolments: list[Enrolment]
    org_names: dict[int, str]
    manage: bool
    users: list[tuple[int, str]]  # whom the enrol form offers
    members: list[tuple[int, str]]


def stream_page(uow: UnitOfWork, actor: Actor, stream_id: Any) -> StreamPage:
    stream, course, rows = svc.enrolments_of(uow, actor, stream_id)
    s = uow.session
    org_ids = {e.org_id for e in rows if e.org_id is not None}
    names = dict(s.execute(select(col(Organization.id), col(Organization.name))
                           .where(col(Organization.id).in_(org_ids or {-1}))).all())
    manage = svc.may_manage(actor, course.region_id)
    users: list[tuple[int, str]] = []
    members: list[tuple[int, str]] = []
    if manage:
        taken_users = {e.user_id for e in rows}
        taken_members = {e.member_id for e in rows}
        users = [(uid, f"{name} — {org}") for uid, name, org in s.execute(
            select(col(User.id), col(User.name), col(Organization.name))
            .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
            .join(Organization, col(Organization.id) == col(RoleGrant.org_id))
            .where(col(Organization.region_id) == course.region_id, col(User.is_active).is_(True))
            .group_by(col(User.id), col(User.name), col(Organization.name))
            .order_by(col(User.name)).limit(CANDIDATES_LIMIT)).all() if uid not in taken_users]
        members = [(mid, f"{name} — {org}") for mid, name, org in s.execute(
            select(col(InitiativeMember.id), col(InitiativeMember.name), col(Organization.name))
            .join(Participant, col(Participant.id) == col(InitiativeMember.participant_id))
            .join(Programme, col(Programme.id) == col(Participant.programme_id))
            .join(Organization, col(Organization.id) == col(Participant.org_id))
            .where(col(Programme.region_id) == course.region_id, col(InitiativeMember.user_id).is_(None))
            .order_by(col(InitiativeMember.name)).limit(CANDIDATES_LIMIT)).all() if mid not in taken_members]
    return StreamPage(stream, course, rows, names, manage, users, members)
