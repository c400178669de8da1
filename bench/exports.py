"""Exports and the summary report at scale, against PostgreSQL's own COPY of the same rows.

`measure(scale)` seeds its own PostgreSQL database (consult_bench_exports) with
questionnaires of 40 questions of every type, answered in three languages, and
measures in one run:

- the app's streamed CSV and XLSX export of every answer of one questionnaire
  (the same generator the download view streams), against
  `psql -c "COPY (SELECT ...) TO STDOUT"` of the same answer rows;
- the peak resident memory of a fresh process exporting 10,000, 100,000 and
  1,000,000 answers as CSV (each in its own process, so one peak never hides
  another);
- the summary report (the page a member of staff opens) at 10,000 and 100,000
  responses.

Run alone: `.venv/bin/python bench/exports.py [small|medium|large]`; `make bench`
calls it through bench/run.py.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the project root

DATABASE = "consult_bench_exports"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE_URL = f"{SERVER}/{DATABASE}"
PSYCOPG_DSN = f"host=127.0.0.1 port=5432 user=postgres dbname={DATABASE}"

QUESTIONS = 40
REPORT_QUESTIONS = 10
MEMORY_SIZES = (10_000, 100_000, 1_000_000)  # answers
REPORT_SIZES = (10_000, 100_000)  # responses
# Answers exported for the CSV/XLSX timings (the biggest memory survey is reused where it matches).
TIMED_ANSWERS = {"small": 100_000, "medium": 1_000_000, "large": 1_000_000}
ROUNDS = {"small": 3, "medium": 2, "large": 1}

TYPES = ("short_text", "long_text", "single_choice", "multiple_choice", "yes_no", "scale", "number", "date",
         "ranking", "matrix")
# Free text as delegates write it: varied sentences in their language, with a formula-looking cell now and then;
# one answer in fifty is a copy of a campaign letter (what the report's campaign detection looks for).
WORDS = {lang: words.split() for lang, words in {
    "en": "customs parcel risk border trade goods seizure brand rights platform courier declaration data label "
          "tariff origin health toys medicines watches piracy training officer port airport container sample "
          "laboratory penalty owner licence market seller buyer consumer website payment refund shipment",
    "fr": "douane colis risque frontière commerce marchandises saisie marque droits plateforme transporteur "
          "déclaration données étiquette tarif origine santé jouets médicaments montres piraterie formation "
          "agent port aéroport conteneur échantillon laboratoire amende titulaire licence marché vendeur",
    "es": "aduana paquete riesgo frontera comercio mercancías incautación marca derechos plataforma mensajería "
          "declaración datos etiqueta arancel origen salud juguetes medicamentos relojes piratería formación "
          "agente puerto aeropuerto contenedor muestra laboratorio multa titular licencia mercado vendedor",
}.items()}
CAMPAIGN_LETTER = ("As small online sellers we ask the secretariat to keep the simplified declaration for low value "
                   "parcels and to consult couriers and payment providers before any new draft is prepared")
CHOICES = [("post", "Post"), ("air", "Air"), ("sea", "Sea"), ("road", "Road")]


# --- Seeding -----------------------------------------------------------------------


def fresh_database() -> None:
    engine = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()


def make_app():
    from config import Config
    from consult import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = DATABASE_URL
        PASSWORD_HASH_METHOD = "scrypt:1024:8:1"

    return create_app(BenchConfig)


def _question_specs(count: int) -> list[dict]:
    specs = []
    for position in range(count):
        kind = TYPES[position % len(TYPES)]
        spec = {"type": kind, "code": f"Q{position + 1}", "label": f"Question {position + 1} ({kind})"}
        if kind in ("single_choice", "multiple_choice", "ranking"):
            spec["options"] = CHOICES
        if kind == "matrix":
            spec["rows"] = [("speed", "Speed"), ("cost", "Cost"), ("risk", "Risk")]
            spec["columns"] = [("low", "Low"), ("high", "High")]
        if kind == "scale":
            spec["settings"] = {"min": 1, "max": 5}
        specs.append(spec)
    return specs


def seed_world(app) -> dict:
    """Organizations, people, a group and a consultation; returns the ids the surveys need."""
    from consult.consultations.models import Consultation
    from consult.directory.models import Group, Organization, User
    from consult.extensions import db
    from consult.i18n import LocalizedText, utcnow

    with app.app_context():
        db.create_all()
        now = utcnow()
        random_ = random.Random(7)
        types = ("customs", "rights_holder", "intermediary", "other")
        countries = ("FR", "ES", "MX", "GB", "SN", "CA", "AR", "MA", "JP", "BR")
        organizations = [Organization(name=f"Organization {n}", name_key=f"organization {n}",
                                      country=random_.choice(countries), stakeholder_type=types[n % len(types)])
                         for n in range(300)]
        group = Group(name=LocalizedText({"en": "Bench group", "fr": "Groupe", "es": "Grupo"}, "en"),
                      description=LocalizedText({}, "en"))
        group.organizations = organizations
        staff = User(email="staff@bench.example", display_name="Staff", role="staff", locale="en",
                     organization=organizations[0])
        staff.set_password("bench-staff-password")
        consultation = Consultation(
            slug="bench-exports", title=LocalizedText({"en": "Bench", "fr": "Banc", "es": "Banco"}, "en"),
            summary=LocalizedText({}, "en"), body=LocalizedText({}, "en"), group=group,
            opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=30),
            published_at=now - timedelta(days=30),
        )
        people = [User(email=f"delegate{n}@bench.example", display_name=f"Délégué·e {n}", role="participant",
                       locale=("en", "fr", "es")[n % 3], organization=organizations[n % len(organizations)])
                  for n in range(1000)]
        db.session.add_all([*organizations, group, staff, consultation, *people])
        db.session.commit()
        return {
            "consultation_id": consultation.id,
            "staff_id": staff.id,
            "people": [(p.id, p.organization_id, p.locale) for p in people],
        }


def add_survey(app, world: dict, title: str, questions: int) -> dict:
    from consult.extensions import db
    from consult.i18n import LocalizedText, utcnow
    from consult.surveys.models import Question, QuestionOption, Survey, SurveySection

    def localized(value: str) -> LocalizedText:
        return LocalizedText({"en": value, "fr": value + " (fr)", "es": value + " (es)"}, "en")

    with app.app_context():
        survey = Survey(consultation_id=world["consultation_id"], title=localized(title),
                        intro=localized(""), published_at=utcnow())
        section = SurveySection(survey=survey, position=0, title=localized("Section"), intro=localized(""))
        specs = _question_specs(questions)
        for position, spec in enumerate(specs):
            question = Question(survey=survey, section=section, position=position, code=spec["code"],
                                question_type=spec["type"], label=localized(spec["label"]),
                                help_text=localized(""), settings=spec.get("settings", {}))
            for kind, key in (("option", "options"), ("row", "rows"), ("column", "columns")):
                for index, (code, label) in enumerate(spec.get(key, [])):
                    question.options.append(QuestionOption(kind=kind, position=index, code=code,
                                                           label=localized(label)))
            db.session.add(question)
        db.session.add(survey)
        db.session.commit()
        return {"id": survey.id, "questions": [(q.id, q.question_type) for q in survey.ordered_questions()]}


def _answer(kind: str, language: str, random_: random.Random):
    codes = [code for code, _label in CHOICES]
    if kind in ("short_text", "long_text"):
        if random_.random() < 0.02:
            return CAMPAIGN_LETTER + random_.choice((".", "!", " please.", ", thank you."))
        words = random_.choices(WORDS[language], k=random_.randint(6, 40))
        return ("=1+1 " if random_.random() < 0.01 else "") + " ".join(words).capitalize() + "."
    if kind == "single_choice":
        return random_.choice(codes)
    if kind == "multiple_choice":
        return sorted(random_.sample(codes, random_.randint(1, 3)))
    if kind == "yes_no":
        return random_.choice(("yes", "no"))
    if kind == "scale":
        return random_.randint(1, 5)
    if kind == "number":
        return str(random_.randint(0, 5000))
    if kind == "date":
        return f"2026-{random_.randint(1, 12):02d}-{random_.randint(1, 28):02d}"
    if kind == "ranking":
        return random_.sample(codes, len(codes))
    return {row: random_.choice(("low", "high")) for row in ("speed", "cost", "risk")}  # matrix


def add_responses(world: dict, survey: dict, responses: int, seed: int, app=None) -> None:
    """`responses` submitted responses answering every question, written with COPY (the fastest way in).

    With `app`, the survey's report counts are rebuilt afterwards (otherwise its first report builds them).
    """
    random_ = random.Random(seed)
    people = world["people"]
    submitted = datetime(2026, 11, 1, tzinfo=UTC)
    with psycopg.connect(PSYCOPG_DSN) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM survey_response")
            first_id = cursor.fetchone()[0] + 1
            with cursor.copy("COPY survey_response (id, survey_id, owner_key, respondent_id, organization_id, "
                             "status, version, language, consent, receipt_number, created_at, last_edited_at, "
                             "submitted_at) FROM STDIN") as copy:
                for n in range(responses):
                    person_id, organization_id, language = people[n % len(people)]
                    moment = submitted + timedelta(minutes=n % 40_000)
                    copy.write_row((first_id + n, survey["id"], f"bench:{n}", person_id, organization_id,
                                    "submitted", 1, language, ("named", "anonymous", "none")[n % 3],
                                    uuid.uuid4().hex[:16], moment, moment, moment))
            with cursor.copy("COPY survey_answer (response_id, question_id, value) FROM STDIN") as copy:
                for n in range(responses):
                    language = people[n % len(people)][2]
                    for question_id, kind in survey["questions"]:
                        value = json.dumps(_answer(kind, language, random_), ensure_ascii=False)
                        copy.write_row((first_id + n, question_id, value))
            cursor.execute("SELECT setval(pg_get_serial_sequence('survey_response', 'id'), "
                           "(SELECT max(id) FROM survey_response))")
        connection.commit()
    if app is not None:
        retally(app, survey["id"])
    with psycopg.connect(PSYCOPG_DSN, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE survey_response")
        connection.execute("VACUUM ANALYZE survey_answer")
        connection.execute("VACUUM ANALYZE survey_tally")


def retally(app, survey_id: int) -> None:
    """Build the report's counts of a survey whose answers COPY wrote (no session hook saw them)."""
    from consult.extensions import db
    from consult.surveys.tallies import rebuild_tallies

    with app.app_context():
        rebuild_tallies(survey_id)
        db.session.commit()
        # As after any bulk load: fresh statistics for the planner (autovacuum would gather them a little later,
        # and a measurement taken before it would time plans made for the empty tables).
        db.session.execute(text("ANALYZE survey_response, survey_answer, survey_tally, survey_respondent_tally"))
        db.session.commit()


