"""Schemathesis over /api/v1/openapi.json against the WSGI app: generated requests (valid
and invalid by the schema) with a real token, at real ids and at generated ones. No
answer may be a 500, and every answer must conform to the description (documented
status, JSON content type, body fitting the documented schema); invalid data must be
rejected with a 4xx.

Bounded: EXAMPLES per operation and mode, no example database, derandomized (the same
cases every run), so the whole module stays well under a minute.
"""
from __future__ import annotations

import os
import typing

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from webui.api import ROUTES

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("LEANSCHOOL_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# who calls what: the role that may do it, so the requests reach the services' validation
ADMIN_OPS = {"create_region", "create_municipality", "create_organization",
             "deactivate_user", "activate_user", "revoke_role"}
HEAD_OPS = {"approve", "reject", "list_approvals", "post_transition"}
CURATOR_OPS = {"region_tower", "publish_practice", "patch_practice", "withdraw_practice",
               "create_dissemination_event", "patch_dissemination_event"}


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def _who(prepared, operation_id):
    if operation_id in ADMIN_OPS:
        return prepared.admin
    if operation_id in HEAD_OPS:
        return prepared.head
    if operation_id in CURATOR_OPS:
        return prepared.curator
    return prepared.member


BODIES = {r.endpoint: r.body for r in ROUTES if r.body is not None}


def _numeric_kinds(annotation) -> set[type]:
    return {a for a in (typing.get_args(annotation) or (annotation,)) if a in (int, float)}


def _lenient(case) -> bool:
    """Where the services accept what the JSON Schema refuses, a negative case is not held
    against the API: strings are trimmed before their length is checked (a 21-character
    code with a leading space is fine), and engine/schemas.py validates in pydantic's lax
    mode, so "12" and 2.0 pass as numbers (JSON true/false are refused: test_booleans_are_not_numbers)."""
    model = BODIES.get(case.operation.definition.raw.get("operationId"))
    if model is None or not isinstance(case.body, dict):
        return False
    for name, value in case.body.items():
        if isinstance(value, str) and value != value.strip():
            return True
        field = model.model_fields.get(name)
        kinds = _numeric_kinds(field.annotation) if field else set()
        if kinds and (isinstance(value, (bool, str)) or (int in kinds and float not in kinds and
                                                         isinstance(value, float) and value.is_integer())):
            return True
    return False


def _fuzz(operation, headers, mode, path_parameters=None):
    # the token is fixed (not generated, not negated): the run is about what follows authentication
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None,
                                     headers=headers or None)

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, print_blob=False,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        lax = mode == GenerationMode.NEGATIVE and _lenient(case)
        case.validate_response(response, checks=[c for c in CHECKS if not (lax and c is negative_data_rejection)],
                               headers=headers)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "details"}, error

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_fuzz_at_real_ids(api, schema, prepared, mode):
    """Path ids are the prepared world's, so generated bodies and queries reach the services."""
    unsatisfiable: list[str] = []
    ran = 0
    for operation in _operations(schema):
        op_id = operation.definition.raw["operationId"]
        headers = api.headers(_who(prepared, op_id)) if op_id != "openapi_json" else {}
        params = {p.name: prepared.ids[p.name] for p in operation.path_parameters if p.name in prepared.ids}
        if mode == GenerationMode.NEGATIVE:
            if not (len(operation.query) or len(operation.body) or (params and op_id != "get_workflow")):
                continue  # nothing but the fixed token, or a string in the path: nothing to make invalid
            params = None  # let the negative mode break path parameters as well
        ran += 1
        try:
            _fuzz(operation, headers, mode, params)
        except Unsatisfiable:
            # no request can break this schema (a string path parameter, say)
            assert mode == GenerationMode.NEGATIVE, operation.label
            unsatisfiable.append(operation.label)
    assert unsatisfiable == [], unsatisfiable
    assert ran >= 20, ran


def test_fuzz_at_generated_ids_as_admin(api, schema, prepared):
    """Everything generated, as the admin who sees everything."""
    headers = api.headers(prepared.admin)
    for operation in _operations(schema):
        _fuzz(operation, headers, GenerationMode.POSITIVE)
