"""`make bench`: seed, serve, load, measure, and write the results, the table and the plot.

Usage: .venv/bin/python bench/run.py [--scale small|medium|large] [--reuse] [--skip-exports]
BENCH_SCALE sets the scale too. --reuse keeps the databases seeded by the last run
(bench/results/.seeded-<scale>.json) instead of seeding again.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import common  # first: puts the project root on sys.path
from common import ROOT, bench_app, database_url, fresh_database, libpq_url, postgres_available
from seed import Seeded, Sizes, seed

RESULTS = ROOT / "bench" / "results"

SCALES = {
    # seconds of load per route; responses in the main survey; load surveys (fresh pairs = 300 × this)
    "small": {"seconds": 15, "responses": 20_000, "load_surveys": 10},
    "medium": {"seconds": 30, "responses": 20_000, "load_surveys": 25},
    "large": {"seconds": 60, "responses": 25_000, "load_surveys": 50},  # 25,000 × 40 = 1,000,000 answers
    "smoke": {"seconds": 3, "responses": 2_000, "load_surveys": 2},  # a quick check of the machinery only
}
QUERY_SIZES_FACTOR = 0.1  # the second data size for the queries-per-request check


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def _seeded_path(scale: str) -> Path:
    return RESULTS / f".seeded-{common.BENCH_DB}-{scale}.json"


def prepare(scale: str, backend: str, reuse: bool) -> tuple[Seeded, Seeded, str, str]:
    main_url, tiny_url = database_url(common.BENCH_DB, backend), database_url(common.BENCH_DB + "_tiny", backend)
    cached = _seeded_path(scale)
    if reuse and cached.exists():
        data = json.loads(cached.read_text())
        log("reusing the databases seeded by the last run")
        return Seeded(**data["main"]), Seeded(**data["tiny"]), main_url, tiny_url
    settings = SCALES[scale]
    sizes = Sizes(responses=settings["responses"], load_surveys=settings["load_surveys"])
    log(f"seeding {common.BENCH_DB} ({backend}): {sizes}")
    main = seed(bench_app(fresh_database(common.BENCH_DB, backend)), sizes)
    log(f"seeded in {main.seconds} s: {main.answers:,} answers")
    tiny = seed(bench_app(fresh_database(common.BENCH_DB + "_tiny", backend)), Sizes().scaled(QUERY_SIZES_FACTOR))
    log(f"seeded {common.BENCH_DB}_tiny (factor {QUERY_SIZES_FACTOR}) in {tiny.seconds} s")
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"main": main.as_dict(), "tiny": tiny.as_dict()}))
    return main, tiny, main_url, tiny_url


def http_benchmarks(seeded: Seeded, url: str, seconds: int, workdir: Path) -> dict:
    import http_load
    import write_ceiling
    from serve import Server, workers
    from sessions import comment_bodies, signed_in, submission_bodies

    app = bench_app(url)
    rng = random.Random(11)
    log("signing in the virtual users, writing their forms")
    cookies = signed_in(app, sorted(set(seeded.reader_ids) | set(seeded.submitter_ids)))
    slug = seeded.consultation_slug
    readers = [cookies[uid][0] for uid in seeded.reader_ids]
    pages = {
        "consultation": f"/consultations/{slug}",
        "document": f"/consultations/{slug}/documents/{seeded.document_id}",
        "survey": f"/consultations/{slug}/surveys/{seeded.survey_id}",
    }
    stored_before = _stored_submissions(url, seeded)
    submissions = submission_bodies(app, seeded, cookies, limit=10**9, rng=rng)
    comments = comment_bodies(seeded, cookies, max(2000, seconds * 400), rng)
    log(f"{len(submissions)} fresh submissions and {len(comments)} comments ready")
    connections = 2 * workers()
    threads = 2
    run_args = {"connections": connections, "threads": threads, "seconds": seconds, "workdir": workdir}
    routes: dict[str, dict] = {}
    with Server(url, workdir / "gunicorn.log") as server:
        log(f"gunicorn on {server.base}, {server.workers} workers; wrk {threads} threads, {connections} connections")
        healthz = [("GET", "/healthz", "", "")]
        log("warm-up: every worker renders every page")
        server.warm_up([(path, readers[0]) for path in pages.values()])

        def measure(name: str, requests, expected: int) -> dict:
            timeouts_before = server.worker_timeouts()
            routes[name] = route = http_load.run(server.base, name, requests, expected, **run_args)
            route["drain_seconds"] = round(server.drain(), 1)
            # requests gunicorn gave up on (worker killed after 30 s) while this route ran or drained
            route["worker_timeouts"] = server.worker_timeouts() - timeouts_before
            route["failures"] += route["worker_timeouts"]
            if route["requests"] == 0:
                route["note"] = f"no request completed within {seconds} s"
            log(f"{name}: {routes[name]['requests_per_s']} req/s, p50 {routes[name]['p50_ms']} ms, "
                f"p99 {routes[name]['p99_ms']} ms, failures {routes[name]['failures']}")
            return routes[name]

        lone = {name: server.lone_request_ms(path, readers[1]) for name, path in pages.items()}
        log(f"one request at a time: {lone} ms")
        def adjacent_healthz() -> float:
            """/healthz for a few seconds just before a route: its ratio does not depend on what else the
            machine was doing minutes earlier."""
            ceiling = http_load.run(server.base, "healthz", healthz, 200, **{**run_args, "seconds": 5})
            return ceiling["requests_per_s"]

        measure("healthz", healthz, 200)
        for name, path in pages.items():
            before = adjacent_healthz()
            measure(name, [("GET", path, c, "") for c in readers], 200)
            routes[name]["lone_request_ms"] = lone[name]
            routes[name]["healthz_just_before"] = before
        before = adjacent_healthz()
        measure("survey_submission", [("POST", p, c, b) for p, c, b in submissions], 303)
        routes["survey_submission"]["healthz_just_before"] = before
        # the database ceiling right after, with the app idle: the same conditions as the submissions
        log("bare psycopg write ceiling")
        routes["bare_insert"] = write_ceiling.measure(
            libpq_url(url), seeded.ceiling_survey_id, _submitter_pairs(url, seeded), connections, seconds)
        log(f"bare psycopg: {routes['bare_insert']['requests_per_s']} responses/s")
        before = adjacent_healthz()
        measure("comment_posting", [("POST", p, c, b) for p, c, b in comments], 302)
        routes["comment_posting"]["healthz_just_before"] = before
        measure("healthz_again", healthz, 200)
    routes["survey_submission"]["stored"] = _stored_submissions(url, seeded) - stored_before
    return {"connections": connections, "wrk_threads": threads, "workers": workers(), "seconds": seconds,
            "routes": routes}


def _stored_submissions(url: str, seeded: Seeded) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT count(*) FROM survey_response WHERE status = 'submitted' AND survey_id IN "
            f"({', '.join(str(int(i)) for i in seeded.load_survey_ids)})")).scalar()
    engine.dispose()
    return int(stored)


def _submitter_pairs(url: str, seeded: Seeded) -> list[tuple[int, int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            f"SELECT id, organization_id FROM \"user\" WHERE id IN ({', '.join(map(str, seeded.submitter_ids))})"
        )).all()
    engine.dispose()
    return [(int(a), int(b)) for a, b in rows]


def export_benchmarks(scale: str) -> dict | str:
    """The export part (bench/exports.py, measured by the lead's module) if it exists."""
    path = ROOT / "bench" / "exports.py"
    if not path.exists():
        return "not measured (bench/exports.py does not exist yet)"
    spec = importlib.util.spec_from_file_location("bench_exports", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return module.measure(scale)
    except Exception as problem:
        return f"not measured: {type(problem).__name__}: {problem}"


def machine() -> dict:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": run("psql", "--version"),
        "wrk": (run("wrk", "--version") or "").splitlines()[0] if run("wrk", "--version") else "",
        "load_average_at_start": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "small"), choices=sorted(SCALES))
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop gunicorn on the way out
    started = time.perf_counter()
    scale = options.scale
    backend = "postgresql" if postgres_available() else "sqlite"
    note = None
    if backend == "sqlite":
        note = ("PostgreSQL was not reachable at 127.0.0.1:5432: this run used SQLite, so the numbers do not "
                "describe production and COPY is not available.")
        log("NOTE: " + note)
    result: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "database": backend,
        "note": note,
        "machine": machine(),
    }
    main_seed, tiny_seed, main_url, tiny_url = prepare(scale, backend, options.reuse)
    result["seed"] = {"sizes": main_seed.sizes, "answers": main_seed.answers, "seconds": main_seed.seconds}

    import queries

    log("counting SQL statements per page at two data sizes")
    result["queries"] = {
        "sizes": {"small": tiny_seed.sizes, "full": main_seed.sizes},
        "small": queries.count(tiny_url, tiny_seed),
        "full": queries.count(main_url, main_seed),
    }
    if not options.skip_http:
        # kept after the run: the wrk scripts and the gunicorn log, for a look when something fails
        workdir = Path(tempfile.gettempdir()) / f"consult-bench-{scale}"
        workdir.mkdir(exist_ok=True)
        result["http"] = http_benchmarks(main_seed, main_url, SCALES[scale]["seconds"], workdir)
    if options.skip_exports:
        result["exports"] = "not measured (--skip-exports)"
    else:
        log("exports (bench/exports.py)")
        result["exports"] = export_benchmarks(scale)
    result["seconds"] = round(time.perf_counter() - started, 1)

    import report

    paths = report.write_all(result)
    log(f"done in {result['seconds']} s: " + ", ".join(str(p.relative_to(ROOT)) for p in paths))


if __name__ == "__main__":
    sys.exit(main())
