"""Background exports without Redis: prepared at once, followed on a page, downloaded by the person who asked only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult.exports import jobs
from consult.exports.models import ExportJob
from consult.extensions import db
from consult.i18n import utcnow
from tests.exports.test_exports_support import export_url, make_answered_consultation
from tests.helpers import count, submit
from tests.surveys.factories import create_survey


@pytest.fixture(autouse=True)
def exports_in_a_temporary_folder(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


@pytest.fixture
def data(app):
    return make_answered_consultation(app)


def ask(client, data, **fields):
    return submit(client, export_url(data, "jobs"), fields, form_page=export_url(data, ""))


def the_job(app) -> ExportJob:
    with app.app_context():
        job = db.session.scalars(select(ExportJob)).one()
        db.session.expunge(job)
        return job


def test_a_job_runs_at_once_without_redis_and_only_its_requester_downloads_it(app, staff_client, client_as, client,
                                                                                data, exports_in_a_temporary_folder):
    response = ask(staff_client, data, kind="comments", format="csv", status="published", lang="fr")
    assert response.status_code == 303
    job = the_job(app)
    assert response.headers["Location"].endswith(f"/exports/jobs/{job.token}")
    assert len(job.token) >= 40
    assert (job.requested_by_id, job.kind, job.format, job.status) == (staff_client.user.id, "comments", "csv", "done")
    assert job.options["filters"] == {"status": ["published"]}
    assert job.rows_total == job.rows_done == 3  # published: general, on a paragraph, confidential
    assert abs((job.expires_at - job.created_at) - timedelta(hours=24)) < timedelta(seconds=5)
    assert (exports_in_a_temporary_folder / "exports" / f"{job.token}.csv").is_file()

    page = staff_client.get(f"/exports/jobs/{job.token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ready" in text and 'http-equiv="refresh"' not in text
    assert f"/exports/jobs/{job.token}/download" in text

    download = staff_client.get(f"/exports/jobs/{job.token}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f"attachment; filename={data.slug}-comments.csv"
    body = download.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Identifiant du commentaire" and "Statut" in rows[0]  # headers in the chosen language
    direct = staff_client.get(export_url(data, "comments.csv", status="published", lang="fr")).get_data()
    assert body == direct

    other_staff = client_as("staff")
    for path in (f"/exports/jobs/{job.token}", f"/exports/jobs/{job.token}/download"):
        assert other_staff.get(path).status_code == 404
        assert "/login" in client.get(path).headers["Location"]
    assert staff_client.get("/exports/jobs/not-a-token/download").status_code == 404
    assert staff_client.get(f"/exports/jobs/{'x' * 500}").status_code == 404


def test_an_xlsx_job_of_responses(app, staff_client, data):
    ask(staff_client, data, kind="responses", format="xlsx")
    job = the_job(app)
    download = staff_client.get(f"/exports/jobs/{job.token}/download")
    workbook = load_workbook(io.BytesIO(download.get_data()))
    assert workbook.sheetnames == ["Summary", "1 Questionnaire"]
    assert job.rows_done == 3


def test_a_json_job_of_responses_for_one_survey(app, staff_client, data):
    with app.app_context():
        create_survey(data.id, [{"type": "short_text", "code": "S1"}], title="Second")
    ask(staff_client, data, kind="responses", format="json", survey=str(data.survey_id))
    job = the_job(app)
    assert job.download_name == f"{data.slug}-responses-survey-{data.survey_id}.json"
    document = staff_client.get(f"/exports/jobs/{job.token}/download").get_json(force=True)
    assert [s["id"] for s in document["surveys"]] == [data.survey_id]
    assert len(document["responses"]) == 3


def test_an_expired_link_is_gone(app, staff_client, data, exports_in_a_temporary_folder):
    ask(staff_client, data, kind="comments", format="json")
    job = the_job(app)
    with app.app_context():
        db.session.get(ExportJob, job.id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    download = staff_client.get(f"/exports/jobs/{job.token}/download")
    assert download.status_code == 410
    assert "This export has expired" in download.get_data(as_text=True)
    assert staff_client.get(f"/exports/jobs/{job.token}").status_code == 410

    # The next request removes the expired file; the link still says "expired", not "not found".
    ask(staff_client, data, kind="comments", format="csv")
    assert not (exports_in_a_temporary_folder / "exports" / f"{job.token}.json").exists()
    assert staff_client.get(f"/exports/jobs/{job.token}/download").status_code == 410


def test_a_requester_who_no_longer_manages_the_consultation_cannot_download(app, client_as, data):
    from consult.directory.models import Group, User

    moderator = client_as("moderator")
    with app.app_context():
        group = db.session.get(Group, data.group_id)
        group.moderators.append(db.session.get(User, moderator.user.id))
        db.session.commit()
    assert ask(moderator, data, kind="comments", format="csv").status_code == 303
    job = the_job(app)
    with app.app_context():
        group = db.session.get(Group, data.group_id)
        group.moderators.clear()
        db.session.commit()
    assert moderator.get(f"/exports/jobs/{job.token}/download").status_code == 404


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"kind": "everything", "format": "csv"}, 400),
        ({"kind": "comments", "format": "pdf"}, 400),
        ({"kind": "comments"}, 400),
        ({"kind": "comments", "format": "csv", "country": "ZZ"}, 400),
        ({"kind": "responses", "format": "csv", "survey": "abc"}, 400),
        ({"kind": "comments", "format": "csv", "labels": "pretty"}, 400),
    ],
)
def test_bad_job_requests_create_nothing(app, staff_client, data, fields, status):
    response = ask(staff_client, data, **fields)
    assert response.status_code == status
    with app.app_context():
        assert count(ExportJob) == 0


def test_a_bad_filter_comes_back_on_the_exports_page(app, staff_client, data):
    response = ask(staff_client, data, kind="comments", format="csv", country="ZZ")
    assert response.status_code == 400
    assert "Choose a country from the list." in response.get_data(as_text=True)
    assert 'id="country-error"' in response.get_data(as_text=True)


def test_a_csv_job_needs_a_survey_when_there_are_several(app, staff_client, data):
    with app.app_context():
        create_survey(data.id, [{"type": "short_text", "code": "S1"}], title="Second")
    response = ask(staff_client, data, kind="responses", format="csv")
    assert response.status_code == 400
    assert "choose the questionnaire" in response.get_data(as_text=True)
    with app.app_context():
        assert count(ExportJob) == 0


def test_jobs_need_csrf_and_the_right_to_export(app, staff_client, participant_client, data):
    assert staff_client.post(export_url(data, "jobs"), data={"kind": "comments", "format": "csv"}).status_code == 400
    # A valid token (taken from a page the participant may see) does not make them a manager.
    response = submit(participant_client, export_url(data, "jobs"), {"kind": "comments", "format": "csv"},
                      form_page="/")
    assert response.status_code == 403
    with app.app_context():
        assert count(ExportJob) == 0


def test_the_exports_page_lists_the_persons_own_jobs(app, staff_client, client_as, data):
    ask(staff_client, data, kind="comments", format="csv")
    job = the_job(app)
    assert f"/exports/jobs/{job.token}" in staff_client.get(export_url(data, "")).get_data(as_text=True)
    assert job.token not in client_as("staff").get(export_url(data, "")).get_data(as_text=True)


def test_a_waiting_job_page_refreshes_itself(app, staff_client, data):
    with app.app_context():
        now = utcnow()
        job = ExportJob(token="waiting-token-" + "x" * 30, requested_by_id=staff_client.user.id,
                        consultation_id=data.id, kind="comments", format="csv", status="running", rows_done=1000,
                        rows_total=4000, created_at=now, expires_at=now + timedelta(hours=24))
        db.session.add(job)
        db.session.commit()
        token = job.token
    page = staff_client.get(f"/exports/jobs/{token}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Being prepared" in page
    assert "1,000 of 4,000" in page
    assert "<script>" not in page
    # Not ready yet: the download link leads back to the progress page.
    response = staff_client.get(f"/exports/jobs/{token}/download")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exports/jobs/{token}")


def test_a_failing_export_marks_the_job_failed(app, staff_client, data, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "write_file", broken)
    ask(staff_client, data, kind="comments", format="csv")
    job = the_job(app)
    assert job.status == "failed"
    page = staff_client.get(f"/exports/jobs/{job.token}").get_data(as_text=True)
    assert "The export could not be prepared." in page
    assert "disk full" not in page
    assert staff_client.get(f"/exports/jobs/{job.token}/download").status_code == 302


def test_progress_is_recorded_while_the_file_is_written(app, staff_client, data, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_ROWS", 2)
    seen = []
    real_write = jobs.write_file

    def watching(export, format, destination, progress):
        def counting():
            progress()
            with db.engine.connect() as connection:
                seen.append(connection.execute(select(ExportJob.rows_done)).scalar_one())

        real_write(export, format, destination, counting)

    monkeypatch.setattr(jobs, "write_file", watching)
    ask(staff_client, data, kind="comments", format="csv")
    assert seen == [0, 2, 2, 4, 4, 6]
    assert Path(app.instance_path, "exports", the_job(app).token + ".csv").is_file()
