"""Serving benchmark (issue 16 item 1): the same read mix against ``leanschool serve
--workers 1`` (waitress, one process) and ``--workers N`` (gunicorn), on the Oryol demo on
PostgreSQL; prints requests/s, p50 and p95 per page and errors. Asserts nothing.

    .venv/bin/python bench/serve_workers_bench.py [--workers 1 4] [--clients 16] [--seconds 20]

The load generator is a thread pool in this process, on the same machine: on 2 cores it
competes with the server, so the figures are a floor, not the capacity (the locust test of
item 2 is the real load test). The mix: the member's board page (signed-in session), the
project list of the API, a project card of the API and the region's tower (curator token).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
LEANSCHOOL = str(Path(sys.executable).parent / "leanschool")
PG = os.environ.get("LEANSCHOOL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DB = "ls_bench_serve_workers"


def run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([LEANSCHOOL, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str]) -> None:
    from sqlalchemy import create_engine, text
    eng = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
    eng.dispose()
    t0 = time.perf_counter()
    run("demo", env=env)
    print(f"demo loaded in {time.perf_counter() - t0:.0f} s")


def session_opener(base: str, email: str, password: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    opener.open(f"{base}/login", urlencode({"email": email, "password": password,
                                           "csrf_token": token}).encode()).read()
    return opener


def measure(base: str, tokens: dict[str, str], clients: int, seconds: float) -> None:
    def api(path: str, who: str) -> tuple[str, urllib.request.Request]:
        return path, urllib.request.Request(f"{base}/api/v1{path}", headers={"Authorization": f"Bearer {tokens[who]}"})

    first = json.loads(urllib.request.urlopen(api("/projects?limit=1", "member")[1]).read())["items"][0]["id"]
    region = json.loads(urllib.request.urlopen(api("/regions", "curator")[1]).read())["items"][0]["id"]
    mix = [api("/projects?limit=50", "member"), api(f"/projects/{first}", "member"),
           api(f"/regions/{region}/tower", "curator")]
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    # signed in before the clock starts (a sign-in is 0.5 s of scrypt)
    openers = [session_opener(base, "member@demo.leanschool.ru", "demo2026") for _ in range(clients)]

    def client(n: int) -> None:
        board = openers[n]
        i = n
        while time.monotonic() < stop:
            i += 1
            kind = i % 4
            t0 = time.perf_counter()
            try:
                if kind == 3:
                    name = "/board (page)"
                    board.open(f"{base}/board").read()
                else:
                    name, req = mix[kind]
                    urllib.request.urlopen(req, timeout=60).read()
                ok = True
            except (urllib.error.URLError, OSError):
                ok = False
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                if ok:
                    samples[name].append(ms)
                else:
                    errors[name] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    stop = time.monotonic() + seconds
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    total = sum(len(v) for v in samples.values())
    print(f"  {total / elapsed:6.1f} requests/s, {sum(errors.values())} errors, {clients} clients, {elapsed:.0f} s")
    for name in sorted(samples):
        v = sorted(samples[name])
        print(f"    {name:<32} n={len(v):5d}  p50 {statistics.median(v):7.1f} ms  "
              f"p95 {v[int(len(v) * 0.95) - 1]:7.1f} ms  errors {errors[name]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="leanschool-bench-")
    env = dict(os.environ, DATABASE_URL=f"{PG}/{DB}", LEANSCHOOL_INSTANCE_DIR=tmp, SECRET_KEY="bench",
               AUTO_MIGRATE="false", PYTHONUNBUFFERED="1")
    prepare(env)
    tokens = {who: run("token", "create", f"{who}@demo.leanschool.ru", env=env).strip().splitlines()[-1]
              for who in ("member", "curator")}
    print(f"machine: {os.cpu_count()} cores; PostgreSQL; Oryol demo")
    for workers in args.workers:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([LEANSCHOOL, "serve", "--workers", str(workers), "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/login", timeout=5).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            label = "waitress, 1 process × 8 threads" if workers == 1 else f"gunicorn, {workers} workers × 8 threads"
            print(f"serve --workers {workers} ({label}):")
            measure(base, tokens, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(60)


if __name__ == "__main__":
    main()
