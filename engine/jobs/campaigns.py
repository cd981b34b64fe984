"""Scaling campaigns' deadlines (daily): the heads of each organisation whose offer is
still unanswered are reminded once, ``OFFER_REMINDER_DAYS`` before the campaign's deadline
(compare-and-swap on ``campaign_offer.reminded_at``: only the run whose UPDATE flipped an
offer writes its notifications and event)."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from engine import clock
from engine.campaigns.service import heads_of, offer_text
from engine.db import Store
from engine.jobs.common import Note
from engine.models import CampaignOffer, Practice, ScalingCampaign
from engine.policy import SYSTEM
from engine.services.common import record
from engine.services.notifications import notify_many
from engine.vocab import CampaignStatus, EventKind, NotificationKind, OfferStatus

OFFER_REMINDER_DAYS = 3


def campaign_reminders(store: Store) -> dict[str, Any]:
    """Remind once the heads of organisations that have not answered an open campaign
    whose deadline is within ``OFFER_REMINDER_DAYS`` days (today included)."""
    today = clock.today()
    with store.uow() as uow:
        s = uow.session
        due = select(col(ScalingCampaign.id)).where(
            col(ScalingCampaign.status) == CampaignStatus.OPEN.value, col(ScalingCampaign.deadline) >= today,
            col(ScalingCampaign.deadline) <= today + timedelta(days=OFFER_REMINDER_DAYS))
        won = s.execute(
            update(CampaignOffer)
            .where(col(CampaignOffer.status) == OfferStatus.OFFERED.value, col(CampaignOffer.reminded_at).is_(None),
                   col(CampaignOffer.campaign_id).in_(due))
            .values(reminded_at=clock.now())
            .returning(col(CampaignOffer.id), col(CampaignOffer.campaign_id), col(CampaignOffer.org_id))
            .execution_options(synchronize_session=False)).all()
        by_campaign: dict[int, list[Any]] = defaultdict(list)
        for r in won:
            by_campaign[r.campaign_id].append(r)
        heads = heads_of(s, [r.org_id for r in won])
        notes: list[Note] = []
        for campaign_id in sorted(by_campaign):
            campaign = s.get(ScalingCampaign, campaign_id)
            assert campaign is not None  # the offers' foreign key
            practice_title = s.execute(select(col(Practice.title)).where(
                col(Practice.id) == campaign.practice_id)).scalar_one()
            text = offer_text(campaign, practice_title, reminder=True)
            offers = sorted(by_campaign[campaign_id], key=lambda r: r.id)
            users = sorted({u for r in offers for u in heads.get(r.org_id, [])})
            notes += [(u, NotificationKind.CAMPAIGN_REMINDER.value, None, text) for u in users]
            record(s, SYSTEM, EventKind.OFFER_REMINDED, None,
                   {"campaign_id": campaign_id, "offers": [r.id for r in offers], "notified": len(users)})
        notified = notify_many(s, notes)
        uow.commit()
    return {"offers": len(won), "notified": notified}
