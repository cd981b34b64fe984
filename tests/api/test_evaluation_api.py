"""Evaluation editions over /api/v1 (additive to API.md): GET/POST /regions/<id>/editions,
GET/PATCH/DELETE /editions/<id>, POST /editions/<id>/sign, GET /editions/compare?a=&b=. A
signed edition is frozen: every change answers 409 and writes nothing."""
from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import error_of, fields_of
from tests.web.conftest import db_snapshot


@pytest.fixture
def edition(api, world, curator_orel, make, member_of_school) -> dict[str, Any]:
    make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    return api.ok("POST", f"/regions/{world.region.id}/editions", curator_orel,
                  {"title": "Промежуточный анализ", "kind": "interim", "as_of": "2026-11-01"})


def value(body: dict[str, Any], key: str) -> Any:
    return next(r["value"] for r in body["rows"] if r["key"] == key)


def test_a_curator_prepares_signs_and_then_cannot_edit(api, store, edition, world, curator_orel):
    assert (edition["status"], edition["live"], edition["version"]) == ("draft", True, 1)
    # the project was created today, after the edition's date; today's edition counts it
    assert value(edition, "projects_launched") == 0
    patched = api.ok("PATCH", f"/editions/{edition['id']}", curator_orel,
                     {"title": "Промежуточный анализ на сегодня", "as_of": api_today(), "version": 1})
    assert (patched["title"], patched["version"], value(patched, "projects_launched")) == (
        "Промежуточный анализ на сегодня", 2, 1)
    signed = api.ok("POST", f"/editions/{edition['id']}/sign", curator_orel, {"version": 2}, status=200)
    assert (signed["status"], signed["live"], signed["signed_by"]) == ("signed", False, curator_orel.id)
    assert value(signed, "projects_launched") == 1

    before = db_snapshot(store)
    error_of(api.patch(f"/editions/{edition['id']}", curator_orel, json={"title": "Другое"}), 409, "conflict")
    error_of(api.post(f"/editions/{edition['id']}/sign", curator_orel, json={}), 409, "conflict")
    error_of(api.request("DELETE", f"/editions/{edition['id']}", curator_orel), 409, "conflict")
    assert db_snapshot(store) == before
    assert api.ok("GET", f"/editions/{edition['id']}", curator_orel) == signed
    listed = api.ok("GET", f"/regions/{world.region.id}/editions", curator_orel)
    assert listed["total"] == 1 and listed["items"][0]["status"] == "signed"


def api_today() -> str:
    from engine import clock
    return clock.today().isoformat()


def test_compare_two_editions(api, edition, world, curator_orel):
    today = api.ok("POST", f"/regions/{world.region.id}/editions", curator_orel,
                   {"title": "Итоговая оценка", "kind": "final", "as_of": api_today()})
    body = api.ok("GET", f"/editions/compare?a={edition['id']}&b={today['id']}", curator_orel)
    row = next(r for r in body["rows"] if r["key"] == "projects_launched")
    assert (row["a"], row["b"], row["change"], row["change_pct"]) == (0, 1, 1.0, None)
    assert (body["a"]["id"], body["b"]["id"]) == (edition["id"], today["id"])
    assert set(fields_of(api.get(f"/editions/compare?a={edition['id']}", curator_orel))) == {"b"}
    error_of(api.get(f"/editions/compare?a={edition['id']}&b=999999", curator_orel), 404, "not_found")


def test_a_head_is_refused_403_and_another_regions_curator_404(api, edition, world, head_of_school, curator_kursk):
    for r in (api.get(f"/regions/{world.region.id}/editions", head_of_school),
              api.post(f"/regions/{world.region.id}/editions", head_of_school,
                       json={"title": "Срез", "as_of": "2026-11-01"}),
              api.get(f"/editions/{edition['id']}", head_of_school),
              api.post(f"/editions/{edition['id']}/sign", head_of_school, json={})):
        error_of(r, 403, "forbidden")
    error_of(api.get(f"/editions/{edition['id']}", curator_kursk), 404, "not_found")
    error_of(api.get(f"/regions/{world.region.id}/editions", curator_kursk), 404, "not_found")


def test_a_bad_date_is_422_naming_the_field_and_writes_nothing(api, store, world, curator_orel):
    path = f"/regions/{world.region.id}/editions"
    api.ok("GET", path, curator_orel)  # the curator's token is made
    before = db_snapshot(store)
    assert set(fields_of(api.post(path, curator_orel, json={"title": "Срез", "as_of": "31.12.2020"}))) == {"as_of"}
    assert set(fields_of(api.post(path, curator_orel, json={"title": "Срез", "as_of": "2999-12-31"}))) == {"as_of"}
    assert set(fields_of(api.post(path, curator_orel, json={"as_of": "2020-12-31"}))) == {"title"}
    assert db_snapshot(store) == before


def test_the_error_order_401_404_403_400_422_409(api, edition, world, curator_orel, head_of_school):
    path = f"/regions/{world.region.id}/editions"
    error_of(api.post(path, None, data=b"[1]", headers={"Content-Type": "application/json"}), 401,
             "unauthenticated")
    error_of(api.post("/regions/999999/editions", curator_orel, data=b"[1]",
                      headers={"Content-Type": "application/json"}), 404, "not_found")
    error_of(api.post(path, head_of_school, data=b"[1]", headers={"Content-Type": "application/json"}), 403,
             "forbidden")
    error_of(api.post(path, curator_orel, data=b"[1]", headers={"Content-Type": "application/json"}), 400,
             "bad_request")
    api.ok("POST", f"/editions/{edition['id']}/sign", curator_orel, {}, status=200)
    # a signed edition: a bad field is 422 before the 409 of the frozen edition
    assert set(fields_of(api.patch(f"/editions/{edition['id']}", curator_orel, json={"as_of": "x"}))) == {"as_of"}
    error_of(api.patch(f"/editions/{edition['id']}", curator_orel, json={"as_of": "2026-11-02"}), 409, "conflict")


def test_edition_answers_fit_their_schemas(api, edition, world, curator_orel):
    from tests.api.test_outputs import _answer_name, _errors
    spec = api.ok("GET", "/openapi.json", None)
    other = api.ok("POST", f"/regions/{world.region.id}/editions", curator_orel,
                   {"title": "Черновик", "as_of": "2026-10-01"})
    ids = {"region_id": world.region.id, "edition_id": edition["id"]}
    for method, template, query, status, body in (
            ("GET", "/regions/{region_id}/editions", "", 200, None),
            ("GET", "/editions/{edition_id}", "", 200, None),
            ("GET", "/editions/compare", f"?a={edition['id']}&b={other['id']}", 200, None),
            ("PATCH", "/editions/{edition_id}", "", 200, {"title": "Промежуточный анализ на 01.11.2026"}),
            ("POST", "/editions/{edition_id}/sign", "", 200, {}),
            ("DELETE", "/editions/{edition_id}", "", 200, None)):
        path = template.format(**(ids if template != "/editions/{edition_id}" or method != "DELETE"
                                  else {"edition_id": other["id"]})) + query
        r = api.request(method, path, curator_orel, **({"json": body} if body is not None else {}))
        assert r.status_code == status, (template, r.get_json())
        name = _answer_name(spec, method, template, status)
        assert _errors(spec, name, r.get_json()) == [], (template, _errors(spec, name, r.get_json())[:3])
        assert _errors(spec, name, {**r.get_json(), "undeclared": 1})
