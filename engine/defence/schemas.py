"""Input of the defence sessions' mutations (``engine.schemas.parse``; the OpenAPI
description is generated from the same classes)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StrictInt

from engine import vocab
from engine.schemas import Input, IsoDate, _text

if TYPE_CHECKING:
    DefenceDecision = Literal["accepted", "to_revise"]
else:
    DefenceDecision = Literal[vocab.values(vocab.DefenceDecision)]

UserId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]


class SessionIn(Input):
    region_id: int
    title: str = _text(300)
    held_on: IsoDate
    place: str = Field(default="", max_length=300)
    commission: list[UserId] = Field(default_factory=list, max_length=30)  # curators of the region


class AddProjectIn(Input):
    project_id: int


class DecisionIn(Input):
    decision: DefenceDecision
    remarks: str | None = Field(default=None, max_length=5000)  # required for to_revise


class CloseIn(Input):
    version: int
