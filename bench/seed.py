"""Seed a benchmark database with a realistic consultation, fast.

The structure (organizations, users, the consultation, its document and surveys,
comments) goes through the app's own models; the bulk (survey responses and their
answers) goes through COPY on PostgreSQL, executemany elsewhere.

What is seeded, at factor 1.0 (the issue's sizes):
- 300 organizations across the five stakeholder types and 40 countries, 1,000 users
  (one staff account, the rest delegates) in English, French and Spanish;
- consultation `bench`: a 200-paragraph working document in three languages with 5,000
  comments (threads of a root and replies, on paragraphs and in the general thread),
  a 40-question survey (eight question types) with `responses` submitted responses;
- consultation `bench-load`: `load_surveys` copies of the survey, answered per
  organization, so that the load generator has fresh (organization, survey) pairs to
  submit, plus one survey kept for the bare-psycopg write ceiling.
Every user has the same password hash (one scrypt hash, computed once).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import text

PASSWORD = "bench-password-2026"
LOCALES = ("en", "fr", "es")
COUNTRIES = ("FR", "ES", "DE", "IT", "BE", "NL", "PT", "GB", "IE", "PL", "SE", "FI", "DK", "AT", "CH", "CZ",
             "GR", "RO", "HU", "US", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "MA", "SN", "CI", "CM", "TN",
             "CN", "JP", "KR", "IN", "SG", "AU", "ZA", "NG")
STAKEHOLDER_TYPES = ("customs", "rights_holder", "intermediary", "international_organization", "other")

WORDS = {
    "en": ("customs", "goods", "border", "rights", "holder", "marketplace", "courier", "seizure", "counterfeit",
           "risk", "data", "exchange", "notice", "procedure", "shipment", "small", "parcel", "platform"),
    "fr": ("douane", "marchandises", "frontière", "droits", "titulaire", "place de marché", "transporteur",
           "saisie", "contrefaçon", "risque", "données", "échange", "avis", "procédure", "envoi", "colis"),
    "es": ("aduana", "mercancías", "frontera", "derechos", "titular", "mercado", "mensajería", "incautación",
           "falsificación", "riesgo", "datos", "intercambio", "aviso", "procedimiento", "envío", "paquete"),
}

# Forty questions: (type, required) cycled; choice questions get options.
QUESTION_CYCLE = (
    ("single_choice", True), ("short_text", False), ("yes_no", True), ("scale", True), ("long_text", False),
    ("multiple_choice", False), ("number", False), ("single_choice", False), ("long_text", False), ("yes_no", False),
)


@dataclass
class Sizes:
    organizations: int = 300
    users: int = 1000
    paragraphs: int = 200
    comments: int = 5000
    questions: int = 40
    responses: int = 20_000
    load_surveys: int = 10

    def scaled(self, factor: float) -> Sizes:
        return Sizes(
            organizations=max(10, round(self.organizations * factor)),
            users=max(20, round(self.users * factor)),
            paragraphs=max(10, round(self.paragraphs * factor)),
            comments=max(50, round(self.comments * factor)),
            questions=self.questions,
            responses=max(50, round(self.responses * factor)),
            load_surveys=1,
        )


@dataclass
class Seeded:
    """What the load generator and the other benches need to know about the seeded data."""

    sizes: dict
    staff_id: int = 0
    consultation_slug: str = "bench"
    load_slug: str = "bench-load"
    document_id: int = 0
    survey_id: int = 0
    paragraph_ids: list[int] = field(default_factory=list)
    load_survey_ids: list[int] = field(default_factory=list)
    ceiling_survey_id: int = 0
    # One delegate per organization (the first), for submissions; all delegates for reading.
    submitter_ids: list[int] = field(default_factory=list)
    reader_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    answers: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _sentence(rng: random.Random, locale: str, words: int) -> str:
    vocabulary = WORDS[locale]
    body = " ".join(rng.choice(vocabulary) for _ in range(words))
    return body[0].upper() + body[1:] + "."


def _localized(rng: random.Random, words: int):
    from consult.i18n import LocalizedText

    return LocalizedText({locale: _sentence(rng, locale, words) for locale in LOCALES}, "en")


def answer_value(question_type: str, option_codes: list[str], rng: random.Random):
    """A plausible stored answer for one question, as the app stores it (JSON)."""
    if question_type == "single_choice":
        return rng.choice(option_codes)
    if question_type == "multiple_choice":
        return [code for code in option_codes if rng.random() < 0.4] or option_codes[:1]
    if question_type == "yes_no":
        return rng.choice(("yes", "no"))
    if question_type == "scale":
        return rng.randint(1, 5)
    if question_type == "number":
        return str(rng.randint(0, 5000))
    locale = rng.choice(LOCALES)
    if question_type == "short_text":
        return _sentence(rng, locale, 4)
    return " ".join(_sentence(rng, locale, rng.randint(8, 30)) for _ in range(rng.randint(1, 3)))


def _add_survey(db, consultation, title: str, policy: str, n_questions: int, rng: random.Random, now):
    from consult.i18n import LocalizedText
    from consult.surveys.models import Question, QuestionOption, Survey, SurveySection

    survey = Survey(consultation=consultation, title=LocalizedText({"en": title, "fr": title, "es": title}, "en"),
                    intro=_localized(rng, 20), response_policy=policy, published_at=now - timedelta(days=1))
    sections = [SurveySection(survey=survey, position=i, title=_localized(rng, 3), intro=_localized(rng, 12))
                for i in range(4)]
    for index in range(n_questions):
        question_type, required = QUESTION_CYCLE[index % len(QUESTION_CYCLE)]
        question = Question(survey=survey, section=sections[index * 4 // n_questions], position=index,
                            code=f"Q{index + 1}", question_type=question_type, label=_localized(rng, 10),
                            help_text=_localized(rng, 8), required=required, settings={})
        if question_type in ("single_choice", "multiple_choice"):
            question.options = [QuestionOption(kind="option", position=k, code=f"o{k + 1}", label=_localized(rng, 2))
                                for k in range(5)]
        db.session.add(question)
    db.session.add(survey)
    return survey


def survey_shape(db, survey_id: int) -> list[tuple[int, str, list[str]]]:
    """(question id, type, option codes) in order, for generating answers."""
    rows = db.session.execute(text(
        "SELECT q.id, q.question_type, o.code FROM survey_question q "
        "LEFT JOIN survey_option o ON o.question_id = q.id WHERE q.survey_id = :s ORDER BY q.position, o.position"
    ), {"s": survey_id}).all()
    shape: dict[int, tuple[int, str, list[str]]] = {}
    for question_id, question_type, code in rows:
        entry = shape.setdefault(question_id, (question_id, question_type, []))
        if code is not None:
            entry[2].append(code)
    return list(shape.values())


def seed(app, sizes: Sizes, seed_value: int = 7) -> Seeded:
    """Create the schema and the data in the (empty) database bound to `app`."""
    from werkzeug.security import generate_password_hash

    from consult.comments.models import Comment
    from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
    from consult.directory.models import Group, Organization, User
    from consult.extensions import db
    from consult.i18n import LocalizedText, utcnow

    started = time.perf_counter()
    rng = random.Random(seed_value)
    seeded = Seeded(sizes=sizes.__dict__.copy())
    with app.app_context():
        db.create_all()
        now = utcnow()
        password_hash = generate_password_hash(PASSWORD, method="scrypt")  # the production method, once
        group = Group(name=LocalizedText({"en": "Counterfeiting and Piracy Group", "fr": "Groupe contrefaçon et "
                                          "piraterie", "es": "Grupo sobre falsificación y piratería"}, "en"),
                      description=_localized(rng, 20))
        organizations = [
            Organization(name=f"Organization {i + 1:03d} ({COUNTRIES[i % len(COUNTRIES)]})",
                         name_key=f"organization {i + 1:03d}", country=COUNTRIES[i % len(COUNTRIES)],
                         stakeholder_type=STAKEHOLDER_TYPES[i % len(STAKEHOLDER_TYPES)], verified=True)
            for i in range(sizes.organizations)
        ]
        group.organizations = organizations
        staff = User(email="staff@bench.example", display_name="Bench Staff", role="staff",
                     organization=organizations[0], password_hash=password_hash, locale="en")
        users = [staff] + [
            User(email=f"delegate{i:05d}@bench.example", display_name=f"Delegate {i:05d}",
                 organization=organizations[i % len(organizations)], password_hash=password_hash,
                 locale=LOCALES[i % 3], role="participant")
            for i in range(1, sizes.users)
        ]
        db.session.add_all([group, *organizations, *users])
        db.session.flush()

        def consultation(slug: str, title: str) -> Consultation:
            return Consultation(
                slug=slug, title=LocalizedText({"en": title, "fr": title + " (FR)", "es": title + " (ES)"}, "en"),
                summary=_localized(rng, 30), body=LocalizedText({loc: "\n\n".join(
                    _sentence(rng, loc, 40) for _ in range(4)) for loc in LOCALES}, "en"),
                group=group, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=60),
                published_at=now - timedelta(days=8), created_by=staff,
                meeting_name="CPG 17", meeting_place="Brussels",
            )

        main = consultation("bench", "Written consultation on small parcels")
        load = consultation("bench-load", "Questionnaire load test")
        document = WorkingDocument(consultation=main, position=0, title=_localized(rng, 6), category="B")
        version = DocumentVersion(document=document, number=1, original_locale="en", note="First draft")
        paragraphs = []
        for index in range(sizes.paragraphs):
            heading = index % 20 == 0
            paragraphs.append(Paragraph(
                version=version, position=index, number=None if heading else index + 1,
                kind="heading" if heading else "paragraph", level=2 if heading else 0,
                thread_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                text=LocalizedText({loc: _sentence(rng, loc, 6 if heading else rng.randint(30, 90))
                                    for loc in LOCALES}, "en"),
            ))
        survey = _add_survey(db, main, "Questionnaire on small parcels", "person", sizes.questions, rng, now)
        load_surveys = [_add_survey(db, load, f"Load questionnaire {k + 1}", "organization", sizes.questions, rng, now)
                        for k in range(sizes.load_surveys)]
        ceiling = _add_survey(db, load, "Write ceiling questionnaire", "organization", sizes.questions, rng, now)
        db.session.add_all([main, load, document, version, *paragraphs])
        db.session.flush()

        # Comments: threads of a root and a few replies, most on numbered paragraphs.
        numbered = [p for p in paragraphs if p.number is not None]
        roots: list[Comment] = []
        n_roots = sizes.comments * 2 // 5
        for index in range(n_roots):
            author = users[1 + index % (len(users) - 1)]
            paragraph = numbered[index % len(numbered)] if index % 10 else None
            language = LOCALES[index % 3]
            roots.append(Comment(
                consultation_id=main.id, document_id=document.id, paragraph_id=paragraph.id if paragraph else None,
                thread_key=paragraph.thread_key if paragraph else None, depth=0, author_id=author.id,
                organization_id=author.organization_id, body=_sentence(rng, language, rng.randint(15, 80)),
                proposed_wording=_sentence(rng, language, 20) if index % 4 == 0 else None,
                comment_type=("general", "technical", "editorial")[index % 3],
                position=("support", "oppose", "neutral")[index % 3], language=language, visibility="audience",
                status="published", submission_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                created_at=now - timedelta(minutes=sizes.comments - index),
            ))
        db.session.add_all(roots)
        db.session.flush()
        replies = []
        for index in range(sizes.comments - n_roots):
            parent = roots[index % len(roots)]
            author = users[1 + (index * 7) % (len(users) - 1)]
            language = LOCALES[(index + 1) % 3]
            replies.append(Comment(
                consultation_id=main.id, document_id=document.id, paragraph_id=parent.paragraph_id,
                thread_key=parent.thread_key, parent_id=parent.id, depth=1, author_id=author.id,
                organization_id=author.organization_id, body=_sentence(rng, language, rng.randint(10, 50)),
                comment_type="general", position=None, language=language, visibility="audience",
                status="published", submission_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                created_at=now - timedelta(minutes=index % 500),
            ))
        db.session.add_all(replies)
        db.session.commit()

        seeded.staff_id = staff.id
        seeded.document_id = document.id
        seeded.survey_id = survey.id
        seeded.paragraph_ids = [p.id for p in numbered]
        seeded.load_survey_ids = [s.id for s in load_surveys]
        seeded.ceiling_survey_id = ceiling.id
        first_of_org: dict[int, int] = {}
        for user in users[1:]:
            first_of_org.setdefault(user.organization_id, user.id)
        seeded.submitter_ids = list(first_of_org.values())
        seeded.reader_ids = [u.id for u in users[1:]]
        user_orgs = [(u.id, u.organization_id) for u in users[1:]]
        seeded.answers = _seed_responses(db, survey.id, sizes.responses, user_orgs, rng, now)
    seeded.seconds = round(time.perf_counter() - started, 1)
    return seeded


def _seed_responses(db, survey_id: int, count: int, user_orgs, rng: random.Random, now) -> int:
    """`count` submitted responses with every question answered; returns the number of answers."""
    shape = survey_shape(db, survey_id)
    connection = db.session.connection()
    stamp = now - timedelta(days=1)
    response_rows = []
    for index in range(count):
        user_id, organization_id = user_orgs[index % len(user_orgs)]
        response_rows.append({
            "survey_id": survey_id, "owner_key": f"paper:{index:07d}", "respondent_id": user_id,
            "organization_id": organization_id, "status": "submitted", "version": 1,
            "language": LOCALES[index % 3], "consent": ("named", "anonymous", "none")[index % 3],
            "receipt_number": f"B{index:011d}", "created_at": stamp, "last_edited_at": stamp,
            "last_edited_by_id": user_id, "submitted_at": stamp + timedelta(seconds=index),
        })
    from consult.surveys.models import Answer, Response

    for start in range(0, count, 5000):
        connection.execute(Response.__table__.insert(), response_rows[start:start + 5000])
    ids = [row[0] for row in connection.execute(text(
        "SELECT id FROM survey_response WHERE survey_id = :s ORDER BY id"), {"s": survey_id})]
    answers = 0
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                "COPY survey_answer (response_id, question_id, value) FROM STDIN") as copy:
            for response_id in ids:
                for question_id, question_type, codes in shape:
                    copy.write_row((response_id, question_id, json.dumps(answer_value(question_type, codes, rng))))
                    answers += 1
    else:
        batch = []
        for response_id in ids:
            for question_id, question_type, codes in shape:
                batch.append({"response_id": response_id, "question_id": question_id,
                              "value": answer_value(question_type, codes, rng)})
                if len(batch) >= 10_000:
                    connection.execute(Answer.__table__.insert(), batch)
                    answers += len(batch)
                    batch = []
        if batch:
            connection.execute(Answer.__table__.insert(), batch)
            answers += len(batch)
    db.session.commit()
    from consult.surveys.tallies import rebuild_tallies

    rebuild_tallies(survey_id)  # rows written behind the session: the report's counts are built from them
    db.session.commit()
    if connection.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.execute(text("VACUUM ANALYZE"))
    return answers
