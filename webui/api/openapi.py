"""The OpenAPI 3 description, built from the route table: request bodies from the same
pydantic schemas the services validate with (engine/schemas.py), answers from the models the
routes answer with (engine/outputs.py), so it cannot drift from the code."""
from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import BaseModel

from engine import outputs as O
from webui.api.blueprint import INT_MAX, ROUTES, bp, route

_S = {"type": "string"}
_I = {"type": "integer"}
REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(model=name)}


def _add(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """One component per name: two different schemas under one name would make one of
    the models lie, so that stops the description from being built."""
    if schemas.setdefault(name, schema) != schema:
        raise ValueError(f"two different schemas are both named {name!r} in the OpenAPI description")


def _add_model(schemas: dict[str, Any], model: type[BaseModel], *, output: bool) -> str:
    """``model``'s JSON Schema (and the models it uses) as components; its name. An output
    model is described as it is serialised (timestamps as strings), an input as validated."""
    schema = model.model_json_schema(ref_template=REF, mode="serialization" if output else "validation")
    if not output:
        schema = _bounded(schema)
    for name, sub in schema.pop("$defs", {}).items():
        _add(schemas, name, sub)
    _add(schemas, model.__name__, schema)
    return model.__name__


OK_TEXT = {200: "OK", 201: "Created", 202: "Accepted, waiting for approval"}
ERROR_TEXT = {400: "Body is not a JSON object", 401: "No or bad token", 403: "In scope, but not allowed",
              404: "No such object, or outside the user's scope", 405: "Method not allowed",
              409: "Conflict: stale version, unavailable trigger, or a request already pending",
              422: "validation_failed (details.fields), gate_failed (details.unmet) or not_publishable",
              500: "Internal error (never expected)"}


def build_spec() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    _add_model(schemas, O.Error, output=True)
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
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _ref(_add_model(schemas, spec.body, output=False))}}}
        for status, model in sorted(spec.responses.items()):
            name = _add_model(schemas, model, output=True)
            op["responses"][str(status)] = _json(f"{OK_TEXT[status]}: {name}", _ref(name))
        if not spec.responses:  # this description itself
            op["responses"][str(spec.ok)] = _json("OK", {"type": "object"})
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
