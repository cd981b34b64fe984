"""What the app keeps for its views: the engine's ``Store`` (database + workflows), and
flask-htmx's ``htmx`` (``if htmx:`` tells a partial request from a page request).

Views and the API import ``store()`` from here, never from the ``webui`` package, so that
``create_app`` can import the blueprints without an import cycle.
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_htmx import HTMX

from engine.db import Store

KEY = "leanschool"

# one instance for every app: its truth value reads the current request's HX-Request header
htmx = HTMX()


def init_store(app: Flask, store_: Store) -> None:
    app.extensions[KEY] = store_


def store() -> Store:
    """The current app's store."""
    return current_app.extensions[KEY]
