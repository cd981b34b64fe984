"""The card page (#12 item 4): sections a person scans, each folded to a one-line summary;
every form posts to the card's own URL, comes back there with the error next to the field
and its section open, and success lands back on the card with the message at the section.
Numbers read as the page's language writes them (item 5): «28,7», «12 %», «окт 2026»."""
from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale

from engine import services as svc
from tests.web.conftest import MEASURED_ON, db_snapshot, dom, field_error, form_for, invalid_fields, value_of
from webui.web import charts

FOLDED = ("metrics", "problems", "actions", "risks", "artefacts", "team", "history")


def _section(page: Any, name: str) -> Any:
    section = page.by_id(name)
    assert section is not None, name
    return section


def _is_open(section: Any) -> bool:
    """Whether the section's own fold (not a form folded inside it) is open."""
    folds = [c for c in section.children if not isinstance(c, str) and c.tag == "details"]
    assert len(folds) == 1
    return folds[0].has("open")


def _raw(node: Any) -> str:
    """The text with its own spaces (Node.text folds a no-break space into a space)."""
    return "".join(node._texts()).strip()


def _card_form(page: Any, form: str) -> Any:
    """The card page's form named ``form`` (its hidden field), asserting it posts to the card."""
    forms = [f for f in page.find_all("form")
             if any(n.get("name") == "form" and n.get("value") == form for n in f.find_all("input"))]
    assert len(forms) == 1, form
    return forms[0]


def _english(b: Any, pid: int) -> None:
    assert b.post("/locale", {"locale": "en", "next": f"/projects/{pid}"}).status_code == 302


# --- sections and their summaries ---------------------------------------------------------

def test_every_section_is_folded_to_its_summary_with_the_right_counts(web, make, furnished, member_of_school):
    pid, who = furnished["project"], member_of_school.actor
    # furnished: one metric with a baseline, one open action due 01.10.2026, one risk 2 × 3
    make.call(svc.add_metric, who, pid, {"name": "Доля довольных", "unit": "%", "direction": "increase"})
    make.call(svc.add_action, who, pid, {"title": "Просроченное дело", "due_on": "2026-08-15"})
    make.call(svc.log_risk, who, pid, {"title": "Уход библиотекаря", "probability": 5, "impact": 4})
    make.call(svc.add_problem, who, pid, {"description": "Очередь у библиотеки", "waste": "waiting"})
    page = dom(web(member_of_school).get(f"/projects/{pid}"))

    for name in FOLDED:
        section = _section(page, name)
        assert not _is_open(section), name
        assert section.one("h2", cls="fold-summary").text, name
    metrics = _section(page, "metrics")
    assert (metrics["data-count"], metrics["data-no-baseline"]) == ("2", "1")
    actions = _section(page, "actions")
    assert (actions["data-count"], actions["data-open"], actions["data-overdue"]) == ("2", "2", "1")
    risks = _section(page, "risks")
    assert (risks["data-count"], risks["data-open"], risks["data-critical"]) == ("2", "2", "1")
    assert _section(page, "problems")["data-count"] == "1"
    assert _section(page, "artefacts")["data-count"] == "0"
    assert _section(page, "team")["data-count"] == "0"
    assert int(_section(page, "history")["data-count"]) >= 6  # created + six additions
    # the summary line carries its figures: «Метрики: 2, у 1 нет базового значения»
    summary = metrics.one("h2", cls="fold-summary").text
    assert "2" in summary and "1" in summary
    # the card and the gate stay open: no <details> around them
    assert page.by_id("card").find("dl", cls="card-fields") is not None
    assert page.by_id("gate") is not None


def test_a_section_named_in_the_address_opens_without_javascript(web, furnished, member_of_school):
    pid = furnished["project"]
    page = dom(web(member_of_school).get(f"/projects/{pid}?open=actions"))
    assert _is_open(_section(page, "actions"))
    assert not _is_open(_section(page, "metrics"))
    # the section menu links to the open sections
    nav = page.one("nav", cls="sections")
    assert nav.one("a", data_open="risks")["href"] == f"/projects/{pid}?open=risks#risks"


# --- errors in place, at the card's URL -----------------------------------------------------

@pytest.mark.parametrize("form, data, bad, section", [
    ("metric", {"name": "", "unit": "мин", "direction": "decrease", "baseline": "5"}, "name", "metrics"),
    ("action", {"title": "Разметка", "due_on": "завтра"}, "due_on", "actions"),
    ("risk", {"title": "Р", "probability": "2", "impact": "6"}, "impact", "risks"),
])
def test_an_invalid_form_comes_back_at_the_card_with_the_error_next_to_the_field(
        web, store, furnished, member_of_school, form, data, bad, section):
    pid = furnished["project"]
    b = web(member_of_school)
    before = db_snapshot(store)
    r = b.post(f"/projects/{pid}", {"form": form, **data})
    assert r.status_code == 422
    assert r.request.path == f"/projects/{pid}"
    assert db_snapshot(store) == before
    page = dom(r)
    posted = _card_form(page, form)
    assert posted["action"] == f"/projects/{pid}"
    field_error(page, bad, posted)
    assert invalid_fields(page) == {bad}
    for name, value in data.items():
        if name != bad and posted.find(name=name) is not None:
            assert value_of(posted, name) == value, name
    assert _is_open(_section(page, section))
    assert not _is_open(_section(page, "history"))


