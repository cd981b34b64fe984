"""Training's pages (PROGRAMME.md "Training"): /training (the courses with their streams and
counts, an organisation's trained people with ``?org_id=``), a stream's page (its
enrolments, the forms to enrol and to record completion). Thin: every read is one
engine/training/pages.py call, every change one engine/training/service.py call."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, url_for
from flask_babel import gettext as _

import webui.web.programme_labels as L
from engine.training import pages as views
from engine.training import service as T
from webui.query import int_arg
from webui.web.common import form_data, login_required, uow
from webui.web.programmes import _run as run_form

bp = Blueprint("training", __name__)


def _render_index(errors: dict[str, dict[str, str]] | None = None, values: dict[str, dict[str, Any]] | None = None,
                  status: int = 200) -> Any:
    with uow() as u:
        page = views.courses_page(u, g.actor, int_arg("org_id"))
        return render_template("training.html", page=page, kinds=list(L.COURSE_KIND.items()), L=L,
                               errors=errors or {}, values=values or {}), status


@bp.get("/training")
@login_required
def index() -> Any:
    return _render_index()


@bp.post("/training/courses")
@login_required
def create_course() -> Any:
    data = form_data("region_id", "title", "hours", "kind", ints=("region_id", "hours"))
    return run_form("course", ("title", "hours", "kind", "region_id"), _render_index,
                    url_for("training.index") + "#courses", T.create_course, data, ok=_("Course created."))


@bp.post("/training/courses/<int:course_id>/streams")
@login_required
def add_stream(course_id: int) -> Any:
    data = form_data("starts_on", "ends_on", "place")
    return run_form(f"stream-{course_id}", ("starts_on", "ends_on", "place"), _render_index,
                    url_for("training.index") + f"#course-{course_id}", T.add_stream, course_id, data,
                    ok=_("Stream added."))


def _render_stream(stream_id: int, errors: dict[str, dict[str, str]] | None = None,
                   values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        page = views.stream_page(u, g.actor, stream_id)
        return render_template("training_stream.html", page=page, L=L, errors=errors or {}, values=values or {}), \
            status


@bp.get("/training/streams/<int:stream_id>")
@login_required
def stream(stream_id: int) -> Any:
    return _render_stream(stream_id)


@bp.post("/training/streams/<int:stream_id>/enrol")
@login_required
def enrol(stream_id: int) -> Any:
    data = form_data("user_id", "member_id", ints=("user_id", "member_id"), optional=("user_id", "member_id"))
    return run_form("enrol", ("user_id", "member_id"), lambda **kw: _render_stream(stream_id, **kw),
                    url_for("training.stream", stream_id=stream_id), T.enrol, stream_id, data,
                    ok=_("Enrolled."))


@bp.post("/training/streams/<int:stream_id>/enrolments/<int:enrolment_id>/complete")
@login_required
def complete(stream_id: int, enrolment_id: int) -> Any:
    data = form_data("completed_on", "certificate_no", "version", ints=("version",), optional=("certificate_no",))
    return run_form(f"complete-{enrolment_id}", ("completed_on", "certificate_no"),
                    lambda **kw: _render_stream(stream_id, **kw),
                    url_for("training.stream", stream_id=stream_id) + f"#enrolment-{enrolment_id}",
                    T.complete, enrolment_id, data, ok=_("Completion recorded."))


@bp.post("/training/streams/<int:stream_id>/enrolments/<int:enrolment_id>/drop")
@login_required
def drop(stream_id: int, enrolment_id: int) -> Any:
    data = form_data("version", ints=("version",))
    return run_form(f"complete-{enrolment_id}", (), lambda **kw: _render_stream(stream_id, **kw),
                    url_for("training.stream", stream_id=stream_id), T.drop, enrolment_id, data,
                    ok=_("Marked as dropped out."))
