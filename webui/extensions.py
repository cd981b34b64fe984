"""What the app keeps for its views: the engine's ``Store`` (database + workflows).

Views and the API import ``store()`` from here, never from the ``webui`` package, so that
``create_app`` can import the blueprints without an import cycle.
"""
from __future__ import annotations

from flask import Flask, current_app

from engine.db import Store

KEY = "leanschool"


def init_store(app: Flask, store_: Store) -> None:
    app.extensions[KEY] = store_


def store() -> Store:
    """The current app's store."""
    return current_app.extensions[KEY]
