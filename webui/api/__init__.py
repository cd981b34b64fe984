"""JSON API v1 (API.md): thin adapters over engine services.

The blueprint and ``@route`` are in ``blueprint.py``; importing ``routes`` and ``openapi``
registers the routes on it.
"""
from webui.api import campaigns, openapi, routes  # noqa: F401  (registers the routes)
from webui.api.blueprint import ROUTES, bp, http_error, internal_error

__all__ = ["ROUTES", "bp", "http_error", "internal_error"]