# --- Measuring ---------------------------------------------------------------------


def export_in_process(app, staff_id: int, survey_id: int, consultation_id: int, format: str) -> tuple[float, int]:
    """(seconds, bytes) of one export of a questionnaire, made as the download view makes it."""
    from werkzeug.datastructures import MultiDict

    from consult.consultations.models import Consultation
    from consult.directory.models import User
    from consult.exports.export_files import ExportRequest, build_export, remove_file, text_chunks, write_xlsx
    from consult.extensions import db

    with app.test_request_context():
        user = db.session.get(User, staff_id)
        consultation = db.session.get(Consultation, consultation_id)
        request, errors = ExportRequest.parse("responses", format, MultiDict({"survey": str(survey_id)}), "en")
        assert not errors, errors
        export, errors = build_export(request, consultation, user)
        assert not errors, errors
        started = time.perf_counter()
        if format == "xlsx":
            path = write_xlsx(export)
            seconds = time.perf_counter() - started
            size = os.path.getsize(path)
            remove_file(path)
            return seconds, size
        size = 0
        for chunk in text_chunks(export, "csv"):
            size += len(chunk.encode("utf-8"))
        return time.perf_counter() - started, size


def copy_answers(survey_id: int) -> tuple[float, int]:
    """(seconds, bytes) of psql's COPY of the questionnaire's answer rows, psql's start-up included."""
    query = ("COPY (SELECT a.response_id, a.question_id, a.value FROM survey_answer a "
             f"JOIN survey_response r ON r.id = a.response_id WHERE r.survey_id = {int(survey_id)} "
             "ORDER BY a.response_id, a.id) TO STDOUT WITH CSV")
    started = time.perf_counter()
    output = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-c", query],
                            capture_output=True, check=True).stdout
    return time.perf_counter() - started, len(output)


