"""Exports stream: memory stays flat as answers grow, and the number of queries does not depend on the rows."""

from __future__ import annotations

import gc
import itertools
import tracemalloc

import pytest
from sqlalchemy import insert

from consult.directory.models import User
from consult.extensions import db
from consult.i18n import utcnow
from consult.surveys.models import Answer, Response
from tests.factories import create_consultation
from tests.helpers import counted_queries, create_organization
from tests.surveys.factories import create_survey

QUESTIONS_PER_SURVEY = 10
_numbers = itertools.count(1)


def make_survey(app, questions: int = QUESTIONS_PER_SURVEY):
    with app.app_context():
        consultation = create_consultation()
        specs = [{"type": "long_text", "code": f"Q{n}", "label": f"Question {n}"} for n in range(1, questions + 1)]
        if questions > 1:
            specs[1] = {"type": "multiple_choice", "code": "Q2", "label": "Channels",
                        "options": [("post", "Post"), ("air", "Air"), ("sea", "Sea")]}
        created = create_survey(consultation.id, specs)
        created.slug = consultation.slug
        created.organization_id = create_organization(name=f"Bulk answers {next(_numbers)}", country="BR").id
        return created


@pytest.fixture
def survey(app):
    return make_survey(app)


def add_responses(app, survey, number: int) -> None:
    """`number` submitted responses, each answering every question, inserted in bulk."""
    with app.app_context():
        now = utcnow()
        first = next(_numbers)
        for _ in range(number - 1):
            next(_numbers)
        serials = range(first, first + number)
        db.session.execute(insert(User), [
            {"email": f"bulk{n}@example.org", "display_name": f"Respondent {n}", "role": "participant",
             "organization_id": survey.organization_id, "locale": "en"} for n in serials
        ])
        users = dict(db.session.execute(
            db.select(User.email, User.id).where(User.email.in_([f"bulk{n}@example.org" for n in serials]))
        ).all())
        db.session.execute(insert(Response), [
            {"survey_id": survey.id, "owner_key": f"user:{users[f'bulk{n}@example.org']}",
             "respondent_id": users[f"bulk{n}@example.org"], "organization_id": survey.organization_id,
             "status": "submitted", "language": "en", "consent": "named", "receipt_number": f"B-{n}",
             "created_at": now, "last_edited_at": now, "submitted_at": now} for n in serials
        ])
        response_ids = db.session.scalars(
            db.select(Response.id).where(Response.receipt_number.in_([f"B-{n}" for n in serials]))
        ).all()
        answers = []
        for response_id in response_ids:
            for code, question_id in survey.question_ids.items():
                text = f"An answer of some length to {code}, response {response_id}"
                value = ["post", "sea"] if code == "Q2" else text
                answers.append({"response_id": response_id, "question_id": question_id, "value": value})
        db.session.execute(insert(Answer), answers)
        db.session.commit()


def peak_memory_of_export(client, path: str) -> tuple[int, int]:
    """(peak bytes allocated while the export streams, bytes received), consuming it chunk by chunk."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    received = 0
    try:
        response = client.get(path, buffered=False)
        assert response.status_code == 200
        for chunk in response.response:
            received += len(chunk)
        response.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, received


def test_memory_stays_flat_from_2000_to_20000_answers(app, staff_client):
    # One question a response: even the smaller export spans several batches of every stream (1,000 rows read at
    # a time, 500 rows to a CSV chunk), so what is compared is growth with the rows, not the first batch filling up.
    survey = make_survey(app, questions=1)
    path = f"/consultations/{survey.slug}/export/responses.csv"
    add_responses(app, survey, 2_000)  # 2,000 answers
    peak_memory_of_export(staff_client, path)  # warm-up: statement caches, templates, translations
    small_peak, small_size = peak_memory_of_export(staff_client, path)

    add_responses(app, survey, 18_000)  # 20,000 answers
    large_peak, large_size = peak_memory_of_export(staff_client, path)

    assert large_size > 9 * small_size  # ten times the rows did go out
    assert large_peak <= small_peak * 1.2, (small_peak, large_peak)


def export_statements(app, client, path: str) -> list[str]:
    with counted_queries(app) as statements:
        response = client.get(path)
        assert response.status_code == 200
        response.get_data()
    return statements


@pytest.mark.parametrize("name", ["responses.csv", "responses.xlsx", "responses.json"])
def test_queries_do_not_depend_on_the_number_of_responses(app, staff_client, survey, name):
    path = f"/consultations/{survey.slug}/export/{name}"
    add_responses(app, survey, 10)
    export_statements(app, staff_client, path)  # warm-up
    few = export_statements(app, staff_client, path)
    add_responses(app, survey, 290)
    many = export_statements(app, staff_client, path)
    assert len(many) == len(few), "\n".join(many)
    rows = 300 * QUESTIONS_PER_SURVEY
    answer_reads = [s for s in many if s.lstrip().upper().startswith("SELECT") and "FROM survey_answer" in s]
    assert len(answer_reads) <= rows // 1000 + 2


@pytest.mark.parametrize("name", ["comments.csv", "comments.xlsx", "comments.json"])
def test_comment_exports_use_a_fixed_number_of_queries(app, staff_client, survey, name):
    from tests.factories import create_comment, create_document
    from tests.helpers import create_user

    path = f"/consultations/{survey.slug}/export/{name}"
    with app.app_context():
        document = create_document(survey.consultation_id, ["One.", "Two."])
        author = create_user(organization_id=survey.organization_id)
        create_comment(survey.consultation_id, author.id, paragraph_id=document.paragraph_ids[0])
    export_statements(app, staff_client, path)
    few = export_statements(app, staff_client, path)
    with app.app_context():
        for n in range(40):
            create_comment(survey.consultation_id, author.id, body=f"Comment {n}",
                           paragraph_id=document.paragraph_ids[n % 2])
    many = export_statements(app, staff_client, path)
    assert len(many) == len(few), "\n".join(many)


def test_a_download_abandoned_halfway_leaves_the_next_requests_working(app, staff_client):
    """The browser goes away mid-export: the half-read stream (COPY on PostgreSQL) is dropped cleanly."""
    survey = make_survey(app, questions=1)
    add_responses(app, survey, 3_000)
    path = f"/consultations/{survey.slug}/export/responses.csv"
    response = staff_client.get(path, buffered=False)
    assert response.status_code == 200
    chunks = iter(response.response)
    assert next(chunks) and next(chunks)  # a little of it read, then the connection closes
    response.close()

    again = staff_client.get(path)
    assert again.status_code == 200
    assert again.get_data(as_text=True).count("\r\n") == 3_001  # header and every response
    assert staff_client.get(f"/consultations/{survey.slug}").status_code == 200
