"""Benchmark of the bulk demo load: the wall time of ``leanschool demo --reset --scale N
[--regions R]`` on a fresh SQLite file and a fresh PostgreSQL database, and the peak
memory (RSS) of the process that loads.

A script, not a test. Each run is the real command in a child process (so its peak RSS
is its own), on the engine's real clock, into a throwaway database (bench/bench_db.py).

    .venv/bin/python bench/demo_bulk_bench.py                       # the issue's three figures
    .venv/bin/python bench/demo_bulk_bench.py --backend sqlite --scale 2000
    .venv/bin/python bench/demo_bulk_bench.py --backend postgresql --scale 10000 --regions 3
    LEANSCHOOL_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432 ...

The issue's target: 10,000 projects in under a minute on both backends.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_db  # noqa: E402  (bench/ is not a package)

LEANSCHOOL = str(Path(sys.executable).with_name("leanschool"))


def run(url: str, scale: int, regions: int) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) of the child, and the line the command ends its load with."""
    env = {**os.environ, "DATABASE_URL": url, "LEANSCHOOL_LOCALE": "ru"}
    args = [LEANSCHOOL, "demo", "--reset", "--scale", str(scale), "--regions", str(regions)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux; the largest child so far
    if done.returncode != 0:
        raise SystemExit(f"leanschool demo failed:\n{done.stdout}\n{done.stderr}")
    if peak <= before:
        print("  (peak RSS: a previous child was larger; run one case at a time for its own figure)")
    ready = next((x for x in done.stdout.splitlines() if x.startswith("Готово")), "")
    return seconds, peak / 1024, ready


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default=None)
    ap.add_argument("--scale", type=int, default=None)
    ap.add_argument("--regions", type=int, default=1)
    args = ap.parse_args()
    cases = ([(args.backend, args.scale or 10_000, args.regions)] if args.backend else
             [("sqlite", 10_000, 1), ("postgresql", 10_000, 1), ("postgresql", 10_000, 3)])
    for backend, scale, regions in cases:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                seconds, rss, ready = run(f"sqlite:///{Path(tmp) / 'demo.db'}", scale, regions)
        else:
            with bench_db.pg_database("ls_demo_bulk_bench") as url:
                seconds, rss, ready = run(url, scale, regions)
        print(f"{backend:<10} --scale {scale} --regions {regions}: {seconds:6.1f} s, "
              f"peak RSS {rss:.0f} MB  [{ready}]", flush=True)


if __name__ == "__main__":
    main()
