"""Scaling campaigns (тиражирование, PROGRAMME.md "Portfolio edition and scaling"): a
curator of a region offers one of its published practices to organisations chosen by a
list, by kind or by municipality, with a deadline; each organisation's head accepts (a
replica project starts, led by a person the head picks) or declines with a reason.

Service signatures:

    create_campaign(uow, actor, data)              -> ScalingCampaign  curator of the practice's region
    close_campaign(uow, actor, campaign_id, data)  -> ScalingCampaign  curator of the campaign's region
    accept_offer(uow, actor, offer_id, data)       -> CampaignOffer    head of the offer's organisation
    decline_offer(uow, actor, offer_id, data)      -> CampaignOffer    head of the offer's organisation

Accepting runs ``practices.replicate`` in the same transaction (``OneTransaction``): the
replica is linked to the practice (``project.practice_id``) and to the offer
(``campaign_offer.project_id``). An offer is decided once: its ``version`` is swapped
(compare-and-swap), so of two heads answering at once one wins and the other's whole
transaction (the replica too) is discarded. The reminder before the deadline is the
scheduler's (engine/jobs/campaigns.py). Reading (lists, the funnel, effects) is in
``engine/campaigns/reading.py``.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlmodel import Session, col

from engine import clock
from engine.campaigns.schemas import CampaignClose, CampaignIn, OfferAccept, OfferDecline
from engine.db import OneTransaction, UnitOfWork
from engine.errors import DATA_CHANGED, Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed
from engine.models import CampaignOffer, Organization, Practice, RoleGrant, ScalingCampaign, pk
from engine.policy import ORG_ROLES, Actor, can_in_region, can_somewhere, granting, require
from engine.practices.service import get_practice, replicate
from engine.schemas import parse
from engine.services.common import cas_update, get_or_404, record
from engine.services.notifications import notify_many
from engine.text import Text
from engine.vocab import CampaignStatus, EventKind, NotificationKind, OfferStatus

MAX_OFFERS = 5000
NOT_CURATOR = Text("Кампании тиражирования ведёт куратор региона",
                   "Only the region's curator runs scaling campaigns")


def heads_of(session: Session, org_ids: list[int]) -> dict[int, list[int]]:
    """org id -> the active people who may answer its offers (policy ``offer.decide``)."""
    from engine.jobs.common import granted
    return granted(session, granting("offer.decide", ORG_ROLES), RoleGrant.org_id, org_ids)


def offer_text(campaign: ScalingCampaign, practice_title: str, reminder: bool = False) -> Text:
    due = campaign.deadline.strftime("%d.%m.%Y")
    if reminder:
        return Text(f"Напоминание: до {due} ответьте на предложение тиражировать практику «{practice_title}» "
                    f"(кампания «{campaign.title}»)",
                    f"Reminder: answer the offer to replicate the practice “{practice_title}” by {due} "
                    f"(campaign “{campaign.title}”)")
    return Text(f"Вашей организации предложено тиражировать практику «{practice_title}» "
                f"(кампания «{campaign.title}»); ответьте до {due}",
                f"Your organisation is offered the practice “{practice_title}” to replicate "
                f"(campaign “{campaign.title}”); answer by {due}")


def _chosen_orgs(session: Session, region_id: int, practice: Practice, body: CampaignIn) -> list[int]:
    """The organisations of the region the campaign offers the practice to (never the
    practice's own)."""
    if body.org_ids is None and body.kind is None and body.municipality_id is None:
        raise ValidationFailed({"org_ids": Text("Выберите организации: списком, по типу или по муниципалитету",
                                                "Choose the organisations: a list, a kind or a municipality")})
    stmt = select(col(Organization.id)).where(col(Organization.region_id) == region_id)
    if body.org_ids is not None:
        wanted = set(body.org_ids)
        found = set(session.execute(stmt.where(col(Organization.id).in_(wanted))).scalars()) if wanted else set()
        if not wanted or found != wanted:
            raise ValidationFailed({"org_ids": Text("Нет таких организаций в регионе кампании: "
                                                    + ", ".join(str(i) for i in sorted(wanted - found)),
                                                    "No such organisations in the campaign's region: "
                                                    + ", ".join(str(i) for i in sorted(wanted - found)))})
        stmt = stmt.where(col(Organization.id).in_(wanted))
    if body.kind is not None:
        stmt = stmt.where(col(Organization.kind) == body.kind)
    if body.municipality_id is not None:
        stmt = stmt.where(col(Organization.municipality_id) == body.municipality_id)
    if practice.org_id is not None:
        stmt = stmt.where(col(Organization.id) != practice.org_id)
    orgs = list(session.execute(stmt.order_by(col(Organization.id))).scalars())
    if not orgs:
        raise ValidationFailed({"org_ids": Text("Под выбор не попала ни одна организация (кроме автора практики)",
                                                "No organisation matches (besides the practice's own)")})
    if len(orgs) > MAX_OFFERS:
        raise ValidationFailed({"org_ids": Text(f"Не больше {MAX_OFFERS} организаций в кампании",
                                                f"At most {MAX_OFFERS} organisations a campaign")})
    return orgs


def create_campaign(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> ScalingCampaign:
    """Offer a published practice to organisations of its region (curator of the region):
    one offer per organisation, its heads notified. ``data``: practice_id, title, message,
    deadline (after today), and org_ids and/or kind, municipality_id.

    Errors: NotFound (no such practice, or one the actor may not see), Forbidden (not the
    region's curator), ValidationFailed (fields; no organisation chosen), Conflict (the
    practice is withdrawn)."""
    s = uow.session
    if not can_somewhere(actor, "campaign.manage"):
        raise Forbidden(NOT_CURATOR)
    practice_id = data.get("practice_id") if isinstance(data, dict) else None
    if isinstance(practice_id, int) and not isinstance(practice_id, bool):
        practice = get_practice(uow, actor, practice_id)
        if not can_in_region(actor, "campaign.manage", practice.region_id):
            raise Forbidden(NOT_CURATOR)
    body: CampaignIn = parse(CampaignIn, data)
    practice = get_practice(uow, actor, body.practice_id)
    if not can_in_region(actor, "campaign.manage", practice.region_id):
        raise Forbidden(NOT_CURATOR)
    if body.deadline <= clock.today():
        raise ValidationFailed({"deadline": Text("Срок ответа должен быть позже сегодняшнего дня",
                                                 "The deadline must be after today")})
    if practice.status != "published":
        raise Conflict(Text("Практика снята с публикации; предлагать её нельзя",
                            "The practice is withdrawn; it cannot be offered"))
    orgs = _chosen_orgs(s, practice.region_id, practice, body)
    campaign = ScalingCampaign(region_id=practice.region_id, practice_id=pk(practice), title=body.title,
                               message=body.message, deadline=body.deadline, status=CampaignStatus.OPEN.value,
                               created_by=actor.user_id, created_at=clock.now())
    s.add(campaign)
    s.flush()
    s.add_all([CampaignOffer(campaign_id=pk(campaign), org_id=o, status=OfferStatus.OFFERED.value) for o in orgs])
    record(s, actor, EventKind.CAMPAIGN_CREATED, None,
           {"campaign_id": campaign.id, "practice_id": practice.id, "title": campaign.title,
            "deadline": campaign.deadline.isoformat(), "organizations": orgs})
    heads = heads_of(s, orgs)
    text = offer_text(campaign, practice.title)
    notify_many(s, [(u, NotificationKind.CAMPAIGN_OFFERED.value, None, text)
                    for u in sorted({u for o in orgs for u in heads.get(o, [])})])
    uow.commit()
    return campaign


def get_campaign(uow: UnitOfWork, actor: Actor, campaign_id: int) -> ScalingCampaign:
    """The campaign if the actor watches its region (its curators, the admins); NotFound otherwise."""
    campaign = get_or_404(uow.session, ScalingCampaign, campaign_id, "campaign")
    if not can_in_region(actor, "campaign.view", campaign.region_id):
        raise NotFound("campaign")
    return campaign


def close_campaign(uow: UnitOfWork, actor: Actor, campaign_id: int,
                   data: dict[str, Any] | None = None) -> ScalingCampaign:
    """Close a campaign (curator of its region): offers not answered stay ``offered`` but
    can no longer be answered, and nobody is reminded. ``data``: optional ``version``."""
    s = uow.session
    campaign = get_campaign(uow, actor, campaign_id)
    if not can_in_region(actor, "campaign.manage", campaign.region_id):
        raise Forbidden(NOT_CURATOR)
    body: CampaignClose = parse(CampaignClose, data or {})
    if campaign.status == CampaignStatus.CLOSED.value:
        raise Conflict(Text("Кампания уже закрыта", "The campaign is closed already"))
    expected = campaign.version if body.version is None else body.version
    if expected != campaign.version:
        raise StaleVersion(campaign.version, DATA_CHANGED)
    cas_update(s, ScalingCampaign, campaign, expected, status=CampaignStatus.CLOSED.value, closed_at=clock.now())
    record(s, actor, EventKind.CAMPAIGN_CLOSED, None, {"campaign_id": campaign.id, "version": campaign.version})
    uow.commit()
    return campaign


def _decidable(uow: UnitOfWork, actor: Actor, offer_id: int) -> tuple[CampaignOffer, ScalingCampaign]:
    """The offer if the actor is a head of its organisation (NotFound outside their scope,
    Forbidden for others in scope) and it may still be answered (Conflict otherwise)."""
    s = uow.session
    offer = get_or_404(s, CampaignOffer, offer_id, "offer")
    campaign = cast(ScalingCampaign, s.get(ScalingCampaign, offer.campaign_id))  # a foreign key
    require(actor, "offer.decide", offer.org_id, campaign.region_id, "offer")
    if offer.status != OfferStatus.OFFERED.value:
        raise Conflict(Text("На это предложение уже ответили", "This offer has been answered already"),
                       {"status": offer.status})
    if campaign.status != CampaignStatus.OPEN.value:
        raise Conflict(Text("Кампания закрыта; ответить на предложение нельзя",
                            "The campaign is closed; the offer can no longer be answered"))
    if clock.today() > campaign.deadline:
        raise Conflict(Text(f"Срок ответа истёк {campaign.deadline:%d.%m.%Y}",
                            f"The deadline passed on {campaign.deadline.isoformat()}"))
    return offer, campaign


def _tell_curator(uow: UnitOfWork, campaign: ScalingCampaign, offer: CampaignOffer,
                  project_id: int | None, reason: str | None) -> None:
    """The campaign's curator hears of each answer (the bell; e-mail as they chose)."""
    if campaign.created_by is None:
        return
    org = uow.session.get(Organization, offer.org_id)
    name = org.name if org else str(offer.org_id)
    if reason is None:
        text = Text(f"{name} принимает практику по кампании «{campaign.title}»: начат проект тиражирования",
                    f"{name} accepts the practice of the campaign “{campaign.title}”: a replica project started")
    else:
        text = Text(f"{name} отказывается от практики по кампании «{campaign.title}»: {reason}",
                    f"{name} declines the practice of the campaign “{campaign.title}”: {reason}")
    notify_many(uow.session, [(campaign.created_by, NotificationKind.CAMPAIGN_ANSWERED.value, project_id, text)])


def accept_offer(uow: UnitOfWork, actor: Actor, offer_id: int, data: dict[str, Any]) -> CampaignOffer:
    """Accept an offer (head of its organisation): the practice is replicated into a new
    project of the organisation led by ``data["leader_id"]`` (a person of it), linked to
    the practice and to the offer, in one transaction.

    Errors: NotFound, Forbidden, ValidationFailed (leader_id), Conflict (answered already,
    campaign closed, deadline passed, practice withdrawn), StaleVersion (answered meanwhile)."""
    s = uow.session
    offer, campaign = _decidable(uow, actor, offer_id)
    body: OfferAccept = parse(OfferAccept, data)
    expected = offer.version
    project = replicate(OneTransaction(uow), actor, campaign.practice_id,
                        {"org_id": offer.org_id, "leader_id": body.leader_id, "confirm": True})
    cas_update(s, CampaignOffer, offer, expected, status=OfferStatus.ACCEPTED.value, decided_by=actor.user_id,
               decided_at=clock.now(), project_id=pk(project))
    record(s, actor, EventKind.OFFER_ACCEPTED, project,
           {"campaign_id": campaign.id, "offer_id": offer.id, "practice_id": campaign.practice_id,
            "leader_id": body.leader_id})
    _tell_curator(uow, campaign, offer, pk(project), None)
    uow.commit()
    return offer


def decline_offer(uow: UnitOfWork, actor: Actor, offer_id: int, data: dict[str, Any]) -> CampaignOffer:
    """Decline an offer (head of its organisation) with a ``reason`` (required).

    Errors: NotFound, Forbidden, ValidationFailed (reason), Conflict, StaleVersion."""
    s = uow.session
    offer, campaign = _decidable(uow, actor, offer_id)
    body: OfferDecline = parse(OfferDecline, data)
    cas_update(s, CampaignOffer, offer, offer.version, status=OfferStatus.DECLINED.value, reason=body.reason,
               decided_by=actor.user_id, decided_at=clock.now())
    record(s, actor, EventKind.OFFER_DECLINED, None,
           {"campaign_id": campaign.id, "offer_id": offer.id, "org_id": offer.org_id, "reason": body.reason})
    _tell_curator(uow, campaign, offer, None, body.reason)
    uow.commit()
    return offer
