"""Russian that reads right (#12 item 5): every count on the tower agrees with its noun
(«1 зависший проект», «22 зависших проекта», «37 зависших проектов»)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, ngettext

from tests.web.conftest import dom
from tests.web.test_tower import region_with_a_stalled_project  # noqa: F401  (a fixture)

FORMS = {1: 0, 2: 1, 5: 2, 11: 2, 21: 0, 22: 1, 25: 2, 12: 2, 104: 1, 111: 2}
CAPTIONS = {
    ("stalled project", "stalled projects"): ("зависший проект", "зависших проекта", "зависших проектов"),
    ("active project", "active projects"): ("активный проект", "активных проекта", "активных проектов"),
    ("unresolved critical risk", "unresolved critical risks"):
        ("нерешённый критический риск", "нерешённых критических риска", "нерешённых критических рисков"),
    ("request waiting over 3 days", "requests waiting over 3 days"):
        ("запрос ждёт дольше 3 дней", "запроса ждут дольше 3 дней", "запросов ждут дольше 3 дней"),
    ("project closed this year", "projects closed this year"):
        ("проект завершён в этом году", "проекта завершены в этом году", "проектов завершено в этом году"),
}


@pytest.mark.parametrize("n", sorted(FORMS))
def test_russian_plural_forms_of_the_tower_captions(app, n):
    with app.test_request_context("/"), force_locale("ru"):
        for (one, many), forms in CAPTIONS.items():
            assert ngettext(one, many, n) == forms[FORMS[n]], (one, n)


def test_english_keeps_two_forms(app):
    with app.test_request_context("/"), force_locale("en"):
        assert ngettext("stalled project", "stalled projects", 1) == "stalled project"
        assert ngettext("stalled project", "stalled projects", 21) == "stalled projects"


@pytest.mark.usefixtures("region_with_a_stalled_project")
def test_the_tower_says_one_stalled_project(web, curator_orel):
    page = dom(web(curator_orel).get("/tower"))
    figure = next(a for a in page.find_all("a") if a.get("data-figure") == "stalled")
    assert [span.text.strip() for span in figure.find_all("span")] == ["1", "зависший проект"]


@pytest.mark.parametrize(("n", "word"), [(1, "1 день"), (2, "2 дня"), (5, "5 дней"), (11, "11 дней"), (12, "12 дней"),
                                         (21, "21 день"), (22, "22 дня"), (25, "25 дней"), (111, "111 дней")])
def test_the_engines_russian_counted_words(n, word):
    from engine.text import counted
    assert counted(n, "день", "дня", "дней") == word
