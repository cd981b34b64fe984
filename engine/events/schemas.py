"""Input schemas of the events' mutations (validated with ``engine.schemas.parse``; the
API's OpenAPI description is generated from the same classes)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine import vocab
from engine.schemas import Input, IsoDate, _if_given, _Patch, _text

if TYPE_CHECKING:
    # mypy cannot read a Literal built at run time: the same values, written out
    EventType = Literal["webinar", "foresight", "conference", "fair", "course_day"]
else:
    EventType = Literal[vocab.EVENT_TYPES]

ATTENDANCE_MAX = 1_000_000
LINKS_MAX = 500  # organisations or practices named on one event


class EventIn(Input):
    region_id: int
    programme_id: int | None = None
    title: str = _text(300)
    kind: EventType
    held_on: IsoDate
    place: str = Field(default="", max_length=300)
    link: str | None = Field(default=None, max_length=1000)
    attendance: int | None = Field(default=None, ge=0, le=ATTENDANCE_MAX)
    description: str = Field(default="", max_length=5000)
    org_ids: list[int] = Field(default_factory=list, max_length=LINKS_MAX)
    practice_ids: list[int] = Field(default_factory=list, max_length=LINKS_MAX)


class EventPatch(_Patch):
    programme_id: int | None = None
    title: str = _if_given(min_length=1, max_length=300)
    kind: EventType = _if_given()
    held_on: IsoDate = _if_given()
    place: str = _if_given(max_length=300)
    link: str | None = Field(default=None, max_length=1000)
    attendance: int | None = Field(default=None, ge=0, le=ATTENDANCE_MAX)
    description: str = _if_given(max_length=5000)
    org_ids: list[int] = _if_given(max_length=LINKS_MAX)
    practice_ids: list[int] = _if_given(max_length=LINKS_MAX)
    version: int
