"""The OpenAPI 3 description, built from the route table and the same pydantic schemas
the services validate with (engine/schemas.py), so it cannot drift from the code."""
from __future__ import annotations

from typing import Any

from flask import current_app

from webui.api.blueprint import INT_MAX, ROUTES, bp, route

_S = {"type": "string"}
_I = {"type": "integer"}
_N = {"type": "number"}
_B = {"type": "boolean"}
_TS = {"type": "string", "format": "date-time"}
_D = {"type": "string", "format": "date"}


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props,
            "required": list(props) if required is None else required}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(name: str) -> dict[str, Any]:
    return _obj({"items": {"type": "array", "items": _ref(name)}, "total": _I})


OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj({"error": _obj({"code": {"type": "string", "enum": [
        "bad_request", "unauthenticated", "forbidden", "not_found", "method_not_allowed", "conflict",
        "validation_failed", "gate_failed", "not_publishable", "internal_error"]},
        "message": _S, "details": {"type": "object"}})}),
    "Role": _obj({"role": _S, "org_id": _null(_I), "region_id": _null(_I)}),
    "Me": _obj({"id": _I, "email": _S, "name": _S, "roles": {"type": "array", "items": _ref("Role")}}),
    "User": _obj({"id": _I, "email": _S, "name": _S, "is_active": _B,
                  "roles": {"type": "array", "items": _ref("Role")}}),
    "Region": _obj({"id": _I, "name": _S}),
    "Municipality": _obj({"id": _I, "region_id": _I, "name": _S}),
    "Organization": _obj({"id": _I, "municipality_id": _I, "region_id": _I, "name": _S, "kind": _S}),
    "Workflow": _obj({"id": _S, "version": _I, "title": _S, "initial": _S,
                      "states": {"type": "array", "items": _obj({
                          "id": _S, "title": _S, "sla_days": _null(_I), "wip_limit": _null(_I),
                          "final": _B})},
                      "transitions": {"type": "array", "items": _obj({
                          "trigger": _S, "source": {"type": "array", "items": _S}, "dest": _S,
                          "title": _null(_S), "requires": {"type": "array", "items": _S},
                          "approval": _null(_S), "roles": {"type": "array", "items": _S},
                          "comment_required": _B})}}),
    "Unmet": _obj({"check": _S, "message": _S}),
    "Request": _obj({"id": _I, "project_id": _I, "trigger": _S, "dest": _S,
                     "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
                     "requested_by": _I, "requested_at": _TS, "comment": _null(_S),
                     "decided_by": _null(_I), "decided_at": _null(_TS), "decision_comment": _null(_S)}),
    "AvailableTransition": _obj({"trigger": _S, "dest": _S, "title": _S, "approval": _null(_S),
                                 "comment_required": _B,
                                 "unmet": {"type": "array", "items": _ref("Unmet")}}),
    "StallReason": _obj({"kind": {"type": "string", "enum": ["sla", "idle"]}, "days": _I, "limit": _I}),
    "Project": _obj({
        "id": _I, "org_id": _I, "workflow": _S, "title": _S, "problem": _S, "goal": _S, "state": _S,
        "version": _I, "state_entered_at": _TS, "days_in_state": _I, "stalled": _B,
        "stall_reasons": {"type": "array", "items": _ref("StallReason")}, "open_risks": _I,
        "pending_request": _null(_ref("Request")),
        "available_transitions": {"type": "array", "items": _ref("AvailableTransition")},
        "reg_number": _S, "sponsor": _S, "leader_id": _null(_I), "process_owner": _S,
        "process_start": _S, "process_end": _S, "planned_hours_saved": _null(_N),
        "actual_hours_saved": _null(_N), "planned_roubles": _null(_N), "actual_roubles": _null(_N),
        "milestones": {"type": "object", "additionalProperties": _D}}),
    "ProjectEnvelope": _obj({"project": _ref("Project")}),
    "RequestEnvelope": _obj({"request": _ref("Request")}),
    "Metric": _obj({"id": _I, "project_id": _I, "name": _S, "unit": _S,
                    "direction": {"type": "string", "enum": ["decrease", "increase"]},
                    "baseline": _null(_N), "target": _null(_N)}),
    "Measurement": _obj({"id": _I, "metric_id": _I, "value": _N, "measured_on": _D}),
    "Problem": _obj({"id": _I, "project_id": _I, "description": _S, "waste": _S}),
    "Action": _obj({"id": _I, "project_id": _I, "title": _S, "due_on": _null(_D), "owner_id": _null(_I),
                    "status": _S}),
    "Artefact": _obj({"id": _I, "project_id": _I, "kind": _S, "title": _S, "url": _null(_S),
                      "text": _null(_S)}),
    "Risk": _obj({"id": _I, "project_id": _I, "title": _S, "probability": _I, "impact": _I, "score": _I,
                  "status": _S, "mitigation": _null(_S), "owner_id": _null(_I), "due_on": _null(_D)}),
    "Comment": _obj({"id": _I, "author_id": _I, "at": _TS, "text": _S}),
    "Event": _obj({"id": _I, "at": _TS, "actor_id": _null(_I), "kind": _S, "from_state": _null(_S),
                   "to_state": _null(_S), "payload": {"type": "object"}}),
    "Tower": _obj({"region_id": _I, "by_state": {"type": "object", "additionalProperties": _I},
                   "stalled": {"type": "array", "items": {"type": "object"}},
                   "unresolved_risks": {"type": "array", "items": {"type": "object"}},
                   "pending_approvals": {"type": "array", "items": {"type": "object"}},
                   "by_municipality": {"type": "array", "items": {"type": "object"}}}),
}
_EFFECT = {"type": "array", "items": _ref("Effect")}
_PRACTICE = {
    "id": _I, "project_id": _I, "region_id": _I, "org_id": _I, "org_name": _null(_S), "org_kind": _null(_S),
    "municipality_id": _null(_I), "municipality_name": _null(_S), "title": _S, "category": _S, "problem": _S,
    "summary": _S, "solution": _S, "standard": _S, "process_start": _S, "process_end": _S, "effect": _EFFECT,
    "effect_size": _null(_N), "status": {"type": "string", "enum": ["published", "withdrawn"]},
    "published_by": _null(_I), "published_at": _TS, "updated_at": _TS, "version": _I, "replica_count": _I}
