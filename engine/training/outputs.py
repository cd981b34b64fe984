"""Training's API answers (routes declare them; the OpenAPI description is generated from them)."""
from __future__ import annotations

from engine.models import Course, CourseStream, Enrolment
from engine.outputs import Out


class StreamOut(Out):
    id: int
    course_id: int
    starts_on: str
    ends_on: str
    place: str
    enrolled: int  # people in the stream (every status) the caller sees
    completed: int


class StreamList(Out):
    items: list[StreamOut]
    total: int


class CourseOut(Out):
    id: int
    region_id: int
    title: str
    hours: int
    kind: str
    streams: list[StreamOut]


class CourseList(Out):
    items: list[CourseOut]
    total: int


class EnrolmentOut(Out):
    id: int
    stream_id: int
    user_id: int | None
    member_id: int | None
    org_id: int | None
    name: str
    status: str
    completed_on: str | None
    certificate_no: str | None
    version: int


class EnrolmentList(Out):
    items: list[EnrolmentOut]
    total: int


def stream_out(s: CourseStream, counts: dict[str, int]) -> StreamOut:
    return StreamOut(id=s.id, course_id=s.course_id, starts_on=s.starts_on.isoformat(),
                     ends_on=s.ends_on.isoformat(), place=s.place, enrolled=sum(counts.values()),
                     completed=counts.get("completed", 0))


def course_out(c: Course, streams: list[StreamOut]) -> CourseOut:
    return CourseOut(id=c.id, region_id=c.region_id, title=c.title, hours=c.hours, kind=c.kind, streams=streams)


def enrolment_out(e: Enrolment) -> EnrolmentOut:
    return EnrolmentOut(id=e.id, stream_id=e.stream_id, user_id=e.user_id, member_id=e.member_id, org_id=e.org_id,
                        name=e.name, status=e.status,
                        completed_on=e.completed_on.isoformat() if e.completed_on else None,
                        certificate_no=e.certificate_no, version=e.version)
