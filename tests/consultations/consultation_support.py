"""Shared by the consultation tests: a moderator with a group, valid editor input, counting queries."""

from __future__ import annotations

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.consultations.models import Consultation
from consult.extensions import db
from tests.factories import create_group
from tests.helpers import counted_queries  # noqa: F401  (re-exported for the tests here)


def moderator_with_group(app, client_as, **fields):
    """A signed-in moderator of a new group (its id on `.group_id`)."""
    client = client_as("moderator", **fields)
    with app.app_context():
        client.group_id = create_group(name=f"Group of {client.user.email}", moderator_ids=[client.user.id]).id
    return client


def editor_data(group_id: int, **overrides) -> dict:
    """What a person types into the consultation editor; a value of None leaves the field out."""
    data = {
        "original_locale": "en",
        "title_en": "Draft guidelines on e-commerce",
        "summary_en": "Comments on the draft guidelines.",
        "body_en": "The **background** of the guidelines.",
        "group_id": str(group_id),
        "opens_at": "2031-01-15T09:00",
        "closes_at": "2031-02-15T18:00",
        "time_zone": "Europe/Paris",
        "audience_mode": "public",
        "moderation_mode": "post",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def consultation(slug: str) -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


