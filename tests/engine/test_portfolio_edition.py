"""The portfolio edition «Проектный портфель "Бережливая школа"» (#15 item 2): the region's
published practices by category and kind of organisation, with each practice's problem,
solution, standard, effect, scaling proposal and its replicas' effect; the DOCX opens with
python-docx and holds every practice under its category heading."""
from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document

from engine import practices as P
from engine.errors import Forbidden, NotFound
from engine.practices.edition import portfolio_edition
from engine.practices.edition_docx import edition_docx
from tests.portfolio_helpers import PROPOSAL, published_practice


@pytest.fixture
def portfolio(make, world, member_of_school, head_of_school, curator_orel, member_of_other_school) -> dict[str, Any]:
    """Four practices of the Oryol region (meals: two schools' and a kindergarten's;
    facilities: a school's), one withdrawn, one replicated; and one of the Kursk region."""
    garden = make.org(world.municipality, "МБДОУ «Детский сад №5 „Ромашка“»", kind="kindergarten")
    garden_member, garden_head = make.person("member", org=garden), make.person("head", org=garden)
    kursk_member = make.person("member", org=world.other_region_school)
    kursk_head = make.person("head", org=world.other_region_school)
    kursk_curator = make.person("curator", region=world.other_region)
    made = {
        "queue": published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                                     title="Обеды без очередей"),
        "menu": published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                                   title="Анкета по меню", proposal=None),
        "garden": published_practice(make, garden, garden_member, garden_head, curator_orel,
                                     title="Полдник по графику"),
        "repair": published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                                     title="Ремонт без срыва уроков", category="facilities"),
        "withdrawn": published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                                        title="Снятая практика"),
        "kursk": published_practice(make, world.other_region_school, kursk_member, kursk_head, kursk_curator,
                                    title="Курская практика"),
    }
    make.call(P.withdraw_practice, curator_orel.actor, made["withdrawn"].id, {})
    made["replica"] = make.call(P.replicate, member_of_other_school.actor, made["queue"].id,
                                {"org_id": world.other_school.id})
    return made


def edition_of(make: Any, who: Any, region: Any) -> Any:
    with make.store.uow() as uow:
        return portfolio_edition(uow, who.actor, region.id)


def test_grouped_by_category_then_kind_with_only_the_regions_published_practices(make, world, portfolio,
                                                                              curator_orel):
    edition = edition_of(make, curator_orel, world.region)
    assert edition.title.ru == "Проектный портфель «Бережливая школа»"
    layout = [(c.category, [(k.kind, [p.title for p in k.practices]) for k in c.kinds]) for c in edition.categories]
    assert layout == [
        ("meals", [("school", ["Анкета по меню", "Обеды без очередей"]), ("kindergarten", ["Полдник по графику"])]),
        ("facilities", [("school", ["Ремонт без срыва уроков"])]),
    ]
    assert edition.count == 4
    assert [c.title.ru for c in edition.categories] == ["Питание", "Хозяйственная деятельность"]


def test_each_practice_has_its_texts_effect_proposal_and_replicas_effect(make, world, portfolio, curator_orel):
    queue = next(p for p in edition_of(make, curator_orel, world.region).practices() if p.title == "Обеды без очередей")
    assert queue.problem == "Очереди в столовой" and queue.standard.startswith("Стандарт выдачи обедов")
    assert "Предзаказ обедов" in queue.solution
    assert queue.scaling_proposal == PROPOSAL
    assert [(e["metric"], e["baseline"], e["result"], e["change_pct"]) for e in queue.effect] == [
        ("ВПП выдачи обедов", 67.0, 29.0, -56.7)]
    [replica] = queue.replicas
    assert replica.project_id == portfolio["replica"].id and replica.org_name == world.other_school.name
    assert replica.state_title.ru == "Диагностика"
    assert [(e["metric"], e["baseline"], e["result"]) for e in replica.effect] == [("ВПП выдачи обедов", None, None)]


def test_only_the_regions_curators_and_the_admins_assemble_it(make, world, portfolio, member_of_school,
                                                             head_of_school, curator_kursk, curator_of_municipality,
                                                             admin):
    assert edition_of(make, admin, world.region).count == 4
    assert edition_of(make, curator_kursk, world.other_region).count == 1
    for who in (member_of_school, head_of_school, curator_kursk, curator_of_municipality):
        with pytest.raises(Forbidden):
            edition_of(make, who, world.region)
    with make.store.uow() as uow, pytest.raises(NotFound):
        portfolio_edition(uow, admin.actor, 999_999)


def _walk(document: Any) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs]


def test_the_docx_opens_and_holds_every_practice_under_its_category_heading(make, world, portfolio,
                                                                           curator_orel):
    edition = edition_of(make, curator_orel, world.region)
    document = Document(io.BytesIO(edition_docx(edition)))
    paragraphs = _walk(document)
    assert paragraphs[0] == ("Title", "Проектный портфель «Бережливая школа»")
    under: dict[str, tuple[str, str]] = {}
    category = kind = None
    for style, text in paragraphs:
        if style == "Heading 1":
            category, kind = text, None
        elif style == "Heading 2":
            kind = text
        elif style == "Heading 3":
            under[text] = (category, kind)
    assert under == {
        "Анкета по меню": ("Питание", "Общеобразовательные организации"),
        "Обеды без очередей": ("Питание", "Общеобразовательные организации"),
        "Полдник по графику": ("Питание", "Дошкольные образовательные организации"),
        "Ремонт без срыва уроков": ("Хозяйственная деятельность", "Общеобразовательные организации"),
    }
    first_heading = next(i for i, (style, _t) in enumerate(paragraphs) if style == "Heading 1")
    contents = [t for style, t in paragraphs[:first_heading] if style.startswith("List Bullet")]
    assert "Питание (3)" in contents and any(t.startswith("Полдник по графику — МБДОУ") for t in contents)
    texts = "\n".join(t for _s, t in paragraphs)
    assert PROPOSAL in texts and "Снятая практика" not in texts and "Курская практика" not in texts
    header = [c.text for c in document.tables[0].rows[0].cells]
    assert header == ["Показатель", "Ед. изм.", "Базовое значение", "Результат", "Изменение, %"]
    assert [c.text for c in document.tables[0].rows[1].cells] == ["ВПП выдачи обедов", "мин", "67", "29", "−56,7"] \
        or [c.text for c in document.tables[0].rows[1].cells] == ["ВПП выдачи обедов", "мин", "67", "29", "-56,7"]


def test_an_empty_region_gives_a_document_that_says_so(make, world, curator_orel):
    document = Document(io.BytesIO(edition_docx(edition_of(make, curator_orel, world.region))))
    assert "В регионе пока нет опубликованных практик." in [p.text for p in document.paragraphs]
