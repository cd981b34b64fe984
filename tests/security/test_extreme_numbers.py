"""Item 1 of issue #10, the output side: any finite float stored in the database renders.
The values are written with SQL (the input bounds would refuse them), then every page,
API answer and export that shows or computes with them must answer without a 500."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from engine import practices as P
from engine import services as svc
from tests.api import conftest as api_fixtures
from tests.web import conftest as web_fixtures
from tests.web.test_practices_pages import PUBLISH, close_project

# the web and API fixtures, shared with tests/web and tests/api
web, api = web_fixtures.web, api_fixtures.api  # the app is tests/conftest.py's

# (baseline, target, [measurement values], hours, roubles): the corners of float
EXTREMES = {
    "huge": (1e308, -1e308, [1e308, -1e308], 1e308, 1e308),
    "huge-negative-baseline": (-1e308, 1e308, [1e308], -1e308, -1e308),
    "tiny-baseline": (1e-300, 0.0, [1e308, -1e-300], 1e-300, 5e-324),
    "zero": (0.0, 0.0, [0.0], 0.0, 0.0),
    "equal-huge": (1e300, 1e300, [1e300, 1e300], 1e300, 1e300),
}


@pytest.fixture
def extreme_world(make, store, world, member_of_school, head_of_school, curator_orel, frozen_clock):
    """A closed project published as a practice, replicated in another school, a second
    open project; then every number of both projects overwritten with SQL."""
    closed = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    close_project(make, closed.id, member_of_school, head_of_school)
    practice = make.call(P.publish, curator_orel.actor, closed.id, PUBLISH)
    # a second closed project: the region's sums add two extreme values (PostgreSQL's
    # float8 sum overflows past 1.8e308)
    second = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи учебников")
    close_project(make, second.id, member_of_school, head_of_school)
    other_member = make.person("member", org=world.other_school)
    replica = make.call(P.replicate, other_member.actor, practice.id, {"org_id": world.other_school.id})
    make.call(svc.add_metric, other_member.actor, replica.id,
              {"name": "ВПП выдачи обедов", "unit": "мин", "direction": "decrease", "baseline": 50.0})
    metric = make.call(svc.add_metric, other_member.actor, replica.id,
                       {"name": "Доля довольных", "unit": "%", "direction": "increase", "baseline": 10.0})
    make.call(svc.record_measurement, other_member.actor, metric.id,
              {"value": 20.0, "measured_on": "2026-08-20"})
    return {"closed": closed, "practice": practice, "replica": replica, "member": member_of_school,
            "curator": curator_orel, "other_member": other_member}


def overwrite_numbers(store, baseline, target, values, hours, roubles):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE metric SET baseline = :b, target = :t"), {"b": baseline, "t": target})
        rows = conn.execute(text("SELECT id FROM measurement ORDER BY id")).scalars().all()
        for n, mid in enumerate(rows):
            conn.execute(text("UPDATE measurement SET value = :v WHERE id = :id"),
                         {"v": values[n % len(values)], "id": mid})
        conn.execute(text("UPDATE metric SET latest_value = (SELECT value FROM measurement m "
                          "WHERE m.metric_id = metric.id ORDER BY measured_on DESC, id DESC LIMIT 1)"))
        conn.execute(text("UPDATE project SET planned_hours_saved = :h, actual_hours_saved = :h, "
                          "planned_roubles = :r, actual_roubles = :r"), {"h": hours, "r": roubles})


def _ok(r, what):
    assert r.status_code == 200, (what, r.status_code, r.get_data(as_text=True)[:300])
    return r


@pytest.mark.parametrize("case", list(EXTREMES))
def test_every_page_api_and_export_renders_extreme_stored_numbers(case, extreme_world, store, web, api, world):
    overwrite_numbers(store, *EXTREMES[case])
    ids = extreme_world
    pid, rid, prac = ids["closed"].id, ids["replica"].id, ids["practice"].id
    member, curator, other = web(ids["member"]), web(ids["curator"]), web(ids["other_member"])
    for b, path in [(member, "/board"), (curator, "/board"), (member, f"/projects/{pid}"),
                    (other, f"/projects/{rid}"), (member, f"/projects/{pid}/passport"),
                    (member, f"/projects/{pid}/report"), (curator, f"/projects/{rid}/report"),
                    (curator, "/tower"), (member, f"/practices/{prac}"), (member, "/practices"),
                    (curator, f"/practices/{prac}"), (member, "/projects"), (curator, "/projects")]:
        _ok(b.get(path), path)
    kursk = make_kursk_member(store, world)
    _ok(web(kursk).get(f"/practices/{prac}"), "practice page in another region")
    for who, path in [(ids["member"], f"/projects/{pid}"), (ids["curator"], f"/regions/{world.region.id}/tower"),
                      (ids["member"], f"/practices/{prac}"), (kursk, f"/practices/{prac}"),
                      (ids["member"], "/practices"), (ids["curator"], "/projects")]:
        r = _ok(api.get(path, as_=who), path)
        body = r.get_data(as_text=True)
        assert "Infinity" not in body and "NaN" not in body, (path, body[:300])  # JSON has neither
    for path in ("/tower.xlsx", "/tower/summary.xlsx"):
        r = _ok(curator.get(path), path)
        load_workbook(io.BytesIO(r.data))
    _ok(curator.get("/projects.csv"), "/projects.csv")


def make_kursk_member(store, world):
    from tests.conftest import Factory
    return Factory(store).person("member", org=world.other_region_school, email="kursk@school5.ru")


@pytest.mark.parametrize(("baseline", "result"), [(1e-300, 1e308), (1e308, -1e308), (-1e308, 1e308),
                                                  (5e-324, 1e308), (1e308, 5e-324), (1.0, 1e308)])
def test_change_pct_is_total(baseline, result):
    pct = P.change_pct(baseline, result)
    assert pct is None or (pct == pct and abs(pct) != float("inf"))


SVG_NUMBER_GARBAGE = re.compile(r'="[^"]*\b(nan|inf)\b[^"]*"|>-?(nan|inf)\b', re.IGNORECASE)


@pytest.mark.parametrize("case", list(EXTREMES))
def test_charts_scale_extreme_values_to_finite_coordinates(case, extreme_world, store, web):
    overwrite_numbers(store, *EXTREMES[case])
    ids = extreme_world
    member, other = web(ids["member"]), web(ids["other_member"])
    for b, path in [(member, f"/projects/{ids['closed'].id}"), (member, f"/projects/{ids['closed'].id}/report"),
                    (other, f"/projects/{ids['replica'].id}")]:
        page = _ok(b.get(path), path).get_data(as_text=True)
        assert "<svg" in page, path
        for svg in re.findall(r"<svg.*?</svg>", page, re.DOTALL):
            assert not SVG_NUMBER_GARBAGE.search(svg), (path, SVG_NUMBER_GARBAGE.search(svg).group(0))
