"""Reading the scaling campaigns: the curators' list, one campaign with its funnel and each
replica's effect against the original, and a head's offers to answer.

The funnel (PROGRAMME.md): offered (every offer), accepted, declined, started (the replica
project exists), closed (the replica reached its workflow's ``done`` state: finished with
results; a cancelled one is not closed). Effects are the practices' own computations
(``practices.compute_effect``, ``best_improvement``): the original's is the practice's
stored effect, each replica's is measured now.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select, true
from sqlmodel import Session, col

from engine import clock
from engine.campaigns.service import get_campaign
from engine.db import UnitOfWork
from engine.errors import NotFound
from engine.models import CampaignOffer, Organization, Practice, Project, RoleGrant, ScalingCampaign, User
from engine.policy import ACTIONS, Actor, can, can_in_region
from engine.practices.service import best_improvement, compute_effect
from engine.services.common import works_in
from engine.vocab import OfferStatus

FUNNEL_STEPS = ("offered", "accepted", "declined", "started", "closed")


def funnel_of(session: Session, done_states: frozenset[str], campaign_ids: list[int],
              org_ids: set[int] | None = None) -> dict[int, dict[str, int]]:
    """campaign id -> its funnel counts (every step, 0 when none); only the offers to
    ``org_ids`` when given (a municipal curator's organisations)."""
    out = {cid: dict.fromkeys(FUNNEL_STEPS, 0) for cid in campaign_ids}
    if not campaign_ids:
        return out
    stmt = (select(col(CampaignOffer.campaign_id), col(CampaignOffer.status), col(Project.state), func.count())
            .outerjoin(Project, col(Project.id) == col(CampaignOffer.project_id))
            .where(col(CampaignOffer.campaign_id).in_(campaign_ids))
            .group_by(col(CampaignOffer.campaign_id), col(CampaignOffer.status), col(Project.state)))
    if org_ids is not None:
        stmt = stmt.where(col(CampaignOffer.org_id).in_(sorted(org_ids) or [-1]))
    rows = session.execute(stmt).all()
    for cid, status, state, n in rows:
        f = out[cid]
        f["offered"] += n
        if status == OfferStatus.ACCEPTED.value:
            f["accepted"] += n
        elif status == OfferStatus.DECLINED.value:
            f["declined"] += n
        if state is not None:
            f["started"] += n
            if state in done_states:
                f["closed"] += n
    return out


def _campaign_dict(c: ScalingCampaign, practice_title: str, funnel: dict[str, int]) -> dict[str, Any]:
    return {"id": c.id, "region_id": c.region_id, "practice_id": c.practice_id, "practice_title": practice_title,
            "title": c.title, "message": c.message, "deadline": c.deadline.isoformat(), "status": c.status,
            "created_by": c.created_by, "created_at": clock.iso(c.created_at), "closed_at": clock.iso(c.closed_at),
            "version": c.version, "funnel": funnel}


def _watched_regions(actor: Actor) -> list[int]:
    return sorted(r for r in actor.curator_region_ids() if can_in_region(actor, "campaign.view", r))


def _municipal_orgs(actor: Actor) -> set[int]:
    """The organisations a municipal curator follows (their municipalities'): they see the
    campaigns that offered a practice to any of them, and only those offers."""
    return actor.municipal_org_ids() if "curator" in ACTIONS["campaign.view"] else set()


def list_campaigns(uow: UnitOfWork, actor: Actor, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The campaigns of the regions the actor watches (curators; admins: every region), and
    for a municipal curator those that made an offer to their municipalities' organisations
    (the funnel counting those offers), newest first, each with its funnel. Returns (page, total)."""
    s = uow.session
    stmt = (select(ScalingCampaign, col(Practice.title))
            .join(Practice, col(Practice.id) == col(ScalingCampaign.practice_id)))
    regions: list[int] = []
    mine: set[int] = set()
    if not actor.is_admin:
        regions, mine = _watched_regions(actor), _municipal_orgs(actor)
        offered_to_mine = select(col(CampaignOffer.campaign_id)).where(col(CampaignOffer.org_id).in_(sorted(mine)))
        to_mine = col(ScalingCampaign.id).in_(offered_to_mine) if mine else col(ScalingCampaign.id).is_(None)
        stmt = stmt.where(col(ScalingCampaign.region_id).in_(regions) | to_mine)
    total = s.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = s.execute(stmt.order_by(col(ScalingCampaign.id).desc()).limit(limit).offset(offset)).all()
    done = uow.workflows.done_states()
    whole = [c.id for c, _ in rows if actor.is_admin or c.region_id in regions]
    funnels = funnel_of(s, done, whole)
    funnels.update(funnel_of(s, done, [c.id for c, _ in rows if c.id not in funnels], mine))
    return [_campaign_dict(c, title, funnels[c.id]) for c, title in rows], total


def campaign_detail(uow: UnitOfWork, actor: Actor, campaign_id: int) -> dict[str, Any]:
    """One campaign (its region's curators, admins): funnel, the original's effect, and
    every offer with its organisation, answer, replica (stage) and the replica's effect
    against the original's (``vs_original``: the difference of the best improvements, in
    percentage points)."""
    s = uow.session
    only: set[int] | None = None  # the offers shown: every one, or a municipal curator's
    try:
        campaign = get_campaign(uow, actor, campaign_id)
    except NotFound:
        only = _municipal_orgs(actor)
        offered = s.execute(select(col(CampaignOffer.id)).where(
            col(CampaignOffer.campaign_id) == campaign_id, col(CampaignOffer.org_id).in_(sorted(only)))).first()
        if not only or offered is None:
            raise
        campaign = cast(ScalingCampaign, s.get(ScalingCampaign, campaign_id))
    practice = s.get(Practice, campaign.practice_id)
    assert practice is not None  # a foreign key
    original = best_improvement(practice.effect)
    body = _campaign_dict(campaign, practice.title,
                          funnel_of(s, uow.workflows.done_states(), [campaign_id], only)[campaign_id])
    body["original_effect"] = practice.effect
    body["original_effect_size"] = original
    offers = []
    for offer, org, project in s.execute(
            select(CampaignOffer, Organization, Project)
            .join(Organization, col(Organization.id) == col(CampaignOffer.org_id))
            .outerjoin(Project, col(Project.id) == col(CampaignOffer.project_id))
            .where(col(CampaignOffer.campaign_id) == campaign_id,
                   col(CampaignOffer.org_id).in_(sorted(only)) if only is not None else true())
            .order_by(col(Organization.name), col(CampaignOffer.id))):
        effect = compute_effect(s, project) if project is not None else []
        size = best_improvement(effect)
        offers.append({**offer_dict(offer, org), "project_title": project.title if project else None,
                       "project_state": project.state if project else None, "effect": effect,
                       "effect_size": size,
                       "vs_original": None if size is None or original is None else round(size - original, 1)})
    body["offers"] = offers
    return body


def offer_dict(offer: CampaignOffer, org: Organization) -> dict[str, Any]:
    return {"id": offer.id, "campaign_id": offer.campaign_id, "org_id": offer.org_id, "org_name": org.name,
            "org_kind": org.kind, "status": offer.status, "reason": offer.reason, "decided_by": offer.decided_by,
            "decided_at": clock.iso(offer.decided_at), "project_id": offer.project_id,
            "reminded_at": clock.iso(offer.reminded_at), "version": offer.version}


def my_offers(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The offers a head answers (policy ``offer.decide``): every campaign's offer to their
    organisations, open ones first by deadline; each with the practice, the deadline and,
    while open, the people of the organisation who may lead the replica."""
    s = uow.session
    org_ids = sorted(actor.org_ids())
    if not org_ids:
        return []
    rows = s.execute(
        select(CampaignOffer, Organization, ScalingCampaign, col(Practice.title))
        .join(Organization, col(Organization.id) == col(CampaignOffer.org_id))
        .join(ScalingCampaign, col(ScalingCampaign.id) == col(CampaignOffer.campaign_id))
        .join(Practice, col(Practice.id) == col(ScalingCampaign.practice_id))
        .where(col(CampaignOffer.org_id).in_(org_ids))
        .order_by(col(ScalingCampaign.deadline), col(CampaignOffer.id))).all()
    today = clock.today()
    out: list[dict[str, Any]] = []
    leaders: dict[int, list[dict[str, Any]]] = {}
    for offer, org, campaign, practice_title in rows:
        if not can(actor, "offer.decide", org.id, org.region_id):
            continue
        open_ = (offer.status == OfferStatus.OFFERED.value and campaign.status == "open" and today <= campaign.deadline)
        if open_ and org.id not in leaders:
            leaders[org.id] = staff_of(s, org.id)
        out.append({**offer_dict(offer, org), "campaign_title": campaign.title, "message": campaign.message,
                    "practice_id": campaign.practice_id, "practice_title": practice_title,
                    "deadline": campaign.deadline.isoformat(), "open": open_,
                    "leaders": leaders.get(org.id, []) if open_ else []})
    out.sort(key=lambda o: (not o["open"], o["deadline"], o["id"]))
    return out


def staff_of(session: Session, org_id: int) -> list[dict[str, Any]]:
    """The active people who may lead a project of the organisation (policy ``project.staff``)."""
    return [{"id": uid, "name": name} for uid, name in session.execute(
        select(col(User.id), col(User.name)).join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(works_in(org_id), col(User.is_active).is_(True)).distinct().order_by(col(User.name), col(User.id)))]
