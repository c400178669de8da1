"""Helpers for the whole-application security tests: one of every object, and every rule as a concrete URL.

`build_world` writes one object of every kind a URL can name; `concrete_urls` turns each rule of the url_map
into real paths by filling its arguments from that world, so a new route enters the tests without any edit
here unless it names a new kind of argument (then `concrete_urls` fails and says which).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from flask import url_for
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter

from consult.auth.models import Invitation
from consult.auth.tokens import make_password_reset_token
from consult.consultations.models import DocumentVersion
from consult.directory.models import User
from consult.exports.models import ExportJob
from consult.extensions import db
from consult.i18n import utcnow
from consult.mail import OutboxMessage
from consult.surveys.models import Survey
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_file, add_response

CAMPAIGN_TEXT = "We ask the secretariat to keep the current customs thresholds unchanged."


def table_counts() -> dict[str, int]:
    """Rows in every table (call inside an app context)."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


# What the report keeps once worked out from the answers: campaign groups (consult/exports/campaign_analysis.py) and,
# the first time a survey is reported on, its answer tallies (consult/surveys/tallies.py; kept up to date from then
# on). Counts and groups derived from what people wrote, shown nowhere but in the report.
DERIVED_TABLES = ("campaign_analysis", "survey_tally", "survey_respondent_tally", "survey_tally_state")


def changed_counts(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


def build_world(app, admin_id: int, participant_id: int) -> dict[str, object]:
    """One object of every kind a URL names; returns URL argument values by argument name (and endpoint)."""
    with app.app_context():
        participant = db.session.get(User, participant_id)
        other_organization = create_organization(stakeholder_type="rights_holder")
        other = create_user(password="another long password", organization_id=other_organization.id)
        group = create_group(organization_ids=[participant.organization_id], moderator_ids=[admin_id])
        consultation = create_consultation(group_id=group.id)
        document = create_document(consultation.id)
        version = db.session.get(DocumentVersion, document.version_id)
        version.source_file, version.source_filename, version.source_mimetype = b"# Draft", "draft.md", "text/markdown"
        comment_id = create_comment(consultation.id, participant_id, body=CAMPAIGN_TEXT,
                                    paragraph_id=document.paragraph_ids[0])
        create_comment(consultation.id, other.id, body=CAMPAIGN_TEXT, paragraph_id=document.paragraph_ids[0])
        survey = create_survey(consultation.id, questions=[
            {"type": "short_text", "code": "Q1", "label": "Your view?"},
            {"type": "short_text", "code": "Q2", "label": "Why?", "conditions": [("Q1", "answered", "")]},
            {"type": "file", "code": "DOC", "label": "Supporting document"},
        ])
        survey_row = db.session.get(Survey, survey.id)
        section_id = survey_row.sections[0].id
        condition_id = survey_row.questions[1].conditions[0].id
        response_id = add_response(survey.id, participant_id, status="submitted", answers={"Q1": "Yes"})
        file_id = add_file(response_id, survey.question_ids["DOC"])
        now = utcnow()
        job = ExportJob(token="security-test-job-" + "x" * 30, requested_by_id=admin_id,
                        consultation_id=consultation.id, kind="comments", format="csv", status="queued",
                        created_at=now, expires_at=now + timedelta(hours=24))
        invitation, invitation_token = Invitation.issue(7, email="invited@example.org", invited_by_id=admin_id,
                                                        organization_id=other_organization.id)
        message = OutboxMessage(recipient="someone@example.org", subject="Hello", body="Hello.")
        db.session.add_all([job, invitation, message])
        db.session.commit()
        reset_token = make_password_reset_token(db.session.get(User, other.id))
        return {
            "group_id": group.id,
            "organization_id": other_organization.id,
            "user_id": other.id,
            "message_id": message.id,
            "invitation_id": invitation.id,
            "slug": consultation.slug,
            "document_id": document.id,
            "thread_key": document.thread_keys[0],
            "locale": "fr",
            "number": 1,  # the document's first version; the first campaign (two identical comments)
            "comment_id": comment_id,
            "survey_id": survey.id,
            "section_id": section_id,
            "question_id": survey.question_ids["Q2"],
            "condition_id": condition_id,
            "response_id": response_id,
            "file_id": file_id,
            "ext": ["csv", "xlsx", "json"],
            "token": {
                "exports.export_job": job.token,
                "exports.export_job_download": job.token,
                "auth.accept_invitation": invitation_token,
                "auth.reset_password": reset_token,
            },
            "filename": {"static": "consult.css", "bootstrap.static": "css/bootstrap.min.css"},
        }


def concrete_urls(app, world: dict[str, object], method: str) -> list[tuple[str, str]]:
    """(endpoint, path) for every rule accepting `method`; `any(...)` arguments give one path per choice."""
    urls: list[tuple[str, str]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method not in rule.methods:
            continue
        choices: list[dict[str, object]] = [{}]
        for name in sorted(rule.arguments):
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                values = list(converter.items)
            else:
                assert name in world, f"{rule.rule}: no test object for URL argument {name!r}; add it to build_world"
                value = world[name]
                if isinstance(value, dict):
                    assert rule.endpoint in value, f"{rule.rule}: no {name!r} for endpoint {rule.endpoint}"
                    value = value[rule.endpoint]
                values = value if isinstance(value, list) else [value]
            choices = [{**chosen, name: value} for chosen in choices for value in values]
        with app.test_request_context():
            urls.extend((rule.endpoint, url_for(rule.endpoint, **chosen)) for chosen in choices)
    return urls


def people(app, client_as) -> SimpleNamespace:
    """A signed-in admin (who may do everything) and a signed-in participant with an organization."""
    admin = client_as("admin")
    participant = client_as("participant")
    return SimpleNamespace(admin=admin, participant=participant,
                           world=build_world(app, admin.user.id, participant.user.id))
