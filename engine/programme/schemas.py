"""Input schemas of the programme's mutations (validated with ``engine.schemas.parse``;
the API's OpenAPI description is generated from the same classes)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine import vocab
from engine.schemas import Input, IsoDate, OrgKind, _if_given, _Patch, _text

if TYPE_CHECKING:
    # mypy cannot read a Literal built at run time: the same values, written out
    # (tests/engine/test_schema_types.py keeps them equal to engine/vocab.py)
    ProgrammeStatus = Literal["draft", "active", "finished"]
    TaskStatus = Literal["open", "done"]
    RoundKind = Literal["initial", "final", "other"]
    PlanItemStatus = Literal["open", "done", "dropped"]
else:
    ProgrammeStatus = Literal[vocab.values(vocab.ProgrammeStatus)]
    TaskStatus = Literal[vocab.values(vocab.TaskStatus)]
    RoundKind = Literal[vocab.values(vocab.RoundKind)]
    PlanItemStatus = Literal[vocab.values(vocab.PlanItemStatus)]
ShortTexts = list[str]  # each checked in the service (1..500 characters)


class StageIn(Input):
    title: str = _text(300)
    starts_on: IsoDate
    ends_on: IsoDate
    content: str = Field(default="", max_length=5000)


class ProgrammeIn(Input):
    region_id: int
    title: str = _text(500)
    starts_on: IsoDate
    ends_on: IsoDate
    goal: str | None = Field(default=None, max_length=5000)
    tasks: str | None = Field(default=None, max_length=5000)
    hypothesis: str | None = Field(default=None, max_length=5000)
    workflow: str | None = Field(default=None, max_length=50)  # its participants' new projects' workflow
    stages: list[StageIn] = Field(default_factory=list, max_length=20)


class ProgrammePatch(_Patch):
    title: str = _if_given(min_length=1, max_length=500)
    starts_on: IsoDate = _if_given()
    ends_on: IsoDate = _if_given()
    goal: str = _if_given(max_length=5000)
    tasks: str = _if_given(max_length=5000)
    hypothesis: str = _if_given(max_length=5000)
    status: ProgrammeStatus = _if_given()
    workflow: str | None = Field(default=None, max_length=50)  # null: back to the default workflow
    version: int


class StagePatch(_Patch):
    title: str = _if_given(min_length=1, max_length=300)
    starts_on: IsoDate = _if_given()
    ends_on: IsoDate = _if_given()
    content: str = _if_given(max_length=5000)


class StageTaskIn(Input):
    title: str = _text(300)
    due_on: IsoDate | None = None
    responsible: str = Field(default="", max_length=200)
    rule: str | None = Field(default=None, max_length=60)


class StageTaskPatch(_Patch):
    title: str = _if_given(min_length=1, max_length=300)
    due_on: IsoDate | None = None
    responsible: str = _if_given(max_length=200)
    status: TaskStatus = _if_given()


class ParticipantIn(Input):
    org_id: int
    joined_on: IsoDate
    wave: int | None = Field(default=None, ge=1, le=100)


class ParticipantsBulkIn(Input):
    """Many organisations at once: by municipality and/or kind (those not yet taking part)."""
    joined_on: IsoDate
    wave: int | None = Field(default=None, ge=1, le=100)
    municipality_id: int | None = None
    kind: OrgKind | None = None


class ParticipantWithdrawIn(Input):
    reason: str = _text(2000)
    withdrawn_on: IsoDate | None = None


class MemberIn(Input):
    """A person of the initiative group: a user of the organisation, or a named person."""
    user_id: int | None = None
    name: str | None = Field(default=None, max_length=200)
    position: str = Field(default="", max_length=200)


class RoundIn(Input):
    kind: RoundKind
    title: str = _text(300)
    opens_on: IsoDate
    closes_on: IsoDate


class AnswerIn(Input):
    org_id: int
    scores: dict[str, int] = Field(default_factory=dict)
    needs: ShortTexts = Field(default_factory=list, max_length=50)
    difficulties: ShortTexts = Field(default_factory=list, max_length=50)
    resources: ShortTexts = Field(default_factory=list, max_length=50)
    deficits: ShortTexts = Field(default_factory=list, max_length=50)
    submit: bool = False
    version: int | None = None  # the answer's version when it was read (compare-and-swap)


class ReopenIn(Input):
    org_id: int
    comment: str | None = Field(default=None, max_length=2000)


class PlanItemIn(Input):
    title: str = _text(300)
    due_on: IsoDate | None = None
    who: str = Field(default="", max_length=200)
    evidence_url: str | None = Field(default=None, max_length=1000)


class PlanItemPatch(_Patch):
    title: str = _if_given(min_length=1, max_length=300)
    due_on: IsoDate | None = None
    who: str = _if_given(max_length=200)
    status: PlanItemStatus = _if_given()
    evidence_url: str | None = Field(default=None, max_length=1000)


class PlanSubmitIn(Input):
    comment: str | None = Field(default=None, max_length=2000)


class PlanApproveIn(Input):
    comment: str | None = Field(default=None, max_length=2000)


class PlanReturnIn(Input):
    comment: str = _text(2000)
