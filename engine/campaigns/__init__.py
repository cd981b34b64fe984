"""Scaling campaigns (тиражирование, PROGRAMME.md "Portfolio edition and scaling").

Modules: ``service`` (create, close, accept, decline), ``reading`` (lists, the funnel,
replicas' effect against the original), ``schemas`` (the inputs), ``outputs`` (the API's
answers). The reminder before the deadline is the scheduler's job ``campaign_reminders``
(engine/jobs/campaigns.py).
"""
from engine.campaigns.reading import FUNNEL_STEPS, campaign_detail, funnel_of, list_campaigns, my_offers, staff_of
from engine.campaigns.service import accept_offer, close_campaign, create_campaign, decline_offer, get_campaign

__all__ = ["FUNNEL_STEPS", "accept_offer", "campaign_detail", "close_campaign", "create_campaign",
           "decline_offer", "funnel_of", "get_campaign", "list_campaigns", "my_offers", "staff_of"]
