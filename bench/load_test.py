"""Load test on PostgreSQL (issue #16 item 2): a fresh database with the demo region, the
server as production runs it (``leanschool serve --workers N``: gunicorn), locust headless
beside it on the same machine for a fixed time (bench/locustfile.py: members, heads,
curators), then requests/s, p50, p95, p99 per page and the errors.

    pip install -e ".[bench]"     # locust (not needed by the app or its tests)
    .venv/bin/python bench/load_test.py [--users 50] [--spawn-rate 10] [--seconds 60]
        [--workers 4] [--threads 8] [--pg postgresql+psycopg://postgres@127.0.0.1:5432]

Goal (issue #16): 50 concurrent users, 0 errors, p95 under 1 s, at least 60 requests/s on
the 2-core machine with the load generator beside the server. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DB_NAME = "leanschool_load"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(pg: str) -> str:
    from sqlalchemy import create_engine, text
    admin = create_engine(f"{pg}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return f"{pg}/{DB_NAME}"


def accounts(url: str, password: str) -> dict[str, list[dict[str, str]]]:
    """Every active member, head and curator of the demo region (one role each: the first)."""
    from sqlalchemy import create_engine, text
    eng = create_engine(url)
    out: dict[str, list[dict[str, str]]] = {"member": [], "head": [], "curator": []}
    seen: set[str] = set()
    with eng.connect() as c:
        rows = c.execute(text(
            'SELECT u.email, g.role FROM "user" u JOIN role_grant g ON g.user_id = u.id '
            "WHERE u.is_active AND g.role IN ('member', 'head', 'curator') "
            "AND (g.role <> 'curator' OR g.municipality_id IS NULL) ORDER BY u.id")).all()
    eng.dispose()
    for email, role in rows:
        if email not in seen:
            seen.add(email)
            out[role].append({"email": email, "password": password})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--spawn-rate", type=float, default=10)
    ap.add_argument("--seconds", type=int, default=60, help="measured time, after everyone has signed in")
    ap.add_argument("--sign-in-seconds", type=int, default=40, help="time allowed for the sign-ins before it")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--pg", default=os.environ.get("LEANSCHOOL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432"))
    a = ap.parse_args()
    if shutil.which("locust", path=str(BIN)) is None:
        sys.exit('locust is not installed: pip install -e ".[bench]"')

    tmp = Path(tempfile.mkdtemp(prefix="load-"))
    url = fresh_database(a.pg)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test", "LEANSCHOOL_INSTANCE_DIR": str(tmp)}
    t0 = time.monotonic()
    subprocess.run([str(BIN / "leanschool"), "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"demo region loaded into {DB_NAME} in {time.monotonic() - t0:.0f} s")
    from engine.demo.content import content
    people = accounts(url, content().region.password)
    (tmp / "accounts.json").write_text(json.dumps(people), encoding="utf-8")
    print("accounts: " + ", ".join(f"{len(v)} {k}s" for k, v in people.items()))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BIN / "leanschool"), "serve", "--port", str(port), "--workers", str(a.workers),
                               "--threads", str(a.threads)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp / "server.log", "w"))
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        stats = tmp / "stats"
        subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                        "-u", str(a.users), "-r", str(a.spawn_rate), "-t", f"{a.seconds + a.sign_in_seconds}s",
                        "--host", base,
                        "--csv", str(stats), "--only-summary", "--loglevel", "WARNING"],
                       env={**os.environ, "LEANSCHOOL_LOAD_ACCOUNTS": str(tmp / "accounts.json"),
                            "LEANSCHOOL_LOAD_SIGN_INS": str(tmp / "sign_ins.json")},
                       stdout=subprocess.DEVNULL, stderr=open(tmp / "locust.log", "w"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(stats, a)
    sign_ins = sorted(json.loads((tmp / "sign_ins.json").read_text()) if (tmp / "sign_ins.json").exists() else [])
    if sign_ins:
        print(f"sign-ins (before the figures above; production password hashing): {len(sign_ins)}, "
              f"median {sign_ins[len(sign_ins) // 2]:.0f} ms, slowest {sign_ins[-1]:.0f} ms")
    errors = tmp / "stats_failures.csv"
    if errors.exists():
        rows = list(csv.DictReader(errors.open(encoding="utf-8")))
        for r in rows[:10]:
            print(f"  error: {r['Method']} {r['Name']}: {r['Error'][:160]} × {r['Occurrences']}")
    print(f"(server log, locust log and CSV: {tmp})")


def report(stats: Path, a: argparse.Namespace) -> None:
    rows = list(csv.DictReader((stats.parent / f"{stats.name}_stats.csv").open(encoding="utf-8")))
    print(f"\nlocust, {a.users} users (spawn {a.spawn_rate}/s), about {a.seconds} s once all signed in, "
          f"against leanschool serve --workers {a.workers} --threads {a.threads} on PostgreSQL; times in ms")
    print(f"{'request':52} {'count':>6} {'errors':>6} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}")
    for r in rows:
        name = "TOTAL" if r["Name"] == "Aggregated" else f"{r['Type']} {r['Name']}"
        print(f"{name[:52]:52} {r['Request Count']:>6} {r['Failure Count']:>6} {float(r['Requests/s']):6.1f} "
              f"{r['50%']:>6} {r['95%']:>6} {r['99%']:>6}")


if __name__ == "__main__":
    main()
