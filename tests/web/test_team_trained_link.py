"""The project page's gate links the unmet ``team_trained`` to the organisation's training
page (a test-only workflow: tests/engine/test_team_trained_gate.py's)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.engine.test_team_trained_gate import write_trained_psr
from webui import create_app


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The web app with the test-only workflow (overrides tests/conftest.py's ``app``)."""
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "AUTO_MIGRATE": False,
                      "WORKFLOWS_DIR": str(write_trained_psr(tmp_path))})
    yield app
    app.extensions["leanschool"].dispose()


def test_the_project_pages_unmet_check_links_to_the_organisations_training(
        app: Flask, web: Any, project: Any, member_of_school: Any, world: Any):
    page = web(member_of_school).get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'data-check="team_trained"' in page
    assert f'href="/training?org_id={world.school.id}" data-page="training.index"' in page
