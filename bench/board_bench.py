"""Benchmark of the kanban board over HTTP (issue 12 item 11), side by side with Kanboard.

A script, not a test. It builds a fresh migrated SQLite file with one organisation of 100
cards and one of 500 (the region, organisations and people through the engine's services;
the cards by bulk INSERTs, spread over the five columns, with leaders, a metric, risks and
some waiting requests), starts ``leanschool serve`` (waitress, one process) on it, signs a
member in through the login form and times GET /board: the median of --runs after a
warm-up, and the bytes of the page. Then the demo region (``leanschool demo``'s Oryol data)
and its curator's region board. If Kanboard answers at --kanboard, its board of the same
number of cards is timed by ../shared/peer/kanboard_bench.py in the same sitting, and the
ratio printed (Kanboard's time / ours: above 1 means our board is faster).

    .venv/bin/python bench/board_bench.py [--runs 30] [--sizes 100 500] [--no-demo]
                                          [--kanboard http://127.0.0.1:8181]

Each size is timed twice, each time beside Kanboard: a repeated view of the unchanged board
by one session (the live refresh of an open board, every 20 s: served from the board's
cache), then, apart, the first view after a change (an audit event written before each
view: the board is read afresh, the unchanged cards' HTML still comes from its cache).

Targets (issue 12 item 11): at least 2x faster than Kanboard at 100 and 500 cards, the demo
region board under 60 ms, no more bytes than before (100 cards 148 KB, 500 cards 725 KB).
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import importlib.util
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PEER = ROOT.parent / "shared" / "peer" / "kanboard_bench.py"
PASSWORD = "Bench-board-2026"
STATES = ["diagnose", "target", "implement", "standardise", "sustain"]


# --- the data ------------------------------------------------------------------------------------

def build(url: str, sizes: list[int]) -> dict[int, str]:
    """One organisation per size with that many active cards; returns size -> member's e-mail."""
    from sqlalchemy import insert

    from engine.db import Store
    from engine.models import Metric, Project, Risk, TransitionRequest
    from engine.policy import SYSTEM
    from engine.services import admin as admin_svc
    from engine.workflow import load_dir

    store = Store(url, load_dir(ROOT / "workflows"))
    rng = random.Random(12)
    now = datetime.now(UTC)
    members: dict[int, str] = {}
    with store.uow() as uow:
        region = admin_svc.create_region(uow, SYSTEM, {"name": "Орловская область", "code": "57"})
        mun = admin_svc.create_municipality(uow, SYSTEM, {"region_id": region.id, "name": "г. Орёл"})
        orgs = {}
        for n in sizes:
            org = admin_svc.create_organization(uow, SYSTEM, {"municipality_id": mun.id, "kind": "school",
                                                              "name": f"МБОУ СОШ №{n}"})
            people = [admin_svc.create_user(uow, SYSTEM, {
                "email": f"{role}{n}@bench.ru", "name": name, "password": PASSWORD, "role": role,
                "org_id": org.id}) for role, name in (("member", f"Иванова Анна {n}"), ("head", f"Петров Сергей {n}"))]
            orgs[n] = (org.id, [p.id for p in people])
            members[n] = f"member{n}@bench.ru"
    projects, metrics, risks, requests = [], [], [], []
    pid = 0
    titles = ["Оптимизация процесса питания", "Выдача учебников без очередей", "Справки для родителей за день",
              "Расписание кружков", "Подготовка отчётности классного руководителя", "Дежурство по школе"]
    for n in sizes:
        org_id, people = orgs[n]
        for i in range(n):
            pid += 1
            state = STATES[i % len(STATES)]
            entered = now - timedelta(days=rng.randint(1, 80))
            projects.append({
                "id": pid, "org_id": org_id, "region_id": region.id, "workflow_id": "psr", "workflow_version": 1,
                "reg_number": f"57-B-{pid:05d}", "title": f"{titles[i % len(titles)]} {i + 1}",
                "problem": "Очереди и ожидание", "goal": "Сократить время ожидания вдвое",
                "leader_id": people[i % 2], "milestones": {}, "state": state, "state_entered_at": entered,
                "last_activity_at": entered + timedelta(days=rng.randint(0, 3)), "version": 1,
                "created_at": entered - timedelta(days=10), "created_by": people[0]})
            baseline = rng.uniform(20, 100)
            metrics.append({"project_id": pid, "name": "ВПП", "unit": "мин", "direction": "decrease",
                            "baseline": baseline, "target": baseline * 0.6, "created_at": entered,
                            "latest_value": baseline * rng.uniform(0.6, 1.0) if state != "diagnose" else None,
                            "latest_on": entered.date() if state != "diagnose" else None})
            for _ in range(rng.choice([0, 1, 1, 2])):
                p, imp = rng.randint(1, 5), rng.randint(1, 5)
                risks.append({"project_id": pid, "region_id": region.id, "title": "Риск", "probability": p,
                              "impact": imp, "score": p * imp,
                              "status": rng.choice(["open", "mitigating", "resolved"]), "created_at": entered,
                              "updated_at": entered})
            if i % 9 == 4 and state != "sustain":
                dest = STATES[STATES.index(state) + 1]
                requests.append({"project_id": pid, "trigger": f"to_{dest}", "dest": dest, "approval": "head",
                                 "status": "pending", "requested_by": people[0],
                                 "requested_at": now - timedelta(days=1), "decided_by": None, "decided_at": None})
    with store.engine.begin() as conn:
        for model, rows in ((Project, projects), (Metric, metrics), (Risk, risks), (TransitionRequest, requests)):
            if rows:
                conn.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
    store.engine.dispose()
    return members


