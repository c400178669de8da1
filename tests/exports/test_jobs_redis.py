"""Background exports on the real local Redis: queued on "exports", run by an RQ worker, then downloaded."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult.exports import jobs
from consult.exports.models import ExportJob
from consult.extensions import db
from tests.exports.test_exports_support import export_url, make_answered_consultation
from tests.helpers import submit

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_queue(app, tmp_path, monkeypatch):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    with app.app_context():
        queue = jobs.export_queue()
    queue.empty()
    yield queue
    queue.empty()
    connection.close()


def the_job(app) -> ExportJob:
    with app.app_context():
        job = db.session.scalars(select(ExportJob)).one()
        db.session.expunge(job)
        return job


def test_a_job_waits_on_the_queue_until_a_worker_runs_it(app, staff_client, redis_queue):
    from rq import SimpleWorker

    data = make_answered_consultation(app)
    response = submit(staff_client, export_url(data, "jobs"), {"kind": "responses", "format": "xlsx"},
                      form_page=export_url(data, ""))
    assert response.status_code == 303
    job = the_job(app)
    assert job.status == "queued"
    assert redis_queue.count == 1
    assert redis_queue.name == "exports"

    waiting = staff_client.get(f"/exports/jobs/{job.token}").get_data(as_text=True)
    assert "Waiting to start" in waiting
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert staff_client.get(f"/exports/jobs/{job.token}/download").status_code == 302

    # The worker runs the job in this process, against the test database (no request is made meanwhile).
    with app.app_context():
        worker = SimpleWorker([redis_queue], connection=redis_queue.connection)
        assert worker.work(burst=True)
    job = the_job(app)
    assert job.status == "done", job.error
    assert job.rows_done == job.rows_total == 3
    assert redis_queue.count == 0

    ready = staff_client.get(f"/exports/jobs/{job.token}").get_data(as_text=True)
    assert "Ready" in ready and 'http-equiv="refresh"' not in ready
    download = staff_client.get(f"/exports/jobs/{job.token}/download")
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(download.get_data()))
    assert workbook.sheetnames == ["Summary", "1 Questionnaire"]


def test_a_job_already_taken_is_not_run_twice(app, staff_client, redis_queue):
    from rq import SimpleWorker

    data = make_answered_consultation(app)
    submit(staff_client, export_url(data, "jobs"), {"kind": "comments", "format": "csv"},
           form_page=export_url(data, ""))
    job = the_job(app)
    with app.app_context():
        jobs.run_job(job.id)
        first = db.session.get(ExportJob, job.id).finished_at
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        assert db.session.get(ExportJob, job.id).finished_at == first


def test_an_unreachable_redis_fails_the_job_with_a_message(app, staff_client, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/14")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    data = make_answered_consultation(app)
    response = submit(staff_client, export_url(data, "jobs"), {"kind": "comments", "format": "csv"},
                      form_page=export_url(data, ""))
    assert response.status_code == 303
    job = the_job(app)
    assert job.status == "failed"
    page = staff_client.get(f"/exports/jobs/{job.token}").get_data(as_text=True)
    assert "The export could not be queued." in page


def test_the_worker_command_needs_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["exports", "worker", "--burst"])
    assert result.exit_code != 0
    assert "Set REDIS_URL" in result.output


def test_the_worker_command_runs_the_queue(app, staff_client, redis_queue):
    data = make_answered_consultation(app)
    submit(staff_client, export_url(data, "jobs"), {"kind": "comments", "format": "json"},
           form_page=export_url(data, ""))
    result = app.test_cli_runner().invoke(args=["exports", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    job = the_job(app)
    assert job.status == "done", job.error
    assert len(staff_client.get(f"/exports/jobs/{job.token}/download").get_json(force=True)["comments"]) == 6
