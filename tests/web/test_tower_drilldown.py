"""Every number on the control tower drills down (#12 item 6): each headline figure, stage
count and municipality cell links to a list of exactly those projects (or risks), and the
list's count equals the figure. Checked on the Oryol demo region, which has projects in
every stage, stalled ones, critical risks, old requests and closed projects."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from engine import clock, demo
from engine.db import Store
from engine.models import RoleGrant, User
from tests.conftest import own_database
from tests.web.conftest import Browser, dom
from webui import create_app

pytestmark = pytest.mark.slow  # the demo region is loaded once for the module

MOMENT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
BACKEND = os.environ.get("LEANSCHOOL_TEST_DB", "sqlite").lower()
PG_BASE = os.environ.get("LEANSCHOOL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@pytest.fixture(scope="module")
def demo_site(workflows: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with own_database("ls_drill", tmp_path_factory) as url:
        store = Store(url, workflows)
        clock.set_clock(lambda: MOMENT)
        try:
            demo.load(store)
            app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test", "AUTO_MIGRATE": False})
            with store.uow() as uow:
                curator = uow.session.execute(
                    select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                    .where(RoleGrant.role == "curator").order_by(User.id)).scalars().first()
                person = SimpleNamespace(id=curator.id, email=curator.email)
            yield SimpleNamespace(app=app, curator=person)
        finally:
            clock.set_clock(None)
            store.dispose()
            app.extensions["leanschool"].dispose()


def _number(link: Any) -> int:
    return int(re.sub(r"\D", "", link.find("span", cls="num").text if link.find("span", cls="num") else link.text))


def _total(browser: Browser, href: str) -> int:
    r = browser.get(href)
    assert r.status_code == 200, href
    return int(next(n["data-total"] for n in dom(r).iter() if n.has("data-total")))


def test_every_tower_figure_leads_to_a_list_of_exactly_that_many(demo_site):
    w = Browser(demo_site.app).sign_in(demo_site.curator)
    page = dom(w.get("/tower"))
    links = [a for a in page.find_all("a") if a.has("data-figure")]
    kinds = {a["data-figure"] for a in links}
    assert {"active", "stalled", "critical_risks", "approvals_waiting_over_3_days", "closed_this_year",
            "stage", "municipality_state", "municipality_stalled", "reached"} <= kinds
    checked = 0
    for a in links:
        if a["data-figure"] == "reached":
            continue  # a share, checked below
        shown = _number(a)
        assert shown > 0 or a["data-figure"] in ("closed_this_year", "approvals_waiting_over_3_days"), a
        assert _total(w, a["href"]) == shown, (a["data-figure"], a["href"], shown)
        checked += 1
    assert checked >= 15
    # the stalled, critical and waiting figures are not all zero in the demo: the test means something
    figures = {a["data-figure"]: _number(a) for a in links if a["data-figure"] not in ("stage", "reached")
               and not a["data-figure"].startswith("municipality")}
    assert figures["stalled"] > 0 and figures["critical_risks"] > 0 and figures["approvals_waiting_over_3_days"] > 0


def test_the_share_reaching_targets_drills_down_to_the_projects_that_did(demo_site):
    w = Browser(demo_site.app).sign_in(demo_site.curator)
    page = dom(w.get("/tower"))
    reached = next(a for a in page.find_all("a") if a.get("data-figure") == "reached")
    share = float(reached.find("span", cls="num").text.replace("%", "").replace(",", ".").replace("\u202f", ""))
    query = parse_qs(urlsplit(reached["href"]).query)
    n_reached = _total(w, reached["href"])
    closed = _total(w, f"/projects?region_id={query['region_id'][0]}&state=closed")
    assert closed > 0 and abs(100 * n_reached / closed - share) < 0.1


def test_every_bar_of_the_closed_per_month_chart_leads_to_its_projects(demo_site):
    """#12 item 6: a chart's bar is a link too; a month's bar lists exactly the projects closed then."""
    w = Browser(demo_site.app).sign_in(demo_site.curator)
    page = dom(w.get("/tower"))
    bars = [a for a in page.find_all("a") if a.has("data-bar") and "closed_before" in a.get("href", "")]
    assert len(bars) == 12  # the last twelve months
    values = [int(next(t for t in a.find_all("text") if t.get("class") == "value").text) for a in bars]
    assert sum(values) > 0  # the demo closed projects in the last year: the test means something
    for a, value in zip(bars, values, strict=True):
        assert _total(w, a["href"].replace("&amp;", "&")) == value, a["href"]
    stage_bars = [a for a in page.find_all("a") if a.has("data-bar") and "state=" in a.get("href", "")]
    assert stage_bars and all(w.get(a["href"].replace("&amp;", "&")).status_code == 200 for a in stage_bars)
