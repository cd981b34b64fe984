"""Load test of Lean School with locust (issue #16 item 2): members, heads and curators of
the demo region working as they do, through the pages a browser asks for and the JSON API
the pages' scripts call (with the session and its CSRF token, as htmx does).

Run it through bench/load_test.py (it builds the database, starts ``leanschool serve``,
writes the accounts file and prints the figures). By hand:

    LEANSCHOOL_LOAD_ACCOUNTS=accounts.json locust -f bench/locustfile.py --headless \\
        -u 50 -r 10 -t 60s --host http://127.0.0.1:5000

The accounts file: ``{"member": [{"email", "password"}], "head": [...], "curator": [...]}``.

The mix, per person (weights inside each class): a member mostly looks at the board and
cards, comments, and asks for the next stage when its gate holds; a head also reads the
approvals inbox, approves what waits and sends a card back a stage with a comment (which
keeps cards moving for the members); a curator reads the control tower, the region's board
and cards, and downloads the summary and the projects list. A refused move (a gate not met,
a card changed or already waiting: 409/422) is a right answer under contention, counted
under its own name, not as an error; anything else that is not 2xx is an error.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from typing import Any

from locust import HttpUser, between, events, task

ACCOUNTS: dict[str, list[dict[str, str]]] = json.loads(
    open(os.environ.get("LEANSCHOOL_LOAD_ACCOUNTS", "accounts.json"), encoding="utf-8").read())
_next = {role: itertools.cycle(people) for role, people in ACCOUNTS.items() if people}
_lock = threading.Lock()
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CARD = re.compile(r'data-project-id="(\d+)"')

# Signing in hashes the password at the production cost (and the demo's cheap hashes are
# upgraded at the first sign-in): fifty people signing in at once is its own scene. The
# figures start once everyone is in (the stats are reset then); the sign-ins are written
# to SIGN_INS for the runner to report apart.
SIGN_INS: list[float] = []
_signed_in = [0]


@events.test_stop.add_listener
def _write_sign_ins(environment: Any, **_: Any) -> None:
    path = os.environ.get("LEANSCHOOL_LOAD_SIGN_INS")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(SIGN_INS, f)


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.2, 1.0)  # a busy person clicking through; 50 of them make ~60 requests/s

    def on_start(self) -> None:
        with _lock:
            account = next(_next[self.role])
        import time
        t0 = time.perf_counter()
        page = self.client.get("/login", name="/login").text
        token = FORM_CSRF.search(page)
        self.client.post("/login", name="/login (POST)", data={
            "email": account["email"], "password": account["password"],
            "csrf_token": token.group(1) if token else ""})
        with _lock:
            SIGN_INS.append((time.perf_counter() - t0) * 1000)
            _signed_in[0] += 1
            everyone = _signed_in[0] == self.environment.parsed_options.num_users
        if everyone:
            self.environment.stats.reset_all()
        self.csrf = ""
        self.cards: list[int] = []
        self.board()

    # --- what everyone does -------------------------------------------------------------------

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as r:
            if r.status_code != 200 or 'name="password"' in r.text:
                r.failure(f"{r.status_code} (signed out?)")
                return ""
            m = CSRF.search(r.text)
            if m:
                self.csrf = m.group(1)
            return str(r.text)

    def api(self, method: str, path: str, name: str, body: dict[str, Any] | None = None,
            ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        """A JSON API call with the session's CSRF token; 409/422 are named «refused»."""
        with self.client.request(method, path, name=name, json=body, catch_response=True,
                                 headers={"X-CSRFToken": self.csrf, "Accept": "application/json"}) as r:
            if r.status_code in ok:
                return r.json()
            if r.status_code in (409, 422):
                r.success()
                r.request_meta["name"] = f"{name} (refused)"
                return None
            r.failure(f"{r.status_code}: {r.text[:200]}")
            return None

    @task(5)
    def board(self) -> None:
        html = self.page("/board", "/board")
        found = [int(x) for x in CARD.findall(html)]
        if found:
            self.cards = found

    @task(3)
    def card_page(self) -> None:
        if self.cards:
            self.page(f"/projects/{random.choice(self.cards)}", "/projects/[id]")

    @task(1)
    def board_refresh(self) -> None:
        """The live refresh of an open board (htmx, every 20 s)."""
        with self.client.get("/board", name="/board (refresh)", headers={"HX-Request": "true"},
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))

    def forward(self, project_id: int) -> None:
        """Ask for the next stage when the gate holds (the card page's form does the same)."""
        p = self.api("GET", f"/api/v1/projects/{project_id}", "/api/v1/projects/[id]")
        if not p or p.get("pending_request"):
            return
        for t in p.get("available_transitions", []):
            if not t["unmet"] and not t["comment_required"]:
                self.api("POST", f"/api/v1/projects/{project_id}/transitions",
                         "/api/v1/projects/[id]/transitions (forward)",
                         {"trigger": t["trigger"], "version": p["version"], "comment": "Готово к следующему этапу"})
                return


class Member(Person):
    role = "member"
    weight = 6

    @task(1)
    def comment(self) -> None:
        if self.cards:
            self.api("POST", f"/api/v1/projects/{random.choice(self.cards)}/comments", "/api/v1/projects/[id]/comments",
                     {"text": "Обсудили на планёрке, сроки сохраняем."})

    @task(1)
    def ask_to_move(self) -> None:
        if self.cards:
            self.forward(random.choice(self.cards))

    @task(1)
    def notifications(self) -> None:
        self.page("/notifications", "/notifications")


class Head(Person):
    role = "head"
    weight = 3

    @task(2)
    def inbox(self) -> None:
        self.page("/approvals", "/approvals")

    @task(2)
    def approve(self) -> None:
        waiting = self.api("GET", "/api/v1/approvals?status=pending", "/api/v1/approvals?status=pending")
        if waiting and waiting["items"]:
            req = random.choice(waiting["items"])
            self.api("POST", f"/api/v1/approvals/{req['id']}/approve", "/api/v1/approvals/[id]/approve",
                     {"comment": "Согласовано"})

    @task(1)
    def send_back(self) -> None:
        if not self.cards:
            return
        project_id = random.choice(self.cards)
        p = self.api("GET", f"/api/v1/projects/{project_id}", "/api/v1/projects/[id]")
        if not p or p.get("pending_request"):
            return
        back = [t for t in p.get("available_transitions", []) if t["comment_required"] and t["dest"] != "cancelled"
                and not t["unmet"]]
        if back:
            self.api("POST", f"/api/v1/projects/{project_id}/transitions", "/api/v1/projects/[id]/transitions (back)",
                     {"trigger": back[0]["trigger"], "version": p["version"],
                      "comment": "Вернуть: уточнить карту текущего состояния"})

    @task(1)
    def own_move(self) -> None:
        if self.cards:
            self.forward(random.choice(self.cards))


class Curator(Person):
    role = "curator"
    weight = 1

    @task(4)
    def tower(self) -> None:
        self.page("/tower", "/tower")

    @task(1)
    def summary(self) -> None:
        with self.client.get("/tower/summary.xlsx", name="/tower/summary.xlsx", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))

    @task(1)
    def projects_csv(self) -> None:
        with self.client.get("/projects.csv", name="/projects.csv", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))
