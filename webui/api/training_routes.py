"""Training's resources (PROGRAMME.md "Training"; new routes beside API.md's): courses,
their streams, enrolments and completions; thin adapters like webui/api/routes.py."""
from __future__ import annotations

from typing import Any

from flask import g

from engine.training import outputs as TO
from engine.training import schemas as TS
from engine.training import service as T
from webui.api.blueprint import body_json, route
from webui.extensions import store
from webui.query import int_arg


def _courses(uow: Any, courses: list[Any]) -> list[TO.CourseOut]:
    return [TO.course_out(c, [TO.stream_out(s, n) for s, n in streams])
            for c, streams in T.courses_with_streams(uow, g.actor, courses)]


@route("/courses", summary="The courses of the regions the user sees, with their streams and counts",
       response=TO.CourseList, errors=(401, 422), query={"region_id": {"schema": {"type": "integer"}}})
def list_courses() -> Any:
    region_id = int_arg("region_id", strict=True)
    with store().uow() as uow:
        items = _courses(uow, T.list_courses(uow, g.actor, region_id))
        return TO.CourseList(items=items, total=len(items))


@route("/courses", "POST", summary="Create a course of a region (its curators, admins)", ok=201,
       body=TS.CourseIn, response=TO.CourseOut, errors=(400, 401, 403, 404, 422))
def post_course() -> Any:
    with store().uow() as uow:
        return _courses(uow, [T.create_course(uow, g.actor, body_json())])[0], 201


@route("/courses/{course_id}/streams", summary="A course's streams with their counts",
       response=TO.StreamList, errors=(401, 404))
def list_streams(course_id: int) -> Any:
    with store().uow() as uow:
        items = _courses(uow, [T.get_course(uow, g.actor, course_id)])[0].streams
        return TO.StreamList(items=items, total=len(items))


@route("/courses/{course_id}/streams", "POST", summary="Add a stream (dates, place) to a course", ok=201,
       body=TS.StreamIn, response=TO.StreamOut, errors=(400, 401, 403, 404, 422))
def post_stream(course_id: int) -> Any:
    with store().uow() as uow:
        return TO.stream_out(T.add_stream(uow, g.actor, course_id, body_json()), {}), 201


@route("/streams/{stream_id}/enrolments", summary="A stream's enrolments (the region's curators: all; heads "
       "and coordinators: their organisation's)", response=TO.EnrolmentList, errors=(401, 403, 404))
def list_enrolments(stream_id: int) -> Any:
    with store().uow() as uow:
        items = [TO.enrolment_out(e) for e in T.enrolments_of(uow, g.actor, stream_id)[2]]
        return TO.EnrolmentList(items=items, total=len(items))


@route("/streams/{stream_id}/enrolments", "POST", summary="Enrol a user or an initiative-group person; 409 when "
       "enrolled already", ok=201, body=TS.EnrolmentIn, response=TO.EnrolmentOut,
       errors=(400, 401, 403, 404, 409, 422))
def post_enrolment(stream_id: int) -> Any:
    with store().uow() as uow:
        return TO.enrolment_out(T.enrol(uow, g.actor, stream_id, body_json())), 201


@route("/enrolments/{enrolment_id}/complete", "POST", summary="Record completion: date and certificate number "
       "(a completed one is corrected); 409 for a dropped one or a stale version", body=TS.CompletionIn,
       response=TO.EnrolmentOut, errors=(400, 401, 403, 404, 409, 422))
def complete_enrolment(enrolment_id: int) -> Any:
    with store().uow() as uow:
        return TO.enrolment_out(T.complete(uow, g.actor, enrolment_id, body_json()))


@route("/enrolments/{enrolment_id}/drop", "POST", summary="An enrolled person dropped out", body=TS.DropIn,
       response=TO.EnrolmentOut, errors=(400, 401, 403, 404, 409, 422))
def drop_enrolment(enrolment_id: int) -> Any:
    with store().uow() as uow:
        return TO.enrolment_out(T.drop(uow, g.actor, enrolment_id, body_json()))