# --- our server over HTTP ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, instance: Path) -> Any:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "LEANSCHOOL_INSTANCE_DIR": str(instance)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "leanschool"), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def signed_in(base: str, email: str, password: str) -> Any:
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = op.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    op.open(base + "/login", data=form, timeout=30).read()
    return op


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's own work,
    whatever else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Board:
    """One board to time: a signed-in opener, its URL and (when known) the server's pid."""

    def __init__(self, op: Any, url: str, pid: int | None, before: Any = None):
        self.op, self.url, self.pid, self.before = op, url, pid, before
        self.samples: list[float] = []
        self.size = self.cards = 0
        self.cpu = 0.0

    def get(self, timed: bool) -> None:
        if self.before:
            self.before()  # untimed (a change elsewhere; its CPU counts in the writer, not the server)
        cpu0 = cpu_seconds(self.pid) if self.pid and timed else 0.0
        t0 = time.perf_counter()
        with self.op.open(self.url, timeout=120) as r:
            body = r.read()
            assert r.status == 200 and b'name="password"' not in body, self.url
        if timed:
            self.samples.append((time.perf_counter() - t0) * 1000)
            if self.pid:  # the server answers one GET at a time here: its CPU time is this GET's
                self.cpu += cpu_seconds(self.pid) - cpu0
        self.size = len(body)
        self.cards = body.count(b'data-project-id="') or body.count(b'data-task-id="')

    def figures(self) -> tuple[float, int, float | None]:
        """(median ms, bytes, server CPU ms per GET)."""
        cpu = self.cpu * 1000 / len(self.samples) if self.pid else None
        return statistics.median(self.samples), self.size, cpu


def time_boards(boards: list[Board], runs: int, warmup: int = 3) -> None:
    """GET each board in turn, ``warmup`` times untimed then ``runs`` times timed: boards
    timed side by side share whatever load the machine has."""
    for _ in range(warmup):
        for b in boards:
            b.get(False)
    for _ in range(runs):
        for b in boards:
            b.get(True)


def changer(db_file: Path) -> Any:
    """A change between two views: one audit event written straight into the file (what
    every service writes with a change), so the board's cache must read the board afresh;
    the cards' own HTML stays cached, as after a real change to another board."""
    import sqlite3

    def change() -> None:
        with sqlite3.connect(db_file) as db:
            db.execute("INSERT INTO event (at, kind, payload) VALUES (?, 'updated', '{}')",
                       (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),))
    return change


# --- Kanboard --------------------------------------------------------------------------------------

