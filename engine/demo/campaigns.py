"""A demo scaling campaign (PROGRAMME.md "Portfolio edition and scaling"): the region's
curator offers the first published practice to eight schools with a deadline two weeks
ahead; four accept (a replica project starts, led by a person of the school), two decline
with a reason, and two (the demo school among them) have not answered yet, so the demo
head has an offer to answer and the campaign page shows every step of the funnel. Through
the campaigns' service, so each step has its audit event and notification."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.campaigns import accept_offer, create_campaign, decline_offer, staff_of
from engine.db import Store
from engine.demo.events import region_curator_id
from engine.models import CampaignOffer, Organization, Practice, RoleGrant, ScalingCampaign
from engine.services.common import load_actor

TITLE = "Тиражирование практики «{}» в школах области"
MESSAGE = ("Практика показала результат в школе-авторе. Предлагаем вашей школе внедрить её: "
           "примите предложение и назначьте руководителя проекта, или откажитесь, указав причину.")
DECLINES = ("В этом году школа участвует в другом проекте по той же теме",
            "Нет помещения для организации процесса по этой практике")
ACCEPTING, DECLINING, OFFERED = 4, len(DECLINES), 8


def load_campaigns(store: Store, region_id: int, demo_school: str, echo: Callable[[str], Any]) -> int:
    """The region's demo campaign (none when it has one already); returns how many were made."""
    with store.uow() as uow:
        s = uow.session
        if s.execute(select(col(ScalingCampaign.id)).where(col(ScalingCampaign.region_id) == region_id)).first():
            return 0
        curator_id = region_curator_id(s, region_id)
        practice = s.execute(select(Practice).where(col(Practice.region_id) == region_id,
                                                    col(Practice.status) == "published")
                             .order_by(col(Practice.id))).scalars().first()
        if curator_id is None or practice is None:
            return 0
        author = practice.org_id
        schools = list(s.execute(select(col(Organization.id), col(Organization.name)).where(
            col(Organization.region_id) == region_id, col(Organization.kind) == "school")
            .order_by(col(Organization.id))).all())
        curator = load_actor(s, curator_id)
        practice_id, practice_title = practice.id, practice.title
    # the demo school last (it keeps its offer open); the others in order, the author's school left out
    demo = [org_id for org_id, name in schools if name == demo_school]
    others = [org_id for org_id, name in schools if name != demo_school and org_id != author]
    chosen = others[:OFFERED - len(demo)] + demo
    with store.uow() as uow:
        campaign = create_campaign(uow, curator, {
            "practice_id": practice_id, "title": TITLE.format(practice_title)[:300], "message": MESSAGE,
            "deadline": (clock.today() + timedelta(days=14)).isoformat(), "org_ids": chosen})
        campaign_id = campaign.id
    with store.uow() as uow:
        offers = {o.org_id: o.id for o in uow.session.execute(
            select(CampaignOffer).where(col(CampaignOffer.campaign_id) == campaign_id)).scalars()}
    answering = [org_id for org_id in chosen if org_id in offers and org_id not in demo]
    for n, org_id in enumerate(answering[:ACCEPTING + DECLINING]):
        with store.uow() as uow:
            s = uow.session
            head_id = s.execute(select(col(RoleGrant.user_id)).where(
                col(RoleGrant.org_id) == org_id, col(RoleGrant.role) == "head").order_by(col(RoleGrant.id))).scalar()
            staff = [p["id"] for p in staff_of(s, org_id) if p["id"] != head_id] or [head_id]
            if head_id is None:
                continue
            head = load_actor(s, head_id)
        with store.uow() as uow:
            if n < ACCEPTING:
                accept_offer(uow, head, offers[org_id], {"leader_id": staff[0]})
            else:
                decline_offer(uow, head, offers[org_id], {"reason": DECLINES[n - ACCEPTING]})
    echo(f"  кампания тиражирования: предложено {len(offers)} организациям")
    return 1
