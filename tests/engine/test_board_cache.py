"""The board's per-process cache (engine.services.board.cached_board): a repeated view of an
unchanged board is served from it, and anything that changes what the board shows — a
move, a risk, a renamed organisation, the clock, another viewer — reads it afresh."""
from __future__ import annotations

from typing import Any

import pytest

from engine.services import log_risk, update_project
from engine.services.admin import update_organization
from engine.services.board import BoardFilters, board, cached_board


def cards_of(data: dict[str, Any]) -> dict[int, Any]:
    return {c.id: c for col in data["columns"] for c in col.cards}


@pytest.fixture
def viewed(make, world, member_of_school, frozen_clock) -> Any:
    """A project of the school, and the member's board of it read once."""
    project = make.project(world.school, member_of_school.actor)
    with make.store.uow() as uow:
        cached_board(uow, member_of_school.actor, BoardFilters(org_id=world.school.id))
    return project


def view(make: Any, person: Any, org_id: int, cached: bool = True) -> dict[str, Any]:
    with make.store.uow() as uow:
        return (cached_board if cached else board)(uow, person.actor, BoardFilters(org_id=org_id))


def test_a_repeated_view_of_an_unchanged_board_comes_from_the_cache(make, world, member_of_school, viewed):
    hits = make.store.boards.hits
    first = view(make, member_of_school, world.school.id)
    again = view(make, member_of_school, world.school.id)
    assert again is first and make.store.boards.hits == hits + 2
    assert cards_of(first)[viewed.id].title == viewed.title


def test_a_change_reads_the_board_afresh(make, world, member_of_school, admin, viewed):
    make.call(log_risk, member_of_school.actor, viewed.id,
              {"title": "Срыв поставки", "probability": 5, "impact": 5})
    assert cards_of(view(make, member_of_school, world.school.id))[viewed.id].critical_risks == 1
    make.call(update_project, member_of_school.actor, viewed.id, {"title": "Питание без очередей", "version": 1})
    assert cards_of(view(make, member_of_school, world.school.id))[viewed.id].title == "Питание без очередей"
    make.call(update_organization, admin.actor, world.school.id, {"name": "МБОУ «Лицей №1»"})
    assert cards_of(view(make, member_of_school, world.school.id))[viewed.id].org_name == "МБОУ «Лицей №1»"
    assert view(make, member_of_school, world.school.id) == view(make, member_of_school, world.school.id,
                                                                  cached=False)


def test_the_clock_reads_the_board_afresh(make, world, member_of_school, viewed, frozen_clock):
    assert cards_of(view(make, member_of_school, world.school.id))[viewed.id].days_in_state == 0
    frozen_clock.advance(days=40)
    card = cards_of(view(make, member_of_school, world.school.id))[viewed.id]
    assert card.days_in_state == 40 and card.stalled


def test_each_viewer_has_a_board_of_their_own(make, world, member_of_school, head_of_school, viewed):
    mine = view(make, member_of_school, world.school.id)
    heads = view(make, head_of_school, world.school.id)
    assert heads is not mine
    assert heads == view(make, head_of_school, world.school.id, cached=False)