OUTPUT_SCHEMAS.update({
    "Effect": _obj({"metric": _S, "unit": _S, "direction": {"type": "string", "enum": ["decrease", "increase"]},
                    "baseline": _null(_N), "result": _null(_N), "change_pct": _null(_N)}),
    "Replica": _obj({"project_id": _I, "org_id": _I, "org_name": _S, "org_kind": _S, "region_id": _I,
                     "state": _S, "effect": _EFFECT}),
    "PracticeItem": _obj(_PRACTICE),
    "Practice": _obj({**_PRACTICE, "replicas": {"type": "array", "items": _ref("Replica")}}),
})
for _name, _item in [("PracticeList", "PracticeItem"), ("RegionList", "Region"), ("OrganizationList", "Organization"),
                     ("WorkflowList", "Workflow"), ("ProjectList", "Project"),
                     ("RequestList", "Request"), ("EventList", "Event")]:
    OUTPUT_SCHEMAS[_name] = _list(_item)

# the programme's answers are pydantic models (engine/programme/outputs.py): their own schemas
from engine.programme.outputs import OUTPUT_MODELS  # noqa: E402

for _model in OUTPUT_MODELS:
    _schema = _model.model_json_schema(ref_template="#/components/schemas/{model}")
    OUTPUT_SCHEMAS.update(_schema.pop("$defs", {}))
    OUTPUT_SCHEMAS[_model.__name__] = _schema

ERROR_TEXT = {400: "Body is not a JSON object", 401: "No or bad token", 403: "In scope, but not allowed",
              404: "No such object, or outside the user's scope", 405: "Method not allowed",
              409: "Conflict: stale version, unavailable trigger, or a request already pending",
              422: "validation_failed (details.fields), gate_failed (details.unmet) or not_publishable",
              500: "Internal error (never expected)"}


def build_spec() -> dict[str, Any]:
    schemas: dict[str, Any] = dict(OUTPUT_SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        op: dict[str, Any] = {"operationId": spec.endpoint, "summary": spec.summary, "responses": {}}
        params = [{"name": name, "in": "path", "required": True,
                   "schema": _S if name == "workflow_id" else _I}
                  for name in _path_params(spec.path)]
        params += [{"name": name, "in": "query", "required": False, **_bounded(q)} for name, q in spec.query.items()]
        if params:
            op["parameters"] = params
        if spec.body is not None:
            body_schema = _bounded(spec.body.model_json_schema(ref_template="#/components/schemas/{model}"))
            for name, sub in body_schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[spec.body.__name__] = body_schema
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _ref(spec.body.__name__)}}}
        ok_schema = _ref(spec.response) if spec.response else {"type": "object"}
        if spec.endpoint == "post_transition":
            op["responses"]["200"] = _json("Moved", _ref("ProjectEnvelope"))
            op["responses"]["202"] = _json("Waiting for approval", _ref("RequestEnvelope"))
        elif spec.endpoint == "approve":
            op["responses"]["200"] = _json("Approved and moved", _ref("ProjectEnvelope"))
        elif spec.endpoint == "reject":
            op["responses"]["200"] = _json("Rejected", _ref("RequestEnvelope"))
        else:
            op["responses"][str(spec.ok)] = _json("OK", ok_schema)
        for code in sorted(set(spec.errors) | {500}):
            op["responses"][str(code)] = _json(ERROR_TEXT[code], _ref("Error"))
        if not spec.public:
            op["security"] = [{"bearer": []}]
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lean School API", "version": "1.0.0",
                 "description": "ПСР-проекты of a region's schools, kindergartens and colleges (API.md)."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _bounded(node: Any) -> Any:
    """Integers in request bodies and queries are bounded by what the database holds (the
    API answers 422 beyond that); say so wherever a schema gives no narrower bounds."""
    if isinstance(node, dict):
        node = {k: _bounded(v) for k, v in node.items()}
        if node.get("type") == "integer":
            node.setdefault("minimum", -INT_MAX - 1)
            node.setdefault("maximum", INT_MAX)
        return node
    if isinstance(node, list):
        return [_bounded(v) for v in node]
    return node


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_params(path: str) -> list[str]:
    import re
    return re.findall(r"{(\w+)}", path)


@route("/openapi.json", summary="This description", public=True, errors=())
def openapi_json() -> Any:
    cache = current_app.extensions.setdefault("leanschool_openapi", {})
    if "spec" not in cache:
        cache["spec"] = build_spec()
    return cache["spec"]


__all__ = ["bp", "build_spec"]
