"""The scaling campaigns' API answers as pydantic models (routes declare them,
``response=CO.Campaign``; the OpenAPI description is generated from them)."""
from __future__ import annotations

from engine.outputs import Effect, Out  # one base for every API answer: extra keys refused


class CampaignFunnel(Out):
    """Offered (every offer), accepted, declined, started (the replica project exists),
    closed (the replica finished with results; a cancelled one is not closed)."""
    offered: int
    accepted: int
    declined: int
    started: int
    closed: int


class CampaignItem(Out):
    id: int
    region_id: int
    practice_id: int
    practice_title: str
    title: str
    message: str
    deadline: str
    status: str  # open | closed
    created_by: int | None
    created_at: str | None
    closed_at: str | None
    version: int
    funnel: CampaignFunnel


class Offer(Out):
    id: int
    campaign_id: int
    org_id: int
    org_name: str
    org_kind: str
    status: str  # offered | accepted | declined
    reason: str | None
    decided_by: int | None
    decided_at: str | None
    project_id: int | None
    reminded_at: str | None
    version: int


class CampaignOffer(Offer):
    """An offer on the campaign's page: the replica (its stage) and its effect against the
    original (``vs_original``: the difference of the best improvements, percentage points)."""
    project_title: str | None
    project_state: str | None
    effect: list[Effect]
    effect_size: float | None
    vs_original: float | None


class Campaign(CampaignItem):
    """One campaign: its funnel, the original's effect and every offer."""
    original_effect: list[Effect]
    original_effect_size: float | None
    offers: list[CampaignOffer]


class CampaignList(Out):
    items: list[CampaignItem]
    total: int


class LeaderOption(Out):
    id: int
    name: str


class MyOffer(Offer):
    """An offer a head answers: the campaign, the practice, the deadline, whether it may
    still be answered and (then) who may lead the replica."""
    campaign_title: str
    message: str
    practice_id: int
    practice_title: str
    deadline: str
    open: bool
    leaders: list[LeaderOption]


class MyOfferList(Out):
    items: list[MyOffer]
    total: int
