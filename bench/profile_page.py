"""Profile one page (or the survey submission) in-process with pyinstrument, on the seeded bench database.

Usage: .venv/bin/python bench/profile_page.py [consultation|document|survey|submission|comment] [requests] [--html FILE]
Needs a seeded database (run `make bench` once, or bench/run.py --scale smoke).
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import common
from common import bench_app, database_url
from pyinstrument import Profiler
from run import _seeded_path
from seed import Seeded
from sessions import comment_bodies, signed_in, submission_bodies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page", choices=["consultation", "document", "survey", "submission", "comment"])
    parser.add_argument("requests", type=int, nargs="?", default=5)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--html")
    options = parser.parse_args()
    cached = _seeded_path(options.scale)
    if not cached.exists():
        sys.exit(f"{cached} is missing: seed first (bench/run.py --scale {options.scale})")
    seeded = Seeded(**json.loads(cached.read_text())["main"])
    backend = "postgresql" if common.postgres_available() else "sqlite"
    app = bench_app(database_url(common.BENCH_DB, backend))
    users = seeded.reader_ids[:options.requests] + seeded.submitter_ids[-options.requests:]
    cookies = signed_in(app, sorted(set(users)))
    slug = seeded.consultation_slug
    paths = {"consultation": f"/consultations/{slug}",
             "document": f"/consultations/{slug}/documents/{seeded.document_id}",
             "survey": f"/consultations/{slug}/surveys/{seeded.survey_id}"}
    rng = random.Random(5)
    if options.page in paths:
        calls = [("GET", paths[options.page], cookies[uid][0], None) for uid in seeded.reader_ids[:options.requests]]
        expected = 200
    elif options.page == "submission":
        subset = Seeded(**{**seeded.as_dict(), "submitter_ids": seeded.submitter_ids[-options.requests:],
                           "load_survey_ids": seeded.load_survey_ids[-1:]})
        calls = [("POST", p, c, b) for p, c, b in submission_bodies(app, subset, cookies, options.requests, rng)]
        expected = 303
    else:
        subset = Seeded(**{**seeded.as_dict(), "reader_ids": seeded.reader_ids[:options.requests]})
        calls = [("POST", p, c, b) for p, c, b in comment_bodies(subset, cookies, options.requests, rng)]
        expected = 302
    def call(method: str, path: str, cookie: str, body: str | None) -> int:
        client = app.test_client()  # no cookie jar carried over: each request is its own virtual user, as in wrk
        client.set_cookie("session", cookie, domain="localhost")
        return client.open(path, method=method, data=body, content_type="application/x-www-form-urlencoded",
                           environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code

    call(*calls[0])  # warm-up: per-process caches and compiled templates
    profiler = Profiler(interval=0.0005)
    statuses = []
    profiler.start()
    for method, path, cookie, body in calls[1:]:
        statuses.append(call(method, path, cookie, body))
    profiler.stop()
    print(f"statuses: {statuses} (expected {expected})")
    if options.html:
        with open(options.html, "w", encoding="utf-8") as out:
            out.write(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