def compare_with_copy(app, world: dict, survey: dict, answers: int, format: str, rounds: int) -> dict:
    app_seconds = min(export_in_process(app, world["staff_id"], survey["id"], world["consultation_id"], format)[0]
                      for _ in range(rounds))
    copy_seconds = min(copy_answers(survey["id"])[0] for _ in range(rounds))
    return {
        "answers": answers,
        "app_answers_per_s": round(answers / app_seconds),
        "copy_answers_per_s": round(answers / copy_seconds),
        "ratio": round(copy_seconds / app_seconds, 3),
    }


def memory_of_export(world: dict, survey: dict, answers: int) -> dict:
    """Peak resident memory of a fresh process that exports the questionnaire as CSV."""
    arguments = json.dumps({"staff_id": world["staff_id"], "survey_id": survey["id"],
                            "consultation_id": world["consultation_id"]})
    output = subprocess.run([sys.executable, __file__, "--export-child", arguments],
                            capture_output=True, check=True, text=True).stdout
    child = json.loads(output.strip().splitlines()[-1])
    return {"answers": answers, **child}


def _export_child(arguments: str) -> None:
    ids = json.loads(arguments)
    app = make_app()
    # Start-up (imports, the app) has its own peak; reset the high-water mark so the export's peak is measured.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_mib("VmRSS")
    seconds, size = export_in_process(app, ids["staff_id"], ids["survey_id"], ids["consultation_id"], "csv")
    print(json.dumps({"peak_rss_mib": _status_mib("VmHWM"), "rss_before_export_mib": before,
                      "seconds": round(seconds, 3), "bytes": size}))


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (kB), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(field)


