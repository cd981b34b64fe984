"""The OpenAPI description (/api/v1/openapi.json) against the code and API.md:
it is valid OpenAPI 3.1, documents every route, every documented operation answers
(in a prepared world, with real ids) with one of its documented statuses and a body
that fits the documented schema, and every error answer is described."""
from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.api.conftest import error_of
from webui.api import ROUTES

METHODS = ("get", "post", "put", "patch", "delete")
# API.md's resource table (the practices endpoints belong to a later issue)
API_MD = [("get", "/me"), ("get", "/regions"), ("post", "/regions"), ("post", "/municipalities"),
          ("post", "/organizations"), ("get", "/organizations"), ("get", "/workflows"),
          ("get", "/workflows/{workflow_id}"), ("get", "/projects"), ("post", "/projects"),
          ("get", "/projects/{project_id}"), ("patch", "/projects/{project_id}"),
          ("post", "/projects/{project_id}/metrics"), ("patch", "/metrics/{metric_id}"),
          ("post", "/metrics/{metric_id}/measurements"), ("post", "/projects/{project_id}/problems"),
          ("post", "/projects/{project_id}/actions"), ("patch", "/actions/{action_id}"),
          ("post", "/projects/{project_id}/artefacts"), ("post", "/projects/{project_id}/risks"),
          ("patch", "/risks/{risk_id}"), ("post", "/projects/{project_id}/transitions"), ("get", "/approvals"),
          ("post", "/approvals/{request_id}/approve"), ("post", "/approvals/{request_id}/reject"),
          ("post", "/projects/{project_id}/comments"), ("get", "/projects/{project_id}/events"),
          ("get", "/regions/{region_id}/tower"), ("get", "/openapi.json"),
          # the people loop (API.md "People-loop additions", #12)
          ("get", "/notifications"), ("post", "/notifications/read"), ("post", "/approvals/{request_id}/withdraw")]


@pytest.fixture
def spec(api) -> dict[str, Any]:
    r = api.get("/openapi.json")
    assert r.status_code == 200 and r.is_json
    return r.get_json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, path, op) for path, item in spec["paths"].items() for m, op in item.items() if m in METHODS]


def test_it_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises with the offending path when it is not


def test_every_route_is_documented_and_nothing_else(spec):
    documented = {(m, p) for m, p, _ in _operations(spec)}
    in_code = {(r.method.lower(), r.path) for r in ROUTES}
    assert documented == in_code
    assert set(API_MD) <= documented, set(API_MD) - documented
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids))


def test_every_schema_reference_resolves(spec):
    names = set(spec["components"]["schemas"])
    refs: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    assert {r.rsplit("/", 1)[-1] for r in refs} <= names
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_error_answer_is_described(spec):
    for method, path, op in _operations(spec):
        responses = op["responses"]
        codes = {int(c) for c in responses}
        where = f"{method.upper()} {path}"
        assert 500 in codes, where
        if op.get("security"):
            assert 401 in codes, where
        if "{" in path:
            assert 404 in codes, where
        if "requestBody" in op:
            assert {400, 422} <= codes, where
        if any(p["in"] == "query" for p in op.get("parameters", [])):
            assert 422 in codes, where
        for code, resp in responses.items():
            assert resp.get("description"), (where, code)
            schema = resp["content"]["application/json"]["schema"]
            if int(code) >= 400:
                assert schema == {"$ref": "#/components/schemas/Error"}, (where, code)
            else:
                assert schema.get("$ref") or schema.get("type") == "object", (where, code)
        assert any(200 <= int(c) < 300 for c in codes), where


