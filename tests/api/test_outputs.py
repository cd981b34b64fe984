"""The API's answers are the models of engine/outputs.py (#11 item 7): the OpenAPI
description publishes each model's own JSON Schema, every schema refuses undeclared keys,
real answers fit them (and would not with a key the model lacks), and a view cannot answer
anything but its declared model."""
from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine import outputs as O
from tests.api.test_practices_api import PUBLISH, closed, practice  # noqa: F401  (fixtures)
from webui.api import ROUTES
from webui.api.blueprint import RouteSpec, _answer, route

REF = "#/components/schemas/{model}"


@pytest.fixture
def spec(api) -> dict[str, Any]:
    return api.ok("GET", "/openapi.json", None)


def _errors(spec: dict[str, Any], name: str, body: Any) -> list[str]:
    schema = {"$ref": REF.format(model=name), "components": spec["components"]}
    return [f"{list(e.absolute_path)}: {e.message}" for e in
            Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(body)]


def _answer_name(spec: dict[str, Any], method: str, path: str, status: int) -> str:
    schema = spec["paths"][path][method.lower()]["responses"][str(status)]["content"]["application/json"]["schema"]
    return schema["$ref"].rsplit("/", 1)[-1]


def test_every_answer_schema_is_its_model_own(spec):
    """Each route's success answers are components generated from its models, nothing kept by hand."""
    components = spec["components"]["schemas"]
    checked = 0
    for r in ROUTES:
        for status, model in r.responses.items():
            assert _answer_name(spec, r.method, r.path, status) == model.__name__, (r.endpoint, status)
            generated = model.model_json_schema(ref_template=REF, mode="serialization")
            for name, sub in generated.pop("$defs", {}).items():
                assert components[name] == sub, name
            assert components[model.__name__] == generated, model.__name__
            checked += 1
    assert checked >= len(ROUTES) - 1  # all but openapi.json itself


def test_every_answer_object_refuses_undeclared_keys_and_lists_every_key_as_required(spec):
    components = spec["components"]["schemas"]
    seen: set[str] = set()
    objects = 0

    def walk(node: Any, where: str) -> None:
        nonlocal objects
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    walk(components[name], name)
                return
            if "properties" in node:
                objects += 1
                assert node.get("additionalProperties") is False, where
                assert set(node.get("required", [])) == set(node["properties"]), where  # keys always present
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for r in ROUTES:
        for status in r.responses:
            walk({"$ref": REF.format(model=_answer_name(spec, r.method, r.path, status))}, r.endpoint)
    assert objects >= 30, objects


def _some_record(body: dict[str, Any]) -> dict[str, Any] | None:
    """The first record of the first non-empty list of records in ``body`` (a list item, a
    role, a state, a stalled project ...)."""
    return next((v[0] for v in body.values() if isinstance(v, list) and v and isinstance(v[0], dict)), None)


GETS = [r for r in ROUTES if r.method == "GET" and r.responses]


@pytest.mark.parametrize("r", GETS, ids=[r.endpoint for r in GETS])
def test_a_real_answer_fits_its_schema_and_would_not_with_an_undeclared_key(api, spec, prepared, r):
    ids = {**prepared.ids, "practice_id": 1, "session_id": 1, "campaign_id": 1, "edition_id": 1}
    res = api.get(r.path.format(**{k: ids[k] for k in re.findall(r"{(\w+)}", r.path)}), prepared.curator)
    # none published / scheduled / started in the prepared world: test_practice_answers_fit_...,
    # tests/api/test_defence_api.py's test_defence_answers_fit_their_schemas, test_campaigns_api.py,
    # test_evaluation_api.py's test_edition_answers_fit_their_schemas (compare needs two editions: a, b)
    if r.endpoint in ("get_practice", "get_defence_session", "get_campaign", "get_edition"):
        assert res.status_code == 404
        return
    if r.endpoint == "compare_editions":
        assert res.status_code == 422
        return
    assert res.status_code == 200, (r.endpoint, res.get_json())
    body = res.get_json()
    name = _answer_name(spec, "GET", r.path, 200)
    assert _errors(spec, name, body) == []
    assert list(body) == list(r.responses[200].model_fields)  # the keys in the model's order
    top = {**body, "undeclared": 1}
    assert _errors(spec, name, top), r.endpoint
    nested = copy.deepcopy(body)
    inner = _some_record(nested)
    if inner is not None:
        inner["undeclared"] = 1
        assert _errors(spec, name, nested), r.endpoint


