"""Shared setup for the survey builder tests: a consultation its moderator manages, URLs, reading the database."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.extensions import db
from consult.surveys import builder
from consult.surveys.definition import from_survey, to_json
from consult.surveys.models import Response, Survey
from tests.factories import create_consultation, create_group
from tests.helpers import (
    counted_queries,  # noqa: F401  (re-exported for the tests here)
    create_user,
    submit,
)


def builder_env(app, client_as) -> SimpleNamespace:
    """A moderator signed in, moderating the group of an open public consultation (each test module's `env`)."""
    moderator = client_as("moderator")
    with app.app_context():
        group = create_group(moderator_ids=[moderator.user.id])
        consultation = create_consultation(group_id=group.id)
    return SimpleNamespace(client=moderator, slug=consultation.slug, consultation_id=consultation.id, app=app)


def url(env, survey_id: int | None = None, suffix: str = "edit") -> str:
    if survey_id is None:
        return f"/consultations/{env.slug}/surveys/{suffix}"
    return f"/consultations/{env.slug}/surveys/{survey_id}/{suffix}"


def text(response) -> str:
    """The page as a person reads it: tags removed, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def post(env, path: str, data: dict | None = None, form_page: str | None = None, **kwargs):
    """POST with a CSRF token taken from the builder page (or `form_page`)."""
    return submit(env.client, path, data or {}, form_page=form_page or path_for_token(env, path), **kwargs)


def path_for_token(env, path: str) -> str:
    match = re.match(r"(/consultations/[^/]+/surveys/\d+)/", path)
    return f"{match.group(1)}/edit" if match else f"/consultations/{env.slug}/surveys/new"


def definition_of(app, survey_id: int) -> dict:
    """Everything a survey is made of, as its JSON definition (a complete picture for "nothing changed")."""
    with app.app_context():
        survey = builder.load_survey(survey_id)
        data = to_json(from_survey(survey))
        data["published"] = survey.published_at is not None
        return data


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return events


def survey_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Survey.id).order_by(Survey.id)))


def add_response(app, survey_id: int, status: str = "draft") -> int:
    """Someone has started answering (a draft is enough to protect the answers)."""
    with app.app_context():
        respondent = create_user()
        response = Response(
            survey_id=survey_id, owner_key=f"user:{respondent.id}", respondent_id=respondent.id, status=status
        )
        db.session.add(response)
        db.session.commit()
        return response.id