def test_an_invalid_measurement_opens_its_metric(web, store, furnished, member_of_school):
    pid, mid = furnished["project"], furnished["metric"]
    b = web(member_of_school)
    before = db_snapshot(store)
    r = b.post(f"/projects/{pid}", {"form": f"measure-{mid}", "value": "много", "measured_on": MEASURED_ON})
    assert (r.status_code, r.request.path) == (422, f"/projects/{pid}")
    assert db_snapshot(store) == before
    page = dom(r)
    posted = form_for(page, f"/metrics/{mid}/measurements")
    field_error(page, "value", posted)
    assert posted.closest("details").has("open")
    assert _is_open(_section(page, "metrics"))


def test_an_unknown_form_is_a_bad_request_not_a_crash(web, store, furnished, member_of_school):
    pid = furnished["project"]
    b = web(member_of_school)
    before = db_snapshot(store)
    for form in ("", "nothing", "metric-", "metric-x", "metric-99999999999999", "card-5"):
        assert b.post(f"/projects/{pid}", {"form": form, "name": "X"}).status_code == 400, form
    assert db_snapshot(store) == before


# --- success: back to the card, the message at the section ----------------------------------

def test_success_redirects_to_the_card_with_the_message_at_its_section(web, store, furnished, member_of_school):
    pid = furnished["project"]
    b = web(member_of_school)
    before = db_snapshot(store)["counts"]["metric"]
    r = b.post(f"/projects/{pid}", {"form": "metric", "name": "ВПП выдачи учебника", "unit": "мин",
                                    "direction": "decrease", "baseline": "12,5"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/projects/{pid}#metrics")
    assert db_snapshot(store)["counts"]["metric"] == before + 1
    page = dom(b.get(f"/projects/{pid}"))
    metrics = _section(page, "metrics")
    assert _is_open(metrics)
    assert metrics.one("p", cls="saved")["data-saved"] == "metrics"
    assert metrics["data-count"] == "2"
    # shown once: the next visit has the section folded again and no message
    again = dom(b.get(f"/projects/{pid}"))
    assert not _is_open(_section(again, "metrics"))
    assert again.find("p", cls="saved") is None


def test_the_older_form_addresses_still_work(web, store, furnished, member_of_school):
    pid = furnished["project"]
    b = web(member_of_school)
    r = b.post(f"/projects/{pid}/problems", {"description": "Очередь у библиотеки", "waste": "waiting"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/projects/{pid}#problems")
    assert _section(dom(b.get(f"/projects/{pid}")), "problems")["data-count"] == "1"


# --- numbers in the page's language -----------------------------------------------------------

@pytest.fixture
def measured(make: Any, furnished: dict[str, Any], member_of_school: Any) -> dict[str, Any]:
    pid, who = furnished["project"], member_of_school.actor
    share = make.call(svc.add_metric, who, pid, {"name": "Доля довольных", "unit": "%", "direction": "increase",
                                                 "baseline": 28.7, "target": 1234.5})
    make.call(svc.record_measurement, who, share.id, {"value": 12.0, "measured_on": MEASURED_ON})
    return {**furnished, "share": share.id}


def _share(page: Any, mid: int) -> Any:
    return page.one(data_metric_id=str(mid))


def test_numbers_on_the_card_and_its_chart_are_russian(web, measured, member_of_school):
    pid, mid = measured["project"], measured["share"]
    page = dom(web(member_of_school).get(f"/projects/{pid}"))
    metric = _share(page, mid)
    assert _raw(metric.one(data_figure="baseline")) == "28,7\u202f%"
    assert _raw(metric.one(data_figure="target")) == "1\u00a0234,5\u202f%"
    assert _raw(metric.one(data_figure="latest")) == "12\u202f%"
    svg = metric.one("svg", cls="mchart")
    assert svg.one("text", cls="baseline-label").text.endswith("28,7")
    assert _raw(svg.one("text", cls="target-label")).endswith("1\u00a0234,5")
    assert svg.one("circle", cls="point").text == "20.08.2026: 12"
    # a metric without a target says so, not «—»
    other = _share(page, measured["metric"])
    assert other.one(data_figure="target").text not in ("", "—")
    assert _raw(other.one(data_figure="baseline")) == "40\u00a0мин"


def test_numbers_on_the_card_and_its_chart_are_english_in_english(web, measured, member_of_school):
    pid, mid = measured["project"], measured["share"]
    b = web(member_of_school)
    _english(b, pid)
    page = dom(b.get(f"/projects/{pid}"))
    metric = _share(page, mid)
    assert metric.one(data_figure="baseline").text == "28.7%"
    assert metric.one(data_figure="target").text == "1,234.5%"
    svg = metric.one("svg", cls="mchart")
    assert svg.one("text", cls="baseline-label").text.endswith("28.7")
    assert svg.one("circle", cls="point").text == "8/20/26: 12"


@pytest.mark.parametrize("lang, month, value, share", [
    ("ru", "окт 2026", "28,7\u00a0дн.", "12\u202f%"),
    ("en", "Oct 2026", "28.7\u00a0дн.", "12%"),
])
def test_tower_bars_write_months_and_numbers_in_the_language(app, lang, month, value, share):
    with app.test_request_context("/"), force_locale(lang):
        months = dom(str(charts.bars([("2026-10", 3.0)])))
        assert months.find_all("text")[0].text == month
        days = dom(str(charts.bars([("Диагностика", 28.7)], unit="дн.")))
        assert _raw(days.one("text", cls="value")) == value
        assert _raw(dom(str(charts.bars([("x", 12.0)], unit="%"))).one("text", cls="value")) == share
        assert charts.month_label("2026-13") == "2026-13"