def time_report(app, world: dict, responses: int) -> dict:
    """The summary report page as staff open it: the first request (campaigns grouped from scratch) and the
    best of three after it (groups remembered until a text changes)."""
    client = app.test_client()
    page = client.get("/login")
    signed_in = client.post("/login", data={"email": "staff@bench.example", "password": "bench-staff-password",
                                            "csrf_token": _csrf_token(page.get_data(as_text=True))})
    assert signed_in.status_code == 302, signed_in.status_code
    timings = []
    for _ in range(4):
        started = time.perf_counter()
        response = client.get(f"/consultations/bench-report-{responses}/report")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return {"responses": responses, "seconds": round(min(timings[1:]), 3), "first_seconds": round(timings[0], 3)}


def _csrf_token(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def report_consultation(app, world: dict, responses: int) -> dict:
    """A consultation of its own for the report (the report covers every questionnaire of a consultation)."""
    from consult.consultations.models import Consultation
    from consult.extensions import db

    with app.app_context():
        model = db.session.get(Consultation, world["consultation_id"])
        copy = Consultation(slug=f"bench-report-{responses}", title=model.title, summary=model.summary,
                            body=model.body, group_id=model.group_id, opens_at=model.opens_at,
                            closes_at=model.closes_at, published_at=model.published_at)
        db.session.add(copy)
        db.session.commit()
        return {**world, "consultation_id": copy.id}


def measure(scale: str = "small", log=print) -> dict:
    if scale not in TIMED_ANSWERS:
        raise ValueError(f"unknown scale {scale!r}: small, medium or large")
    fresh_database()
    app = make_app()
    world = seed_world(app)
    surveys = {}
    for answers in sorted(set(MEMORY_SIZES) | {TIMED_ANSWERS[scale]}):
        started = time.perf_counter()
        surveys[answers] = add_survey(app, world, f"Exported {answers} answers", QUESTIONS)
        add_responses(world, surveys[answers], answers // QUESTIONS, seed=answers, app=app)
        log(f"  seeded {answers:,} answers in {time.perf_counter() - started:.1f} s")
    timed = surveys[TIMED_ANSWERS[scale]]
    result: dict = {"questions": QUESTIONS}
    log(f"  CSV export of {TIMED_ANSWERS[scale]:,} answers against COPY")
    result["csv"] = compare_with_copy(app, world, timed, TIMED_ANSWERS[scale], "csv", ROUNDS[scale])
    log(f"    {result['csv']}")
    log(f"  XLSX export of {TIMED_ANSWERS[scale]:,} answers against COPY")
    result["xlsx"] = compare_with_copy(app, world, timed, TIMED_ANSWERS[scale], "xlsx", 1)
    log(f"    {result['xlsx']}")
    result["memory"] = []
    for answers in MEMORY_SIZES:
        result["memory"].append(memory_of_export(world, surveys[answers], answers))
        log(f"    memory {result['memory'][-1]}")
    result["report"] = []
    for responses in REPORT_SIZES:
        started = time.perf_counter()
        report_world = report_consultation(app, world, responses)
        survey = add_survey(app, report_world, f"Report of {responses} responses", REPORT_QUESTIONS)
        add_responses(report_world, survey, responses, seed=responses + 1, app=app)
        log(f"  seeded {responses:,} responses for the report in {time.perf_counter() - started:.1f} s")
        result["report"].append(time_report(app, report_world, responses))
        log(f"    report {result['report'][-1]}")
    with app.app_context():
        from consult.extensions import db

        db.engine.dispose()
    return result


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--export-child":
        _export_child(sys.argv[2])
    else:
        print(json.dumps(measure(sys.argv[1] if len(sys.argv) > 1 else "small"), indent=2))
