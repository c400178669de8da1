"""Helpers shared by the responses, non-respondents and consultation-section tests (no tests here).

Responses and answers are written straight into the tables, as the answering
service would leave them.
"""

from __future__ import annotations

import hashlib
import html
import itertools
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from consult.directory.models import User
from consult.extensions import db
from consult.i18n import utcnow
from consult.surveys.models import Answer, Response, ResponseRevision, Survey, UploadedFile

_receipts = itertools.count(1000)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def add_response(
    survey_id: int,
    user_id: int,
    status: str = "draft",
    answers: dict[str, object] | None = None,
    language: str = "en",
    consent: str | None = None,
    edited_by_id: int | None = None,
    edited_minutes_ago: int = 5,
) -> int:
    """A response of `user_id` (or their organization's, per the survey's policy) with answers by question code."""
    survey = db.session.get(Survey, survey_id)
    user = db.session.get(User, user_id)
    edited_at = utcnow() - timedelta(minutes=edited_minutes_ago)
    submitted = status == "submitted"
    response = Response(
        survey_id=survey_id,
        owner_key=survey.owner_key_for(user),
        respondent_id=user_id,
        organization_id=user.organization_id,
        status=status,
        language=language,
        consent=consent if consent is not None else ("named" if submitted else None),
        receipt_number=f"R-{next(_receipts)}" if submitted else None,
        last_edited_at=edited_at,
        last_edited_by_id=edited_by_id or user_id,
        submitted_at=edited_at if submitted else None,
    )
    codes = {q.code: q.id for q in survey.questions}
    for code, value in (answers or {}).items():
        response.answers.append(Answer(question_id=codes[code], value=value))
    db.session.add(response)
    db.session.commit()
    return response.id


def add_file(response_id: int, question_id: int, content: bytes = b"%PDF-1.4 test", filename: str = "note.pdf") -> int:
    stored = UploadedFile(
        response_id=response_id,
        question_id=question_id,
        filename=filename,
        mimetype="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    db.session.add(stored)
    db.session.commit()
    return stored.id


def add_revision(response_id: int, version: int, submitted_by_id: int, answers: dict | None = None) -> int:
    revision = ResponseRevision(
        response_id=response_id,
        version=version,
        answers=answers or {},
        consent="named",
        submitted_at=utcnow() - timedelta(days=1),
        submitted_by_id=submitted_by_id,
    )
    db.session.add(revision)
    db.session.commit()
    return revision.id


@contextmanager
def counting_queries(app):
    """Counts the SQL statements run inside the block (on `.count`)."""
    with app.app_context():
        engine = db.engine

    class Counter:
        count = 0

    def remember(conn, cursor, statement, parameters, context, executemany):
        Counter.count += 1

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield Counter
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def queries_for(app, client, path: str) -> int:
    with counting_queries(app) as counter:
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        response.get_data()
    return counter.count