def load_peer() -> Any:
    spec = importlib.util.spec_from_file_location("kanboard_bench", PEER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def php_pid(url: str) -> int | None:
    """The pid of ``php -S host:port`` serving Kanboard, to read its CPU time (Linux)."""
    hostport = urllib.parse.urlsplit(url).netloc
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and b"php" in cmd[0] and b"-S" in cmd and hostport.encode() in cmd:
            return int(proc.name)
    return None


@contextmanager
def kanboard_board(url: str, tasks: int) -> Any:
    """A Kanboard project of ``tasks`` cards (made by ../shared/peer/kanboard_bench.py, kept
    while we time it, then removed), as a Board; None when Kanboard does not answer."""
    if not PEER.exists():
        print(f"  (no {PEER}: Kanboard left out)")
        yield None
        return
    try:
        urllib.request.urlopen(url + "/?controller=AuthController&action=login", timeout=3).read()
    except OSError:
        yield None
        return
    out = subprocess.run([sys.executable, str(PEER), "--url", url, "--tasks", str(tasks), "--runs", "1",
                          "--warmup", "0", "--keep"], capture_output=True, text=True, timeout=900)
    m = re.search(r"setup: project (\d+),", out.stdout)
    if not m:
        print(f"  (Kanboard: no project: {(out.stdout + out.stderr).strip()[-300:]})")
        yield None
        return
    peer = load_peer()
    op = peer.web_session(url, "admin", "admin")
    try:
        yield Board(op, f"{url}/?controller=BoardViewController&action=show&project_id={m.group(1)}", php_pid(url))
    finally:
        html = op.open(url + "/?controller=ConfigController&action=api", timeout=60).read().decode()
        token = re.search(r"<strong>([0-9a-f]{20,})</strong>", html)
        if token:
            peer.RPC(url, "jsonrpc", token.group(1)).call("removeProject", project_id=int(m.group(1)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    ap.add_argument("--no-demo", action="store_true", help="leave out the demo region board")
    ap.add_argument("--kanboard", default="http://127.0.0.1:8181", help="Kanboard's URL ('' to skip it)")
    a = ap.parse_args()
    kanboard_url = a.kanboard.rstrip("/")

    tmp = Path(tempfile.mkdtemp(prefix="board-bench-"))
    url = f"sqlite:///{tmp / 'board.db'}"
    from webui import create_app
    create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})  # migrates the new file
    members = build(url, a.sizes)
    Row = tuple[str, tuple[float, int, float | None], tuple[float, int, float | None] | None]
    rows: list[Row] = []
    with server(url, tmp) as (base, pid):
        for n in a.sizes:
            ours = Board(signed_in(base, members[n], PASSWORD), base + "/board", pid)
            with kanboard_board(kanboard_url, n) if kanboard_url else nullcontext() as theirs:
                time_boards([ours] + ([theirs] if theirs else []), a.runs)
                assert ours.cards == n, (n, ours.cards)
                rows.append((f"{n} cards (organisation board)", ours.figures(),
                             theirs.figures() if theirs else None))
                # then, apart (a change would make the repeated views above first views too),
                # the first view after a change, beside Kanboard again
                cold = Board(signed_in(base, members[n], PASSWORD), base + "/board", pid, changer(tmp / "board.db"))
                again = Board(theirs.op, theirs.url, theirs.pid) if theirs else None
                time_boards([cold] + ([again] if again else []), a.runs)
                rows.append((f"{n} cards, after a change", cold.figures(), again.figures() if again else None))
    if not a.no_demo:
        demo_url = f"sqlite:///{tmp / 'demo.db'}"
        from engine import demo
        app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "bench"})
        accounts = demo.load(app.extensions["leanschool"], echo=lambda *_: None)
        app.extensions["leanschool"].engine.dispose()
        curator = next(x for x in accounts if x["role"] == "curator")
        with server(demo_url, tmp) as (base, pid):
            ours = Board(signed_in(base, curator["email"], curator["password"]), base + "/board", pid)
            time_boards([ours], a.runs)
            rows.append((f"demo region board ({ours.cards} cards)", ours.figures(), None))

    def cpu(x: float | None) -> str:
        return f"{x:8.1f}" if x is not None else f"{'-':>8}"

    print(f"\nboard over HTTP (waitress, SQLite; Kanboard: php -S), median of {a.runs} after 3 warm-up runs,")
    print("the two boards of a size fetched in turn (same load); ms: wall clock of a GET; CPU: the server's")
    print("CPU time per GET (its own work, whatever else the machine does); ratio: Kanboard's / ours")
    print(f"{'board':36} {'ms':>7} {'CPU ms':>8} {'KB':>6} | {'Kanboard':>8} {'CPU ms':>8} {'KB':>6} | "
          f"{'ratio ms':>8} {'ratio CPU':>9}")
    for name, (ms, size, c), peer in rows:
        line = f"{name:36} {ms:7.1f} {cpu(c)} {size / 1024:6.0f} | "
        if peer:
            pms, psize, pc = peer
            ratio_cpu = f"{pc / c:8.1f}x" if pc and c else f"{'-':>9}"
            line += f"{pms:8.1f} {cpu(pc)} {psize / 1024:6.0f} | {pms / ms:7.1f}x {ratio_cpu}"
        else:
            line += f"{'-':>8} {'-':>8} {'-':>6} | {'-':>8} {'-':>9}"
        print(line)
    if kanboard_url and all(r[2] is None for r in rows):
        print(f"(Kanboard did not answer at {kanboard_url}: absolute figures only; see ../shared/peer/README.md)")


if __name__ == "__main__":
    main()
