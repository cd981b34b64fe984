"""Several server processes on one PostgreSQL database share everything that must be
shared (issue #16 item 1): two ``leanschool serve --workers 2`` (gunicorn) servers, each
its own processes, one database. A sign-in throttle counted through one holds at the
other, a session ended through one is ended at the other, and a move made through one is
seen by the other at once (and makes the other refuse a stale version).

Marked slow: each server takes a second or two to start."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest

from engine.db import Store, migrate
from tests.api.conftest import add_diagnosis
from tests.conftest import BACKEND, PASSWORD, Factory, create_pg_database, drop_pg_database
from tests.engine.test_scheduler import cli_env, leanschool

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not BACKEND.startswith("postgres"), reason="several servers: PostgreSQL")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies are per host, not per port: one browser's cookie goes to both servers."""

    def __init__(self) -> None:
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), NoRedirect())

    def open(self, url: str, data: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, method: str | None = None,
             body: bytes | None = None) -> tuple[int, dict[str, str], str]:
        payload = urlencode(data).encode() if data is not None else body
        req = Request(url, data=payload, headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read().decode()
        except HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def csrf(self, url: str) -> str:
        status, _, page = self.open(url)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, (status, page[:300])
        return found.group(1)

    def sign_in(self, base: str, email: str, password: str) -> tuple[int, str]:
        token = self.csrf(f"{base}/login")
        status, _, page = self.open(f"{base}/login", {"email": email, "password": password, "csrf_token": token})
        return status, page


@dataclass
class Servers:
    a: str
    b: str
    store: Store
    make: Factory
    world: dict[str, Any]

    def api(self, base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _, text = Browser().open(f"{base}/api/v1{path}", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"}, method=method,
            body=json.dumps(body).encode() if body is not None else None)
        return status, json.loads(text) if text else None


def start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([leanschool(), "serve", "--workers", "2", "--threads", "4", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_up(proc: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if Browser().open(f"{base}/login")[0] == 200:
                return
        except (URLError, ConnectionError):
            pass
        if proc.poll() is not None:
            raise AssertionError(f"the server stopped: {proc.stderr.read() if proc.stderr else ''}")
        assert time.monotonic() < deadline, "the server did not start in 60 s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, workflows: Any) -> Iterator[Servers]:
    name = f"ls_h_ops_workers_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = create_pg_database(name)
    migrate(url)
    store = Store(url, workflows)
    make = Factory(store)
    region = make.region("Орловская область")
    school = make.org(make.municipality(region, "г. Орёл"))
    world = {"school": school, "member": make.person("member", org=school),
             "head": make.person("head", org=school)}
    tmp = tmp_path_factory.mktemp("workers")
    env = dict(cli_env(tmp, url), SECRET_KEY="one-key-for-every-worker-" + uuid.uuid4().hex, AUTO_MIGRATE="false")
    ports = free_port(), free_port()
    procs = [start(env, port) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for proc, base in zip(procs, bases, strict=True):
            wait_up(proc, base)
        yield Servers(bases[0], bases[1], store, make, world)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                assert proc.wait(30) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()
                if proc.stderr:
                    proc.stderr.close()
        store.dispose()
        drop_pg_database(name)


def test_failed_sign_ins_counted_through_one_server_throttle_the_other(servers):
    school = servers.world["school"]
    target = servers.make.person("member", org=school, email="throttled@lyceum.ru")
    browser = Browser()
    for base in (servers.a, servers.b, servers.a, servers.b, servers.a):  # five failures, both servers
        status, page = browser.sign_in(base, target.email, "wrong-password")
        assert status == 401 and "Неверный адрес электронной почты или пароль" in page, page[:200]
    # the right password, through the other server, still has to wait
    status, page = Browser().sign_in(servers.b, target.email, PASSWORD)
    assert status == 401 and "Слишком много неудачных попыток входа" in page
    status, page = Browser().sign_in(servers.a, target.email, PASSWORD)
    assert status == 401 and "Слишком много неудачных попыток входа" in page
    # another account from the same address signs in
    other = servers.make.person("member", org=school, email="colleague@lyceum.ru")
    assert Browser().sign_in(servers.b, other.email, PASSWORD)[0] == 302


def test_a_session_ended_through_one_server_is_ended_at_the_other(servers):
    member = servers.world["member"]
    browser = Browser()
    assert browser.sign_in(servers.a, member.email, PASSWORD)[0] == 302
    assert browser.open(f"{servers.b}/board")[0] == 200  # the cookie signed by one is good at the other
    copied = Browser()
    for cookie in browser.jar:
        copied.jar.set_cookie(cookie)
    assert copied.open(f"{servers.a}/board")[0] == 200

    token = browser.csrf(f"{servers.b}/password")
    status, headers, _ = browser.open(f"{servers.b}/logout", {"csrf_token": token})
    assert status == 302 and headers["Location"].endswith("/login")
    for base in (servers.a, servers.b):  # the copy of the old cookie is signed out everywhere
        status, headers, _ = copied.open(f"{base}/board")
        assert status == 302 and "/login" in headers["Location"]


def test_a_move_through_one_server_is_seen_by_the_other_at_once(servers):
    member, head = servers.world["member"], servers.world["head"]
    project = servers.make.project(servers.world["school"], member.actor, title="Перемена без очередей")
    member_token, head_token = servers.make.token(member), servers.make.token(head)

    class OverHttp:  # add_diagnosis's client, on server A
        def ok(self, method: str, path: str, who: Any, body: Any) -> Any:
            status, answer = servers.api(servers.a, member_token, method, path, body)
            assert status == 201, answer
            return answer

    add_diagnosis(OverHttp(), project.id, member)  # type: ignore[arg-type]
    status, seen = servers.api(servers.b, head_token, "GET", f"/projects/{project.id}")
    assert status == 200 and seen["state"] == "diagnose" and seen["version"] == 1

    status, moved = servers.api(servers.a, head_token, "POST", f"/projects/{project.id}/transitions",
                                {"trigger": "to_target", "version": 1})
    assert status == 200 and moved["project"]["state"] == "target"
    for base in (servers.b, servers.a, servers.b):
        status, seen = servers.api(base, member_token, "GET", f"/projects/{project.id}")
        assert (seen["state"], seen["version"]) == ("target", 2)
    # the other server refuses the version the first one just replaced
    status, answer = servers.api(servers.b, head_token, "POST", f"/projects/{project.id}/transitions",
                                 {"trigger": "back_to_diagnose", "version": 1, "comment": "Вернуть"})
    assert status == 409 and answer["error"]["code"] == "conflict"


def test_metrics_add_up_every_worker_of_a_server(servers):
    for _ in range(20):
        Browser().open(f"{servers.a}/healthz")
    _, _, text = Browser().open(f"{servers.a}/metrics")
    name = "leanschool_http_request_duration_seconds_count{"
    counts = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith(name) and 'endpoint="ops.healthz"' in line]
    assert sum(counts) == 20, text[:2000]
    assert "leanschool_database_up 1.0" in text
