"""Input schemas of the training services (validated with ``engine.schemas.parse``; the
API's OpenAPI description is generated from the same classes)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine import vocab
from engine.schemas import Input, IsoDate, _text

if TYPE_CHECKING:
    CourseKind = Literal["qualification", "expert", "seminar"]
else:
    CourseKind = Literal[vocab.values(vocab.CourseKind)]


class CourseIn(Input):
    region_id: int
    title: str = _text(500)
    hours: int = Field(ge=1, le=10000)
    kind: CourseKind


class StreamIn(Input):
    starts_on: IsoDate
    ends_on: IsoDate
    place: str = Field(default="", max_length=300)


class EnrolmentIn(Input):
    """A user (``user_id``) or a person of an initiative group (``member_id``)."""
    user_id: int | None = None
    member_id: int | None = None
    org_id: int | None = None  # a user's organisation, when they work in several


class CompletionIn(Input):
    completed_on: IsoDate
    certificate_no: str | None = Field(default=None, max_length=100)
    version: int | None = None


class DropIn(Input):
    version: int | None = None
