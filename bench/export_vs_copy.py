"""CSV export of survey answers through the app, against PostgreSQL's own COPY of the same rows.

Usage: .venv/bin/python bench/export_vs_copy.py [responses] [questions]
Seeds a throwaway PostgreSQL database (consult_bench_copy on 127.0.0.1, user postgres),
then times, in the same run, (a) the app's streamed CSV export of every response
and (b) `COPY (SELECT ...) TO STDOUT` of the answer rows through psql, and prints
rows per second for both and their ratio. A first, partial answer to issue 7.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the project root

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/consult_bench_copy"


def fresh_database() -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS consult_bench_copy WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE consult_bench_copy"))
    engine.dispose()


def seed(app, responses: int, questions: int):
    from consult.consultations.models import Consultation
    from consult.directory.models import Group, Organization, User
    from consult.extensions import db
    from consult.i18n import LocalizedText, utcnow
    from consult.surveys.models import Answer, Question, Response, Survey, SurveySection

    with app.app_context():
        db.create_all()
        now = utcnow()
        organization = Organization(name="Bench", name_key="bench", country="FR", stakeholder_type="customs")
        group = Group(name=LocalizedText({"en": "Bench group"}, "en"), description=LocalizedText({}, "en"))
        staff = User(email="staff@bench.example", display_name="Staff", role="staff", organization=organization)
        consultation = Consultation(
            slug="bench", title=LocalizedText({"en": "Bench"}, "en"), summary=LocalizedText({}, "en"),
            body=LocalizedText({}, "en"), group=group, opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1), published_at=now - timedelta(days=1),
        )
        survey = Survey(consultation=consultation, title=LocalizedText({"en": "Bench"}, "en"),
                        intro=LocalizedText({}, "en"), published_at=now)
        section = SurveySection(survey=survey, title=LocalizedText({"en": "S"}, "en"), intro=LocalizedText({}, "en"))
        qs = [Question(survey=survey, section=section, position=i, code=f"Q{i + 1}", question_type="long_text",
                       label=LocalizedText({"en": f"Question {i + 1}"}, "en"), help_text=LocalizedText({}, "en"))
              for i in range(questions)]
        db.session.add_all([organization, group, staff, consultation, survey, section, *qs])
        db.session.commit()
        respondents = [User(email=f"r{i}@bench.example", display_name=f"R {i}", organization=organization)
                       for i in range(responses)]
        db.session.add_all(respondents)
        db.session.flush()
        rows = [Response(survey_id=survey.id, owner_key=f"user:{u.id}", respondent_id=u.id,
                         organization_id=organization.id, status="submitted", submitted_at=now,
                         receipt_number=uuid.uuid4().hex[:12]) for u in respondents]
        db.session.add_all(rows)
        db.session.flush()
        db.session.execute(Answer.__table__.insert(), [
            {"response_id": r.id, "question_id": q.id, "value": f"Answer {r.id}-{q.id}, with « accents » and =1+1"}
            for r in rows for q in qs
        ])
        db.session.commit()
        return staff.id, survey.id, consultation.id


def time_app_export(app, staff_id: int, survey_id: int, consultation_id: int) -> tuple[float, int]:
    from consult.consultations.models import Consultation
    from consult.directory.models import User
    from consult.exports.export_files import ExportRequest, build_export, text_chunks
    from consult.extensions import db

    with app.test_request_context():
        user = db.session.get(User, staff_id)
        consultation = db.session.get(Consultation, consultation_id)
        request, errors = ExportRequest.parse("responses", "csv", MultiDict({"survey": str(survey_id)}), "en")
        assert not errors, errors
        export, errors = build_export(request, consultation, user)
        assert not errors, errors
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in text_chunks(export, "csv"))
        return time.perf_counter() - started, size


def time_copy() -> tuple[float, int]:
    query = ("COPY (SELECT a.response_id, a.question_id, a.value FROM survey_answer a "
             "ORDER BY a.response_id, a.question_id) TO STDOUT WITH CSV")
    started = time.perf_counter()
    output = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "consult_bench_copy", "-c", query],
                            capture_output=True, check=True).stdout
    return time.perf_counter() - started, len(output)


def main() -> None:
    responses = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    questions = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    fresh_database()
    from config import Config
    from consult import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = BENCH_URL
        PASSWORD_HASH_METHOD = "scrypt:1024:8:1"

    app = create_app(BenchConfig)
    staff_id, survey_id, consultation_id = seed(app, responses, questions)
    answers = responses * questions
    app_seconds, app_bytes = min(time_app_export(app, staff_id, survey_id, consultation_id) for _ in range(3))
    copy_seconds, copy_bytes = min(time_copy() for _ in range(3))
    result = {
        "responses": responses, "answers": answers,
        "app_csv_answers_per_s": round(answers / app_seconds), "app_csv_bytes": app_bytes,
        "copy_answers_per_s": round(answers / copy_seconds), "copy_bytes": copy_bytes,
        "ratio_app_to_copy": round(copy_seconds / app_seconds, 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