def test_security_scheme_is_bearer_and_only_openapi_is_public(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    public = [(m, p) for m, p, op in _operations(spec) if not op.get("security")]
    assert public == [("get", "/openapi.json")]


def test_request_bodies_are_the_service_schemas(spec):
    by_endpoint = {r.endpoint: r for r in ROUTES}
    for _, _, op in _operations(spec):
        r = by_endpoint[op["operationId"]]
        if r.body is None:
            assert "requestBody" not in op
            continue
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[-1]
        assert name == r.body.__name__ and r.body.__module__.startswith("engine.")  # the services' own
        component = spec["components"]["schemas"][name]
        assert component.get("additionalProperties") is False  # unknown fields are refused, as documented
        assert set(component.get("required", [])) == {n for n, f in r.body.model_fields.items() if f.is_required()}


# --- every documented operation answers as documented --------------------------------------

# operationId -> (who, body) for a request that should succeed in the prepared world
EXAMPLES: dict[str, tuple[str, Any]] = {
    "me": ("member", None), "list_regions": ("member", None),
    "create_region": ("admin", {"name": "Тульская область"}),
    "create_municipality": ("admin", {"region_id": "{region_id}", "name": "г. Ливны", "kind": "city"}),
    "create_organization": ("admin", {"municipality_id": "{municipality_id}", "name": "МБОУ СОШ №2",
                                      "kind": "school"}),
    "list_organizations": ("curator", None), "list_workflows": ("member", None), "get_workflow": ("member", None),
    "list_projects": ("curator", None),
    "create_project": ("member", {"org_id": "{org_id}", "title": "Оптимизация", "problem": "П", "goal": "Ц"}),
    "get_project": ("member", None), "patch_project": ("member", {"version": 1, "title": "Новое"}),
    "post_transition": ("head", {"trigger": "cancel", "version": 1, "comment": "Дубль"}),
    "list_events": ("curator", None), "post_comment": ("curator", {"text": "Хорошо"}),
    "post_metric": ("member", {"name": "Очередь", "direction": "decrease", "baseline": 12}),
    "patch_metric": ("member", {"target": 30}),
    "post_measurement": ("member", {"value": 40, "measured_on": "2026-02-01"}),
    "post_problem": ("member", {"description": "Ожидание", "waste": "waiting"}),
    "post_action": ("member", {"title": "Перенести шкаф", "due_on": "2026-12-01"}),
    "patch_action": ("member", {"status": "done"}),
    "post_artefact": ("member", {"kind": "report", "title": "Отчёт"}),
    "post_risk": ("member", {"title": "Отпуск", "probability": 2, "impact": 2}),
    "patch_risk": ("member", {"status": "resolved"}),
    "list_approvals": ("head", None), "approve": ("head", {"comment": "Да"}), "reject": ("head", {"comment": "Нет"}),
    "region_tower": ("curator", None), "openapi_json": (None, None),
    # beyond API.md (issue 10): the admin's user tools; {user_id} is the prepared member
    "deactivate_user": ("admin", None), "activate_user": ("admin", None),
    "revoke_role": ("admin", {"role": "member"}),
    # the people loop (#12): the head was told of the member's request
    "withdraw": ("member", {"comment": "Передумали"}), "list_notifications": ("head", None),
    "read_notifications": ("head", {"ids": [1]}),
}
OPS = [(r.method, r.path, r.endpoint) for r in ROUTES]


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def _check_against_spec(spec: dict[str, Any], path: str, method: str, r: Any) -> None:
    op = spec["paths"][path][method.lower()]
    assert str(r.status_code) in op["responses"], (method, path, r.status_code, r.get_data(as_text=True)[:300])
    assert r.is_json, (method, path, r.status_code)
    schema = {**op["responses"][str(r.status_code)]["content"]["application/json"]["schema"],
              "components": spec["components"]}
    errors = sorted(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
                    .iter_errors(r.get_json()), key=str)
    assert not errors, (method, path, r.status_code, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]])


@pytest.mark.parametrize("method,path,endpoint", OPS, ids=[f"{m} {p}" for m, p, _ in OPS])
def test_every_operation_answers_as_documented(api, spec, prepared, method, path, endpoint):
    ids = dict(prepared.ids)
    if endpoint == "post_transition":
        ids["project_id"] = ids["fresh_project_id"]  # the other one has a request pending
    people = {"member": prepared.member, "head": prepared.head, "curator": prepared.curator, "admin": prepared.admin}
    op = spec["paths"][path][method.lower()]
    # an operation without an example here (added by another issue) is still exercised:
    # whatever it answers to an empty object must be documented
    who_name, body = EXAMPLES.get(endpoint, ("member", {} if "requestBody" in op else None))
    who = people.get(who_name) if who_name else None
    ids.update({name: 1 for name in re.findall(r"{(\w+)}", path) if name not in ids})
    url = path.format(**ids)
    kw = {"json": _fill(body, ids)} if body is not None else {}

    r = api.request(method, url, who, **kw)
    if endpoint in EXAMPLES:  # the example succeeds with the documented success status and shape
        success = sorted(c for c in op["responses"] if c.startswith("2"))
        assert str(r.status_code) in success, (r.status_code, r.get_json())
    _check_against_spec(spec, path, method, r)

    if not op.get("security"):
        return
    # and every way of failing answers a documented error with the envelope
    attempts = [api.request(method, url, None, **kw),  # no token
                api.request(method, url, who, headers={"Authorization": "Bearer wrong"}, **kw)]
    if "{" in path:
        unknown = {k: (999999 if isinstance(v, int) else "nope") for k, v in ids.items()}
        attempts.append(api.request(method, path.format(**unknown), who, **kw))
        attempts.append(api.request(method, url, api.make.person(
            "member", org=prepared.world.other_region_school), **kw))  # out of scope
    if body is not None:
        attempts.append(api.request(method, url, who, data=b"[1]", headers={"Content-Type": "application/json"}))
        attempts.append(api.request(method, url, who, json={"no_such_field": True}))
    if any(p["in"] == "query" for p in op.get("parameters", [])):
        attempts.append(api.request(method, url, who, query={"limit": 100000}))
    for other in people.values():  # every role tries the example
        attempts.append(api.request(method, url, other, **kw))
    for a in attempts:
        _check_against_spec(spec, path, method, a)
        if a.status_code >= 400:
            error_of(a, a.status_code, a.get_json()["error"]["code"])


def test_transition_answers_202_and_409_as_documented(api, spec, prepared):
    path = "/projects/{project_id}/transitions"
    pid = prepared.ids["fresh_project_id"]
    body = {"trigger": "cancel", "version": 1, "comment": "Дубль"}
    r = api.post(f"/projects/{pid}/transitions", prepared.member, json=body)
    assert r.status_code == 202
    _check_against_spec(spec, path, "post", r)
    r = api.post(f"/projects/{pid}/transitions", prepared.member, json=body)
    assert r.status_code == 409
    _check_against_spec(spec, path, "post", r)
