"""Helpers shared by the public results and campaign tests (no tests here).

A scene: a moderator (signed in) who runs a group's consultation, a questionnaire with one question of each kind the
results count plus free text and a file, and people of three stakeholder types. Rows are written straight into the
tables, as the answering and commenting services would leave them.
"""

from __future__ import annotations

import html
import itertools
from types import SimpleNamespace

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.consultations.models import Consultation
from consult.directory.models import Organization, User
from consult.extensions import db
from consult.i18n import utcnow
from consult.surveys.models import Answer, Response, Survey, UploadedFile
from tests.factories import create_consultation, create_group
from tests.helpers import counted_queries, create_organization, create_user  # noqa: F401  (re-exported)
from tests.surveys.factories import create_survey

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)

QUESTIONS = [
    {"type": "single_choice", "code": "Q1", "label": "Preferred option",
     "options": [("a", "Option A"), ("b", "Option B"), ("c", "Option C")]},
    {"type": "multiple_choice", "code": "Q2", "label": "Goods concerned",
     "options": [("x", "Medicines"), ("y", "Toys"), ("z", "Spare parts")]},
    {"type": "yes_no", "code": "Q3", "label": "Do you agree?"},
    {"type": "scale", "code": "Q4", "label": "How useful?", "settings": {"min": 1, "max": 5}},
    {"type": "number", "code": "Q5", "label": "Parcels per day"},
    {"type": "long_text", "code": "Q6", "label": "Your comments"},
    {"type": "file", "code": "Q7", "label": "Supporting file"},
]


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def build_scene(app, client_as, state: str = "closed", audience_mode: str = "public") -> SimpleNamespace:
    moderator = client_as("moderator")
    with app.app_context():
        rights_holder = create_organization(name="Maison Lumière", country="FR", stakeholder_type="rights_holder")
        courier = create_organization(name="Rapid Courier Ltd", country="GB", stakeholder_type="intermediary")
        customs = create_organization(name="Aduana Nacional", country="CL", stakeholder_type="customs")
        people = {
            "camille": create_user(password=PASSWORD, organization_id=rights_holder.id, display_name="Camille Martin",
                                   email="camille@example.org"),
            "john": create_user(password=PASSWORD, organization_id=courier.id, display_name="John Smith",
                                email="john@example.org"),
            "ana": create_user(password=PASSWORD, organization_id=customs.id, display_name="Ana Rojas",
                               email="ana@example.org"),
            "drafter": create_user(password=PASSWORD, organization_id=courier.id, display_name="Dora Draft",
                                   email="dora@example.org"),
        }
        group = create_group(name="Counterfeiting and Piracy Group",
                             organization_ids=[rights_holder.id, courier.id, customs.id],
                             moderator_ids=[moderator.user.id])
        consultation = create_consultation(
            group_id=group.id,
            state=state,
            title={"en": "Draft guidelines on small consignments"},
            audience_mode=audience_mode,
            audience_group_ids=[group.id] if audience_mode == "restricted" else (),
        )
        survey = create_survey(consultation.id, questions=QUESTIONS, title="Questionnaire on parcels")
    return SimpleNamespace(moderator=moderator, consultation=consultation, survey=survey, group=group,
                           organizations=SimpleNamespace(rights_holder=rights_holder, courier=courier, customs=customs),
                           **people)


def add_response(app, survey_id: int, user_id: int, answers: dict, consent: str | None = "named",
                 status: str = "submitted") -> int:
    with app.app_context():
        return _response(survey_id, user_id, answers, consent, status)


def _response(survey_id: int, user_id: int, answers: dict, consent: str | None, status: str) -> int:
    survey = db.session.get(Survey, survey_id)
    user = db.session.get(User, user_id)
    submitted = status == "submitted"
    response = Response(
        survey_id=survey_id,
        owner_key=survey.owner_key_for(user),
        respondent_id=user_id,
        organization_id=user.organization_id,
        status=status,
        consent=consent,
        receipt_number=f"P-{next(_numbers)}" if submitted else None,
        submitted_at=utcnow() if submitted else None,
    )
    codes = {q.code: q.id for q in survey.questions}
    for code, value in answers.items():
        response.answers.append(Answer(question_id=codes[code], value=value))
    db.session.add(response)
    db.session.commit()
    return response.id


def add_file(app, response_id: int, question_id: int, filename: str) -> None:
    with app.app_context():
        db.session.add(UploadedFile(response_id=response_id, question_id=question_id, filename=filename,
                                    mimetype="application/pdf", size=4, sha256="0" * 64, content=b"%PDF"))
        db.session.commit()


def add_respondents(app, survey_id: int, answers_by_person: list[dict], stakeholder_type: str = "intermediary",
                    consent: str = "named") -> list[int]:
    """One new organization and delegate per entry, each with a submitted response; all in one transaction."""
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        codes = {q.code: q.id for q in survey.questions}
        responses = []
        for answers in answers_by_person:
            number = next(_numbers)
            organization = Organization(name=f"Firm {number}", name_key=f"firm {number}", country="DE",
                                        stakeholder_type=stakeholder_type)
            user = User(email=f"delegate{number}@example.org", display_name=f"Delegate {number}",
                        organization=organization)
            response = Response(survey=survey, owner_key=f"user:{number}-{survey_id}", respondent=user,
                                organization=organization, status="submitted", consent=consent,
                                receipt_number=f"B-{number}", submitted_at=utcnow())
            response.answers = [Answer(question_id=codes[code], value=value) for code, value in answers.items()]
            db.session.add(response)
            responses.append(response)
        db.session.commit()
        return [r.id for r in responses]


def answer_ids(app, response_ids: list[int]) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Answer.id).where(Answer.response_id.in_(response_ids))))


def set_results_published(app, consultation_id: int, published: bool = True) -> None:
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        consultation.results_published_at = utcnow() if published else None
        db.session.commit()


def results_published_at(app, consultation_id: int):
    with app.app_context():
        return db.session.get(Consultation, consultation_id).results_published_at


def audit_actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return rows
