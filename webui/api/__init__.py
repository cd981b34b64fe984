"""JSON API v1 (API.md): thin adapters over engine services.

The blueprint and ``@route`` are in ``blueprint.py``; importing ``routes`` and ``openapi``
registers the routes on it.
"""
from webui.api import (  # noqa: F401  (registers the routes)
    campaigns,
    defence_routes,
    evaluation_routes,
    event_routes,
    openapi,
    routes,
    training_routes,
)
from webui.api.blueprint import ROUTES, bp, http_error, internal_error

__all__ = ["ROUTES", "bp", "http_error", "internal_error"]
