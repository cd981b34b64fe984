"""Web pages (the board, project pages, approvals) are registered here."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    @app.get("/")
    def index() -> tuple[str, int]:
        return ("<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\"><title>Lean School</title>"
                "<p>Lean School: API на <a href=\"/api/v1/openapi.json\">/api/v1</a></p></html>", 200)
