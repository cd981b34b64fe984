"""Who is trained, read set-based: the people of a project (the check ``team_trained``),
the organisations (the funnel's ``trained`` step), the initiative group's and the team's
«обучен(а): курс, дата», and the tower's and the regional summary's counts (by stream,
kind of organisation, municipality). A person completed a course when one of their
enrolments is ``completed``; an initiative-group person linked to a user counts for both."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select, union
from sqlmodel import Session, col

from engine.models import Course, CourseStream, Enrolment, InitiativeMember, Municipality, Organization, RoleGrant
from engine.vocab import EnrolmentStatus

COMPLETED = EnrolmentStatus.COMPLETED.value


def trained_orgs_subquery() -> Any:
    """SQL: the organisations (``org_id``) where someone completed a course: enrolled from
    it (an initiative-group person, a user), or a user who works there."""
    done = col(Enrolment.status) == COMPLETED
    enrolled_from: Any = select(col(Enrolment.org_id).label("org_id")).where(done, col(Enrolment.org_id).is_not(None))
    works_there: Any = (select(col(RoleGrant.org_id).label("org_id"))
                   .join(Enrolment, col(Enrolment.user_id) == col(RoleGrant.user_id))
                   .where(done, col(RoleGrant.org_id).is_not(None)))
    both = union(enrolled_from, works_there).subquery()
    return select(both.c.org_id).group_by(both.c.org_id).subquery()


def any_completed(session: Session, user_ids: set[int]) -> bool:
    """Whether one of these users completed a course (as a user or as an initiative-group
    person linked to them)."""
    if not user_ids:
        return False
    stmt = (select(col(Enrolment.id)).outerjoin(InitiativeMember, col(InitiativeMember.id) == col(Enrolment.member_id))
            .where(col(Enrolment.status) == COMPLETED,
                   or_(col(Enrolment.user_id).in_(user_ids), col(InitiativeMember.user_id).in_(user_ids)))
            .limit(1))
    return session.execute(stmt).first() is not None


@dataclass(frozen=True)
class Completion:
    course: str
    completed_on: date | None
    certificate_no: str | None


def completions(session: Session, *, user_ids: set[int] | None = None,
                member_ids: set[int] | None = None) -> tuple[dict[int, Completion], dict[int, Completion]]:
    """The latest completed course of each user and of each initiative-group person:
    ({user_id: Completion}, {member_id: Completion}); a person linked to a user gets the
    user's too."""
    user_ids, member_ids = user_ids or set(), member_ids or set()
    linked = dict(session.execute(select(col(InitiativeMember.id), col(InitiativeMember.user_id)).where(
        col(InitiativeMember.id).in_(member_ids or {-1}), col(InitiativeMember.user_id).is_not(None))).all())
    all_users = user_ids | set(linked.values())
    rows = session.execute(
        select(col(Enrolment.user_id), col(Enrolment.member_id), col(Course.title), col(Enrolment.completed_on),
               col(Enrolment.certificate_no))
        .join(CourseStream, col(CourseStream.id) == col(Enrolment.stream_id))
        .join(Course, col(Course.id) == col(CourseStream.course_id))
        .where(col(Enrolment.status) == COMPLETED,
               or_(col(Enrolment.user_id).in_(all_users or {-1}), col(Enrolment.member_id).in_(member_ids or {-1})))
        .order_by(col(Enrolment.completed_on), col(Enrolment.id))).all()
    by_user: dict[int, Completion] = {}
    by_member: dict[int, Completion] = {}
    for uid, mid, title, on, cert in rows:  # the latest wins
        c = Completion(title, on, cert)
        if uid is not None:
            by_user[uid] = c
        if mid is not None:
            by_member[mid] = c
    for mid, uid in linked.items():
        if mid not in by_member and uid in by_user:
            by_member[mid] = by_user[uid]
    return {u: c for u, c in by_user.items() if u in user_ids}, by_member


@dataclass
class TrainingFigures:
    """People who completed a course in a region (each person once per group)."""
    total: int = 0
    by_stream: list[tuple[str, str, int]] = field(default_factory=list)  # (course, stream dates, people)
    by_kind: dict[str, int] = field(default_factory=dict)  # organisation kind -> people
    by_municipality: list[tuple[str, int]] = field(default_factory=list)


def training_figures(session: Session, region_id: int, org_ids: set[int] | None = None) -> TrainingFigures:
    """The region's trained people by stream, kind of organisation and municipality (within
    ``org_ids`` when given); one query."""
    stmt = (select(col(Enrolment.id), col(Enrolment.user_id), col(Enrolment.member_id), col(Course.title),
                   col(CourseStream.id), col(CourseStream.starts_on), col(CourseStream.ends_on),
                   col(Organization.kind), col(Municipality.name))
            .join(CourseStream, col(CourseStream.id) == col(Enrolment.stream_id))
            .join(Course, col(Course.id) == col(CourseStream.course_id))
            .outerjoin(Organization, col(Organization.id) == col(Enrolment.org_id))
            .outerjoin(Municipality, col(Municipality.id) == col(Organization.municipality_id))
            .where(col(Course.region_id) == region_id, col(Enrolment.status) == COMPLETED)
            .order_by(col(CourseStream.starts_on), col(CourseStream.id)))
    if org_ids is not None:
        stmt = stmt.where(col(Enrolment.org_id).in_(org_ids or {-1}))
    people: set[str] = set()
    streams: dict[int, tuple[str, str, set[str]]] = {}
    kinds: dict[str, set[str]] = defaultdict(set)
    muns: dict[str, set[str]] = defaultdict(set)
    for eid, uid, mid, title, sid, starts, ends, kind, mun in session.execute(stmt).all():
        who = f"u{uid}" if uid is not None else f"m{mid}" if mid is not None else f"e{eid}"
        people.add(who)
        streams.setdefault(sid, (title, f"{starts:%d.%m.%Y} – {ends:%d.%m.%Y}", set()))[2].add(who)
        kinds[kind or "other"].add(who)
        muns[mun or "—"].add(who)
    return TrainingFigures(
        total=len(people),
        by_stream=[(t, d, len(p)) for t, d, p in streams.values()],
        by_kind={k: len(p) for k, p in sorted(kinds.items())},
        by_municipality=sorted(((m, len(p)) for m, p in muns.items()), key=lambda x: (-x[1], x[0])))
