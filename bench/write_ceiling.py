"""The database's own ceiling for survey submissions: bare psycopg, no app.

Inserts the same rows a submission writes (one survey_response row and one
survey_answer row per question, the same generated values), one transaction
per response, with the same concurrency as the load generator (one process
and one connection per wrk connection), for the same duration.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import time
from datetime import UTC, datetime

import psycopg
from psycopg.types.json import Jsonb
from seed import answer_value

RESPONSE_SQL = (
    "INSERT INTO survey_response (survey_id, owner_key, respondent_id, organization_id, status, version, language, "
    "consent, receipt_number, created_at, last_edited_at, last_edited_by_id, submitted_at) "
    "VALUES (%s, %s, %s, %s, 'submitted', 1, 'en', 'named', %s, %s, %s, %s, %s) RETURNING id"
)
ANSWER_SQL = "INSERT INTO survey_answer (response_id, question_id, value) VALUES (%s, %s, %s)"


def _shape(dsn: str, survey_id: int):
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT q.id, q.question_type, o.code FROM survey_question q LEFT JOIN survey_option o "
            "ON o.question_id = q.id WHERE q.survey_id = %s ORDER BY q.position, o.position", (survey_id,)).fetchall()
    shape: dict[int, tuple[int, str, list[str]]] = {}
    for question_id, question_type, code in rows:
        entry = shape.setdefault(question_id, (question_id, question_type, []))
        if code is not None:
            entry[2].append(code)
    return list(shape.values())


def _worker(args) -> tuple[int, list[float]]:
    dsn, survey_id, shape, users, index, start_at, stop_at = args
    rng = random.Random(index)
    done, latencies = 0, []
    with psycopg.connect(dsn) as connection:
        while time.time() < start_at:
            time.sleep(0.001)
        while time.time() < stop_at:
            began = time.perf_counter()
            user_id, organization_id = users[(index + done * 7) % len(users)]
            now = datetime.now(UTC)
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(RESPONSE_SQL, (survey_id, f"ceiling:{os.getpid()}:{done}", user_id, organization_id,
                                              f"C{os.getpid()}-{done}", now, now, user_id, now))
                response_id = cursor.fetchone()[0]
                cursor.executemany(ANSWER_SQL, [(response_id, question_id, Jsonb(answer_value(kind, codes, rng)))
                                                for question_id, kind, codes in shape])
            done += 1
            latencies.append(time.perf_counter() - began)
    return done, latencies


def measure(dsn: str, survey_id: int, users: list[tuple[int, int]], concurrency: int, seconds: int) -> dict:
    shape = _shape(dsn, survey_id)
    start_at = time.time() + 2
    stop_at = start_at + seconds
    context = multiprocessing.get_context("fork")
    with context.Pool(concurrency) as pool:
        results = pool.map(_worker, [(dsn, survey_id, shape, users, i, start_at, stop_at) for i in range(concurrency)])
    count = sum(done for done, _ in results)
    latencies = sorted(latency for _, values in results for latency in values)

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else 0.0

    return {
        "requests": count,
        "seconds": seconds,
        "requests_per_s": round(count / seconds, 1),
        "answers_per_response": len(shape),
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
        "failures": 0,
        "concurrency": concurrency,
    }
