"""Web UI benchmark (issue 4): server time of the pages on the demo data, SQLite, one
process, through the Flask test client; and the size of the JS + CSS shipped.

    .venv/bin/python bench/web_bench.py [--runs 200]

Targets: organisation board median < 30 ms, region board (all demo projects) < 150 ms,
project page < 40 ms; JS + CSS < 200 KB. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(client, url: str, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def login(client, email: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from engine import demo
    from engine.models import Project
    from webui import create_app

    tmp = Path(tempfile.mkdtemp()) / "bench.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}", "SECRET_KEY": "bench", "TESTING": False})
    store = app.extensions["leanschool"]
    t0 = time.perf_counter()
    accounts = demo.load(store, echo=lambda *_: None)
    print(f"demo loaded in {time.perf_counter() - t0:.1f} s")
    by_role = {a["role"]: a for a in accounts}
    from sqlalchemy import func, select
    member = next(a for a in accounts if "member" in a["email"])
    with store.uow() as uow:
        n_projects = uow.session.execute(select(func.count()).select_from(Project)).scalar_one()
    print(f"projects: {n_projects}")

    head = app.test_client()
    login(head, member["email"], member["password"])
    board_html = head.get("/board").get_data(as_text=True)
    project_id = int(re.search(r'data-project-id="(\d+)"', board_html).group(1))
    curator = app.test_client()
    cur = by_role.get("curator") or next(a for a in accounts if "curator" in a["email"])
    login(curator, cur["email"], cur["password"])

    rows = [("organisation board", head, "/board", 30),
            ("region board (all projects)", curator, "/board", 150),
            ("project page", head, f"/projects/{project_id}", 40),
            ("approvals inbox (head)", head, "/approvals", None),
            ("control tower (curator)", curator, "/tower", None)]
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'target':>8}")
    for name, client, url, target in rows:
        timed(client, url, 5)  # warm up
        median, p95 = timed(client, url, args.runs if target else max(20, args.runs // 10))
        print(f"{name:32} {median:10.1f} {p95:8.1f} {('< ' + str(target)) if target else '':>8}")

    static = ROOT / "webui" / "static"
    files = [*static.glob("*.js"), *static.glob("*.css"), *static.glob("vendor/*.js")]
    size = sum(f.stat().st_size for f in files)
    print(f"JS + CSS shipped: {size / 1024:.1f} KB ({', '.join(f.name for f in files)}); target < 200 KB")


if __name__ == "__main__":
    main()