def test_practice_answers_fit_their_schemas(api, spec, closed, curator_orel, member_of_school,  # noqa: F811
                                            member_of_other_school, world):
    """The practice routes (not in the contract test's examples) answer their models too."""
    def check(method: str, path: str, template: str, who: Any, body: Any = None, status: int = 200) -> Any:
        r = api.request(method, path, who, **({"json": body} if body is not None else {}))
        assert r.status_code == status, (path, r.get_json())
        name = _answer_name(spec, method, template, status)
        assert _errors(spec, name, r.get_json()) == [], (path, _errors(spec, name, r.get_json())[:3])
        return r.get_json()

    p = check("POST", f"/projects/{closed.id}/publish", "/projects/{project_id}/publish", curator_orel, PUBLISH, 201)
    assert p["replicas"] == [] and p["published_at"].endswith("Z")
    check("POST", f"/practices/{p['id']}/replicate", "/practices/{practice_id}/replicate", member_of_other_school,
          {"org_id": world.other_school.id}, 201)
    got = check("GET", f"/practices/{p['id']}", "/practices/{practice_id}", member_of_school)
    assert got["replica_count"] == 1 and len(got["replicas"]) == 1
    listed = check("GET", "/practices?q=питании", "/practices", member_of_school)
    assert listed["total"] == 1 and "replicas" not in listed["items"][0]
    check("PATCH", f"/practices/{p['id']}", "/practices/{practice_id}", curator_orel,
          {"solution": "Предзаказ", "version": got["version"]})
    check("POST", f"/practices/{p['id']}/withdraw", "/practices/{practice_id}/withdraw", curator_orel,
          {"reason": "устарела"})


def test_a_view_answers_only_its_declared_model_at_its_declared_status(app):
    spec = RouteSpec("/x", "POST", "x", "x", 201, None, {201: O.Region, 202: O.RequestEnvelope}, ())
    with app.test_request_context():
        resp = _answer(spec, O.Region(id=1, name="Орловская область"))
        assert (resp.status_code, resp.get_json()) == (201, {"id": 1, "name": "Орловская область"})
        with pytest.raises(TypeError):
            _answer(spec, {"id": 1, "name": "a dict is not a model"})
        with pytest.raises(TypeError):
            _answer(spec, O.Organization(id=1, municipality_id=1, region_id=1, name="МБОУ", kind="school"))
        with pytest.raises(TypeError):
            _answer(spec, (O.Region(id=1, name="x"), 200))  # a status it does not declare


def test_a_route_must_declare_an_output_model():
    with pytest.raises(TypeError):
        route("/nowhere", summary="x", response="Project")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        route("/nowhere", summary="x", response={200: dict})  # type: ignore[dict-item]


def test_an_output_model_refuses_a_key_it_does_not_declare():
    with pytest.raises(ValueError):
        O.Region.model_validate({"id": 1, "name": "x", "secret": "y"})
    with pytest.raises(ValueError):
        O.Tower.model_validate({"region_id": 1, "by_state": {}, "stalled": [], "unresolved_risks": [],
                                "pending_approvals": [{"request_id": 1, "project_id": 1, "trigger": "t",
                                                       "org_id": 1, "waiting_days": 0, "extra": 1}],
                                "by_municipality": []})


def test_timestamps_dates_and_absent_values_serialise_as_api_md_says(api, prepared):
    body = api.ok("GET", f"/projects/{prepared.ids['project_id']}", prepared.member)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["state_entered_at"])
    assert body["leader_id"] is None and "leader_id" in body  # keys always present, null when absent
    risk = api.ok("PATCH", f"/risks/{prepared.ids['risk_id']}", prepared.member, {"due_on": "2026-12-01"})
    assert risk["due_on"] == "2026-12-01" and risk["updated_at"].endswith("Z")
