"""Helpers for the auth tests: reading the outbox, sending invitations as staff would."""

from __future__ import annotations

import re

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.auth.models import Invitation
from consult.extensions import db
from consult.mail import OutboxMessage
from tests.helpers import submit

INVITATION_LINK = re.compile(r"https?://[^/\s]+(/invitations/accept/[A-Za-z0-9_\-]+)")
RESET_LINK = re.compile(r"https?://[^/\s]+(/password/reset/[A-Za-z0-9_.\-]+)")


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(messages)


def link_in(body: str, pattern: re.Pattern = INVITATION_LINK) -> str:
    """The path of the link in an email body."""
    match = pattern.search(body)
    assert match, f"no link in:\n{body}"
    return match.group(1)


def invite(client, email: str, role: str = "participant", organization_id: int | None = None,
           group_id: int | None = None, locale: str = "en"):
    data = {
        "email": email,
        "role": role,
        "organization": str(organization_id or ""),
        "group": str(group_id or ""),
        "locale": locale,
    }
    return submit(client, "/invitations/", data)


def invitation_path(app, client, email: str, organization_id: int | None = None, **fields) -> str:
    """Invite `email` through the real page and return the path of the link they were sent."""
    response = invite(client, email, organization_id=organization_id, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    messages = [message for message in outbox(app) if message.recipient == email.lower()]
    return link_in(messages[-1].body)


def invitations(app, email: str | None = None) -> list[Invitation]:
    with app.app_context():
        query = select(Invitation).order_by(Invitation.id)
        if email:
            query = query.where(Invitation.email == email)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def audit_actions(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)
