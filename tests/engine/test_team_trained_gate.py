"""``team_trained`` in a workflow file (a test-only copy of psr.yaml whose first gate asks
for it): the move is refused with the check named until the leader or a team member
completed a course; the project page's gate links the unmet check to the training page
(tests/web/test_team_trained_link.py).
Not in workflows/psr.yaml: a region opts in with its own workflow file."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.db import REPO_ROOT, Store
from engine.errors import GateFailed
from engine.services import items as item_svc
from engine.services.projects import request_transition
from engine.training import service as T
from engine.workflow import load_dir


def write_trained_psr(tmp_path: Path) -> Path:
    """A workflows folder whose psr.yaml asks ``to_target`` for ``team_trained`` only."""
    spec = copy.deepcopy(yaml.safe_load((REPO_ROOT / "workflows" / "psr.yaml").read_text(encoding="utf-8")))
    first = next(t for t in spec["transitions"] if t["trigger"] == "to_target")
    first["requires"] = ["team_trained"]
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "psr.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture
def trained_workflows(tmp_path: Path) -> Path:
    return write_trained_psr(tmp_path)


@pytest.fixture
def gated(db_url: str, trained_workflows: Path) -> Iterator[Store]:
    store = Store(db_url, load_dir(trained_workflows))
    yield store
    store.dispose()


@pytest.fixture
def stream(make: Any, world: Any, curator_orel: Any) -> Any:
    course = make.call(T.create_course, curator_orel.actor, {"region_id": world.region.id, "title": "ПК",
                                                             "hours": 72, "kind": "qualification"})
    return make.call(T.add_stream, curator_orel.actor, course.id, {"starts_on": "2026-03-25", "ends_on": "2026-03-27"})


def test_the_gate_refuses_until_a_team_member_completed_a_course(
        gated, make, project, stream, head_of_school, member_of_school, curator_orel):
    make.call(item_svc.add_team_member, member_of_school.actor, project.id, {"user_id": member_of_school.id})
    with gated.uow() as uow, pytest.raises(GateFailed) as exc:
        request_transition(uow, head_of_school.actor, project.id, {"trigger": "to_target", "version": 1})
    assert [u.check for u in exc.value.unmet] == ["team_trained"]
    assert exc.value.unmet[0].as_dict("ru")["message"].startswith("Пройдите обучение")
    row = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_school.id})
    make.call(T.complete, curator_orel.actor, row.id, {"completed_on": "2026-03-27", "certificate_no": "57-1"})
    with gated.uow() as uow:
        moved = request_transition(uow, head_of_school.actor, project.id, {"trigger": "to_target", "version": 1})
    assert moved.project.state == "target"
