"""Scaling campaigns (#15 item 5, engine/campaigns/), additive to API.md: thin adapters,
each parses, calls one service and maps its answer."""
from __future__ import annotations

from flask import g

from engine import campaigns as campaign_svc
from engine.campaigns import outputs as CO
from engine.campaigns import schemas as CS
from engine.db import UnitOfWork
from webui.api.blueprint import body_json, route
from webui.api.routes import PAGE, _page, _uow


def _campaign(uow: UnitOfWork, campaign_id: int) -> CO.Campaign:
    return CO.Campaign.model_validate(campaign_svc.campaign_detail(uow, g.actor, campaign_id))


@route("/campaigns", summary="Scaling campaigns of the regions one curates (admins: all), with their funnels",
       response=CO.CampaignList, errors=(401, 422), query=PAGE)
def list_campaigns() -> CO.CampaignList:
    limit, offset = _page()
    with _uow() as uow:
        items, total = campaign_svc.list_campaigns(uow, g.actor, limit=limit, offset=offset)
        return CO.CampaignList(items=[CO.CampaignItem.model_validate(c) for c in items], total=total)


@route("/campaigns", "POST", summary="Offer a practice to organisations with a deadline (curator)", ok=201,
       body=CS.CampaignIn, response=CO.Campaign, errors=(400, 401, 403, 404, 409, 422))
def create_campaign() -> CO.Campaign:
    with _uow() as uow:
        campaign = campaign_svc.create_campaign(uow, g.actor, body_json())
        return _campaign(uow, campaign.id)  # type: ignore[arg-type]


@route("/campaigns/{campaign_id}", summary="One campaign: its funnel, offers, replicas and their effect",
       response=CO.Campaign, errors=(401, 404))
def get_campaign(campaign_id: int) -> CO.Campaign:
    with _uow() as uow:
        return _campaign(uow, campaign_id)


@route("/campaigns/{campaign_id}/close", "POST", summary="Close a campaign: no more answers (curator)",
       body=CS.CampaignClose, response=CO.Campaign, errors=(400, 401, 403, 404, 409, 422))
def close_campaign(campaign_id: int) -> CO.Campaign:
    with _uow() as uow:
        campaign_svc.close_campaign(uow, g.actor, campaign_id, body_json())
        return _campaign(uow, campaign_id)


@route("/campaign-offers", summary="The offers a head answers (their organisations')",
       response=CO.MyOfferList, errors=(401,))
def list_my_offers() -> CO.MyOfferList:
    with _uow() as uow:
        items = campaign_svc.my_offers(uow, g.actor)
        return CO.MyOfferList(items=[CO.MyOffer.model_validate(o) for o in items], total=len(items))


def _offer(uow: UnitOfWork, offer_id: int) -> CO.Offer:
    from engine.campaigns.reading import offer_dict
    from engine.models import CampaignOffer, Organization
    offer = uow.session.get(CampaignOffer, offer_id)
    assert offer is not None  # just answered
    return CO.Offer.model_validate(offer_dict(offer, uow.session.get(Organization, offer.org_id)))  # type: ignore[arg-type]


@route("/campaign-offers/{offer_id}/accept", "POST",
       summary="Accept an offer (head): a replica project starts, led by leader_id", body=CS.OfferAccept,
       response=CO.Offer, errors=(400, 401, 403, 404, 409, 422))
def accept_offer(offer_id: int) -> CO.Offer:
    with _uow() as uow:
        campaign_svc.accept_offer(uow, g.actor, offer_id, body_json())
        return _offer(uow, offer_id)


@route("/campaign-offers/{offer_id}/decline", "POST", summary="Decline an offer with a reason (head)",
       body=CS.OfferDecline, response=CO.Offer, errors=(400, 401, 403, 404, 409, 422))
def decline_offer(offer_id: int) -> CO.Offer:
    with _uow() as uow:
        campaign_svc.decline_offer(uow, g.actor, offer_id, body_json())
        return _offer(uow, offer_id)
