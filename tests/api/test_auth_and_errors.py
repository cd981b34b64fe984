"""Authentication, the error envelope and the app-wide behaviour of /api/v1:
401 on every non-public route, 400 on every body, Flask's own 404/405/500 as JSON,
no cookies for bearer requests, revoked tokens, last_used_at."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import ApiToken
from engine.policy import SYSTEM
from engine.services import revoke_tokens
from tests.api.conftest import API, error_of
from webui.api import ROUTES

PROTECTED = [r for r in ROUTES if not r.public]
# the body tests need a role and real ids for each route: those of this issue (the practices
# endpoints have their own tests, tests/api/test_practices_api.py)
# (the practices', the programme's, the defence sessions', the events', training's and the scaling
# campaigns' routes are checked alike in their own files, with their own objects: a curator may act
# on them, so the curator-based checks here do not fit: tests/api/test_defence_api.py,
# test_events_api.py, test_training_api.py, test_campaigns_api.py)
PROGRAMME_PREFIXES = ("/programmes", "/stages", "/stage-tasks", "/participants", "/initiative-members",
                      "/plan-items", "/rounds", "/defence-sessions", "/events", "/courses", "/streams",
                      "/enrolments", "/campaigns", "/campaign-offers", "/editions")
# evaluation editions live under a region too (POST /regions/{id}/editions): their own
# error-order test is tests/api/test_evaluation_api.py
EDITION_PATHS = ("/regions/{region_id}/editions",)
WITH_BODY = [r for r in ROUTES if r.body is not None and "practice" not in r.endpoint
             and not r.path.startswith(PROGRAMME_PREFIXES) and r.path not in EDITION_PATHS]


def _id(r: Any) -> str:
    return f"{r.method} {r.path}"


def _fill(path: str) -> str:
    return re.sub(r"{\w+}", "1", path.replace("{workflow_id}", "psr"))


# --- 401 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", PROTECTED, ids=_id)
def test_every_protected_route_needs_a_token(api, spec):
    r = api.request(spec.method, _fill(spec.path), json={})
    error_of(r, 401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz",
                                    "Token abc", "ls_abc"])
def test_bad_tokens_are_401(api, world, header):
    error_of(api.get("/me", headers={"Authorization": header}), 401, "unauthenticated")


@pytest.mark.parametrize("spec", PROTECTED, ids=_id)
def test_401_comes_first_even_for_unknown_ids_and_bad_bodies(api, spec):
    # an unknown object and a broken body: still 401, the first in the order
    path = _fill(spec.path).replace("/1", "/999999").replace("/psr", "/nope")
    r = api.request(spec.method, path, data="{broken", headers={"Content-Type": "application/json",
                                                                  "Authorization": "Bearer wrong"})
    error_of(r, 401, "unauthenticated")


def test_bearer_scheme_is_case_insensitive(api, member_of_school):
    token = api.token(member_of_school)
    r = api.get("/me", headers={"Authorization": f"bearer {token}"})
    assert r.status_code == 200


def test_openapi_is_public(api):
    r = api.get("/openapi.json")
    assert r.status_code == 200 and r.get_json()["openapi"].startswith("3.1")


def test_revoked_token_is_401(api, store, member_of_school):
    assert api.get("/me", as_=member_of_school).status_code == 200
    with store.uow() as uow:
        assert revoke_tokens(uow, SYSTEM, member_of_school.email) == 1
    error_of(api.get("/me", as_=member_of_school), 401, "unauthenticated")
    # a new token works again
    fresh = api.make.token(member_of_school)
    assert api.get("/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_inactive_user_is_401(api, store, member_of_school):
    from engine.models import User
    assert api.get("/me", as_=member_of_school).status_code == 200
    with store.uow() as uow:
        uow.session.get(User, member_of_school.id).is_active = False
        uow.commit()
    error_of(api.get("/me", as_=member_of_school), 401, "unauthenticated")


def test_last_used_at_is_recorded(api, store, frozen_clock, member_of_school):
    token = api.token(member_of_school)

    def last_used():
        with store.uow() as uow:
            from engine.services.admin import hash_token
            row = uow.session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).scalar_one()
            return row.last_used_at

    assert last_used() is None
    first = frozen_clock.current
    assert api.get("/me", as_=member_of_school).status_code == 200
    assert last_used() == first
    frozen_clock.advance(seconds=30)  # written at most once a minute
    api.get("/me", as_=member_of_school)
    assert last_used() == first
    frozen_clock.advance(minutes=5)
    api.get("/regions", as_=member_of_school)
    assert last_used() == first + timedelta(minutes=5, seconds=30)


def test_a_bearer_request_sets_no_cookie(api, prepared):
    who = prepared.member
    for r in (api.get("/me", as_=who), api.get(prepared.path("/projects/{project_id}"), as_=who),
              api.post(prepared.path("/projects/{project_id}/comments"), who, json={"text": "Хорошо"}),
              api.get("/me"), api.get("/nowhere", as_=who)):
        assert "Set-Cookie" not in r.headers, r.headers
        assert r.headers.get("Cache-Control") == "no-store" or r.status_code == 404


def test_session_cookie_is_ignored_when_a_bad_token_is_sent(api, app, member_of_school):
    # a browser session cannot rescue a wrong bearer token
    with app.test_client() as c:
        with c.session_transaction() as s:
            s["user_id"] = member_of_school.id
        assert c.get(f"{API}/me").status_code == 200
        r = c.get(f"{API}/me", headers={"Authorization": "Bearer wrong"})
        error_of(r, 401, "unauthenticated")


def test_session_of_a_deactivated_user_is_401(api, app, store, member_of_school):
    from engine.models import User
    with app.test_client() as c:
        with c.session_transaction() as s:
            s["user_id"] = member_of_school.id
        assert c.get(f"{API}/me").status_code == 200
        with store.uow() as uow:
            uow.session.get(User, member_of_school.id).is_active = False
            uow.commit()
        error_of(c.get(f"{API}/me"), 401, "unauthenticated")
        error_of(c.post(f"{API}/projects", json={}), 401, "unauthenticated")  # not a CSRF 400


def test_session_requests_need_csrf_for_writes(api, app, world, member_of_school):
    with app.test_client() as c:
        with c.session_transaction() as s:
            s["user_id"] = member_of_school.id
            s["csrf_token"] = "tok"
        body = {"org_id": world.school.id, "title": "T", "problem": "P", "goal": "G"}
        error_of(c.post(f"{API}/projects", json=body), 400, "bad_request")
        r = c.post(f"{API}/projects", json=body, headers={"X-CSRFToken": "tok"})
        assert r.status_code == 201, r.get_json()


def test_messages_follow_the_users_locale(api, store, member_of_school):
    from engine.models import User
    assert error_of(api.get("/projects/999999", as_=member_of_school), 404, "not_found") == {}
    ru = api.get("/projects/999999", as_=member_of_school).get_json()["error"]["message"]
    with store.uow() as uow:
        uow.session.get(User, member_of_school.id).locale = "en"
        uow.commit()
    en = api.get("/projects/999999", as_=member_of_school).get_json()["error"]["message"]
    assert ru == "Объект не найден" and en == "Not found"


# --- 400 on every body ------------------------------------------------------------------------

ADMIN_ROUTES = {"create_region", "create_municipality", "create_organization",
                "deactivate_user", "activate_user", "revoke_role"}
HEAD_ROUTES = {"approve", "reject"}
BAD_BODIES = [("{broken", "application/json"), ("[1, 2]", "application/json"), ("42", "application/json"),
              ('"text"', "application/json"), ("null", "application/json"), ("[]", "application/json"),
              ("title=x", "application/x-www-form-urlencoded"), ("\xff\xfe", "application/json")]


def _who(prepared, spec):
    if spec.endpoint in ADMIN_ROUTES:
        return prepared.admin
    if spec.endpoint in HEAD_ROUTES:
        return prepared.head
    return prepared.member


@pytest.mark.parametrize("spec", WITH_BODY, ids=_id)
def test_every_body_that_is_not_a_json_object_is_400(api, prepared, spec):
    who = _who(prepared, spec)
    for raw, ctype in BAD_BODIES:
        r = api.request(spec.method, prepared.path(spec.path), who, data=raw.encode("latin-1"),
                        headers={"Content-Type": ctype})
        error_of(r, 400, "bad_request")


# routes about the caller's own things only: nothing of theirs is out of scope or forbidden
OWN_ROUTES = {"create_project", "read_notifications"}


@pytest.mark.parametrize("spec", [s for s in WITH_BODY if s.endpoint not in ADMIN_ROUTES | OWN_ROUTES],
                         ids=_id)
def test_404_out_of_scope_comes_before_400(api, prepared, member_of_other_school, spec):
    r = api.request(spec.method, prepared.path(spec.path), member_of_other_school, data=b"{broken",
                    headers={"Content-Type": "application/json"})
    error_of(r, 404, "not_found")


@pytest.mark.parametrize("spec", [s for s in WITH_BODY if s.endpoint not in OWN_ROUTES], ids=_id)
def test_403_comes_before_400(api, prepared, spec):
    # the curator sees the project, but may not log evidence, edit, approve a head's
    # request or administer; an admin may not comment or move cards (a curator may move
    # some cards: which, depends on the trigger in the body, so that 403 follows parsing)
    who = prepared.admin if spec.endpoint in ("post_comment", "post_transition") else prepared.curator
    r = api.request(spec.method, prepared.path(spec.path), who, data=b"{broken",
                    headers={"Content-Type": "application/json"})
    error_of(r, 403, "forbidden")


def test_empty_body_counts_as_an_empty_object(api, prepared):
    r = api.request("POST", "/regions", prepared.admin, data=b"", headers={"Content-Type": "application/json"})
    assert "name" in error_of(r, 422, "validation_failed")["fields"]
    # approve takes an optional comment: an empty body is fine
    r = api.request("POST", prepared.path("/approvals/{request_id}/approve"), prepared.head, data=b"")
    assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize("raw", ['{"value": NaN, "measured_on": "2026-01-01"}',
                                 '{"value": Infinity, "measured_on": "2026-01-01"}',
                                 '{"value": -Infinity, "measured_on": "2026-01-01"}'])
def test_nan_and_infinity_are_not_json(api, prepared, raw):
    r = api.request("POST", prepared.path("/metrics/{metric_id}/measurements"), prepared.member, data=raw.encode(),
                    headers={"Content-Type": "application/json"})
    error_of(r, 400, "bad_request")


def test_a_utf8_bom_is_tolerated(api, prepared):
    r = api.request("POST", prepared.path("/projects/{project_id}/comments"), prepared.member,
                    data='\ufeff{"text": "Привет"}'.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.get_json()


@pytest.mark.parametrize("path,body,field", [
    ("/organizations", {"municipality_id": 2**63, "name": "Школа", "kind": "school"}, "municipality_id"),
    ("/municipalities", {"region_id": 10**30, "name": "Район"}, "region_id"),
    ("/projects", {"org_id": 2**64, "title": "T", "problem": "P", "goal": "G"}, "org_id"),
    ("/projects/{project_id}/actions", {"title": "Шаг", "owner_id": 2**64}, "owner_id"),
    ("/projects/{project_id}/risks", {"title": "Риск", "probability": 1, "impact": 1, "owner_id": -(2**70)},
     "owner_id")])
def test_integers_beyond_the_database_are_422(api, prepared, path, body, field):
    who = prepared.admin if path in ("/organizations", "/municipalities") else prepared.member
    assert field in error_of(api.post(prepared.path(path), who, json=body), 422, "validation_failed")["fields"]


@pytest.mark.parametrize("path,body,field", [
    ("/projects/{project_id}/comments", {"text": "a\u0000b"}, "text"),
    ("/metrics/{metric_id}", {"name": "ВПП\u0000"}, "name"),
    ("/projects/{project_id}", {"version": 1, "milestones": {"tar\u0000get": "2026-10-01"}}, "milestones")])
def test_nul_characters_are_not_a_500(api, prepared, path, body, field):
    # SQLite stores them; PostgreSQL refuses them: 422 naming the field there, never a 500
    method = "POST" if path.endswith("comments") else "PATCH"
    r = api.request(method, prepared.path(path), prepared.member, json=body)
    assert r.status_code in (200, 201, 422), r.get_json()
    if r.status_code == 422:
        assert any(f.startswith(field) for f in error_of(r, 422, "validation_failed")["fields"])


@pytest.mark.parametrize("query", [{"q": "a\u0000"}, {"state": "\u0000"}])
def test_nul_characters_in_the_query_are_not_a_500(api, prepared, query):
    r = api.get("/projects", prepared.member, query=query)
    assert r.status_code in (200, 422), r.get_json()
    if r.status_code == 422:
        assert set(error_of(r, 422, "validation_failed")["fields"]) == set(query)


def test_huge_version_is_refused_not_a_500(api, prepared):
    r = api.patch(prepared.path("/projects/{project_id}"), prepared.member, json={"version": 2**70, "title": "T"})
    assert r.status_code in (409, 422)
    assert r.status_code == 409 or "version" in error_of(r, 422, "validation_failed")["fields"]


def test_unknown_fields_are_named(api, prepared):
    r = api.post(prepared.path("/projects/{project_id}/problems"), prepared.member,
                 json={"description": "d", "waste": "motion", "colour": "red"})
    assert error_of(r, 422, "validation_failed")["fields"] == {"colour": "Неизвестное поле"}


def test_too_large_body_is_refused_as_json(api, app, prepared):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = api.post(prepared.path("/projects/{project_id}/comments"), prepared.member, json={"text": "я" * 2000})
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "bad_request"


# --- Flask's own errors under /api/ ----------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v1/projects/abc", "/api/v1/projects/-1",
                                  "/api/v1/projects/1.5", "/api/v2/projects", "/api/"])
def test_unknown_paths_answer_json_404(api, member_of_school, path):
    error_of(api.get(path, as_=member_of_school), 404, "not_found")
    error_of(api.get(path), 404, "not_found")  # the router answers before authentication


@pytest.mark.parametrize("spec", [r for r in PROTECTED if "{" in r.path and "workflow_id" not in r.path], ids=_id)
@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_ids_beyond_the_database_are_404_not_405_or_500(api, admin, spec, huge):
    path = re.sub(r"{\w+}", str(huge), spec.path)
    error_of(api.request(spec.method, path, admin, json={}), 404, "not_found")
    error_of(api.request(spec.method, path, None, json={}), 401, "unauthenticated")  # 401 first


@pytest.mark.parametrize("method,path", [("DELETE", "/projects/1"), ("PUT", "/projects/1"),
                                         ("GET", "/approvals/1/approve"), ("PATCH", "/projects"),
                                         ("POST", "/me"), ("DELETE", "/openapi.json")])
def test_wrong_methods_answer_json_405(api, member_of_school, method, path):
    r = api.request(method, path, member_of_school)
    error_of(r, 405, "method_not_allowed")
    assert "Allow" in r.headers


def test_pages_outside_the_api_are_not_json(api):
    r = api.get("//no/such/page")
    assert r.status_code == 404 and not r.is_json


@pytest.fixture
def boom_app(db_url):
    from webui import create_app
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "AUTO_MIGRATE": False})

    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/api/v1/_boom", "boom", boom)
    app.add_url_rule("/_boom_page", "boom_page", boom)
    yield app
    app.extensions["leanschool"].dispose()


def test_500_is_json_with_a_reference_and_no_traceback(boom_app, caplog):
    c = boom_app.test_client(use_cookies=False)
    with caplog.at_level("ERROR", logger="leanschool.api"):
        r = c.get("/api/v1/_boom")
    details = error_of(r, 500, "internal_error")
    ref = details["reference"]
    assert len(ref) >= 8 and ref in r.get_json()["error"]["message"]
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "hunter2" not in text and "RuntimeError" not in text
    # the reference is logged with the traceback, so support can find it
    assert any(ref in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_500_outside_the_api_is_a_page_without_traceback(boom_app):
    r = boom_app.test_client(use_cookies=False).get("/_boom_page")
    assert r.status_code == 500 and not r.is_json
    assert "Traceback" not in r.get_data(as_text=True) and "hunter2" not in r.get_data(as_text=True)
