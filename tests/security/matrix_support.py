"""The world the authorization matrix walks (no tests here).

Two restricted consultations for rights holders: the first, run by group G, is the one
every URL points at; the second, run by group H, lends its objects to the id-swap checks.
Each holds a document, comments by the audience participant (two identical ones make a
campaign), a survey with a file question and that participant's submitted response with
a file, and a finished export job asked by staff. An invitation, a password-reset link
and an outbox message fill the remaining URL arguments.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.auth.models import Invitation
from consult.auth.tokens import make_password_reset_token
from consult.consultations.models import DocumentVersion, Paragraph
from consult.directory.models import User
from consult.exports import jobs
from consult.exports.models import ExportJob
from consult.extensions import db
from consult.i18n import utcnow
from consult.mail import OutboxMessage, send_email
from consult.surveys.models import Condition, Survey
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_file, add_response

PASSWORD = "correct horse battery staple"
PERSONAS = (
    "anonymous",
    "participant_audience",
    "participant_other_type",
    "participant_other_org",
    "moderator_other_group",
    "moderator_this_group",
    "staff",
    "admin",
)
CAMPAIGN_TEXT = "We ask that the notification period be extended to thirty days."
QUESTIONS = [
    {"type": "short_text", "code": "Q1", "label": "Your view?"},
    {"type": "yes_no", "code": "Q2", "label": "Agree?"},
    {"type": "file", "code": "Q3", "label": "Evidence", "conditions": [("Q2", "equals", "yes")]},
]


def build_world(app) -> SimpleNamespace:
    """Every persona, both consultations and the value of every URL argument (ids of the first consultation)."""
    with app.app_context():
        users = _personas()
        group = create_group("Group G", moderator_ids=[users["moderator_this_group"].id])
        other_group = create_group("Group H", moderator_ids=[users["moderator_other_group"].id])
        staff_id = users["staff"].id
        author_id = users["participant_audience"].id
        main = _consultation(group.id, author_id, staff_id)
        other = _consultation(other_group.id, author_id, staff_id)
        invitation, invitation_token = Invitation.issue(
            7, email="invitee@example.org", organization_id=users["participant_audience"].organization_id,
            invited_by_id=staff_id,
        )
        db.session.add(invitation)
        send_email("someone@example.org", "Hello", "A message kept in the outbox.")
        db.session.commit()
        message_id = db.session.query(OutboxMessage.id).scalar()
        reset_token = make_password_reset_token(db.session.get(User, users["participant_audience"].id))
        invitation_id = invitation.id
    tokens = {"auth.accept_invitation": invitation_token, "auth.reset_password": reset_token}
    return SimpleNamespace(
        users=users,
        main=main,
        other=other,
        tokens=tokens,
        ids={
            "user_id": users["participant_audience"].id,
            "organization_id": users["participant_audience"].organization_id,
            "group_id": group.id,
            "message_id": message_id,
            "invitation_id": invitation_id,
        },
    )


def _personas() -> dict[str, SimpleNamespace]:
    rights_holder_a = create_organization(stakeholder_type="rights_holder").id
    rights_holder_b = create_organization(stakeholder_type="rights_holder").id
    customs = create_organization(stakeholder_type="customs").id
    return {
        "participant_audience": create_user(password=PASSWORD, organization_id=rights_holder_a),
        "participant_other_type": create_user(password=PASSWORD, organization_id=customs),
        "participant_other_org": create_user(password=PASSWORD, organization_id=rights_holder_b),
        "moderator_other_group": create_user(role="moderator", password=PASSWORD),
        "moderator_this_group": create_user(role="moderator", password=PASSWORD),
        "staff": create_user(role="staff", password=PASSWORD),
        "admin": create_user(role="admin", password=PASSWORD),
    }


def _consultation(group_id: int, author_id: int, staff_id: int) -> SimpleNamespace:
    consultation = create_consultation(group_id, audience_mode="restricted", audience_types=["rights_holder"])
    document = create_document(consultation.id)
    _second_version_from_a_file(document.id)
    comment_id = create_comment(consultation.id, author_id, paragraph_id=document.paragraph_ids[0])
    for _ in range(2):
        create_comment(consultation.id, author_id, body=CAMPAIGN_TEXT)
    survey = create_survey(consultation.id, questions=QUESTIONS)
    response_id = add_response(survey.id, author_id, status="submitted", answers={"Q1": "Yes", "Q2": "yes"})
    file_id = add_file(response_id, survey.question_ids["Q3"])
    section_id = db.session.get(Survey, survey.id).sections[0].id
    condition_id = db.session.query(Condition.id).filter_by(question_id=survey.question_ids["Q3"]).scalar()
    job = _finished_job(consultation.id, staff_id)
    return SimpleNamespace(
        id=consultation.id,
        slug=consultation.slug,
        document_id=document.id,
        thread_key=document.thread_keys[0],
        comment_id=comment_id,
        survey_id=survey.id,
        response_id=response_id,
        file_id=file_id,
        question_id=survey.question_ids["Q1"],
        section_id=section_id,
        condition_id=condition_id,
        job_token=job,
    )


def _second_version_from_a_file(document_id: int) -> None:
    """Version 2 (so the diff exists), uploaded as a file (so the original can be downloaded)."""
    first = db.session.scalars(select(DocumentVersion).filter_by(document_id=document_id)).one()
    second = DocumentVersion(document_id=document_id, number=2, original_locale="en", source_format="markdown",
                             source_filename="document.md", source_mimetype="text/markdown",
                             source_file=b"First paragraph, amended.")
    for old in first.paragraphs:
        second.paragraphs.append(Paragraph(position=old.position, number=old.number, kind=old.kind,
                                           thread_key=old.thread_key, text=old.text))
    db.session.add(second)
    db.session.commit()


def _finished_job(consultation_id: int, staff_id: int) -> str:
    now = utcnow()
    token = f"matrix-job-{consultation_id}-" + "x" * 30
    job = ExportJob(token=token, requested_by_id=staff_id, consultation_id=consultation_id, kind="comments",
                    format="csv", status="done", rows_done=1, rows_total=1, stored_name=f"{token}.csv",
                    download_name="comments.csv", created_at=now, finished_at=now,
                    expires_at=now + timedelta(hours=24))
    db.session.add(job)
    db.session.commit()
    jobs.stored_path(job).write_text("id\n1\n")
    return token


SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}
ACTIONS = {"consultations.change_state": "close-early", "moderation.act": "approve"}


def url_values(rule, world: SimpleNamespace, consultation: SimpleNamespace | None = None) -> dict:
    """A value for each argument of `rule`, taken from `consultation` (default: the main one)."""
    objects = consultation or world.main
    values = {}
    for name in rule.arguments:
        if name == "token":
            values[name] = world.tokens.get(rule.endpoint, objects.job_token)
        elif name == "action":
            values[name] = ACTIONS[rule.endpoint]
        elif name == "number":
            values[name] = 2 if rule.endpoint.startswith("consultations.document_") else 1
        elif name == "ext":
            values[name] = "csv"
        elif name == "extension":
            values[name] = "xlsx"
        elif name == "locale":
            values[name] = "fr"
        elif name in world.ids:
            values[name] = world.ids[name]
        else:
            values[name] = getattr(objects, name)
    return values


def row_counts() -> dict[str, int]:
    """Rows in every table: a request that changes nothing leaves these as they were."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
        }


def audit_actions() -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
