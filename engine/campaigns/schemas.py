"""Input schemas of the scaling campaigns' mutations (validated with ``engine.schemas.parse``;
the API's OpenAPI description is generated from the same classes)."""
from __future__ import annotations

from pydantic import Field

from engine.schemas import Input, IsoDate, OrgKind, _text


class CampaignIn(Input):
    """POST /campaigns: offer a published practice to organisations of its region, chosen
    by a list (``org_ids``) or by ``kind`` and/or ``municipality_id``; they answer by
    ``deadline`` (a date after today)."""
    practice_id: int
    title: str = _text(300)
    message: str = Field(default="", max_length=10_000)
    deadline: IsoDate
    org_ids: list[int] | None = Field(default=None, max_length=5000)
    kind: OrgKind | None = None
    municipality_id: int | None = None


class CampaignClose(Input):
    """POST /campaigns/<id>/close: no more answers; ``version`` guards a colleague's change."""
    version: int | None = None


class OfferAccept(Input):
    """POST /campaign-offers/<id>/accept: the replica project's leader, a person of the
    organisation."""
    leader_id: int


class OfferDecline(Input):
    """POST /campaign-offers/<id>/decline: why the organisation declines."""
    reason: str = _text(5000)
