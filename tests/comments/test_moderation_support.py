"""Helpers shared by the moderation and secretariat response tests (no tests here).

A scene is what a moderator meets on a working day: a group they moderate, an open
consultation of that group with a two-paragraph document, a French-speaking delegate
and an English-speaking one, and a consultation of another group they do not run.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.comments.models import Comment, CommentFlag, SecretariatResponse
from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import utcnow
from consult.mail import OutboxMessage
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import (
    counted_queries,  # noqa: F401  (re-exported for the tests here)
    create_organization,
    create_user,
    login,
    submit,
)

PASSWORD = "correct horse battery staple"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def build_scene(app, client_as, moderation_mode: str = "post", audience_mode: str = "public") -> SimpleNamespace:
    """A signed-in moderator, their group's consultation and document, two delegates, another group's consultation."""
    moderator = client_as("moderator")
    with app.app_context():
        rights_holder = create_organization(name="Maison Lumière", country="FR", stakeholder_type="rights_holder")
        marketplace = create_organization(name="Global Market Ltd", country="GB", stakeholder_type="intermediary")
        french = create_user(
            role="participant", password=PASSWORD, organization_id=rights_holder.id,
            locale="fr", display_name="Camille Martin", email="camille@example.org",
        )
        english = create_user(
            role="participant", password=PASSWORD, organization_id=marketplace.id,
            locale="en", display_name="John Smith", email="john@example.org",
        )
        group = create_group(
            name="Counterfeiting and Piracy Group",
            organization_ids=[rights_holder.id, marketplace.id],
            moderator_ids=[moderator.user.id],
        )
        consultation = create_consultation(
            group_id=group.id,
            title={"en": "Draft guidelines on e-commerce", "fr": "Projet de lignes directrices"},
            moderation_mode=moderation_mode,
            audience_mode=audience_mode,
            audience_group_ids=[group.id] if audience_mode == "restricted" else (),
        )
        document = create_document(
            consultation.id, paragraphs=["Scope of the guidelines.", "Small parcels are inspected."],
            title="Guidelines",
        )
        other_group = create_group(name="Customs Group")
        other = create_consultation(group_id=other_group.id, title={"en": "Another group's consultation"})
    return SimpleNamespace(
        moderator=moderator,
        french=french,
        english=english,
        group=group,
        consultation=consultation,
        document=document,
        other=other,
        other_group=other_group,
    )


def add_comment(app, consultation_id: int, author_id: int, **fields) -> int:
    with app.app_context():
        return create_comment(consultation_id, author_id, **fields)


def add_flag(app, comment_id: int, user_id: int, reason: str = "spam", note: str = "") -> int:
    with app.app_context():
        flag = CommentFlag(comment_id=comment_id, user_id=user_id, reason=reason, note=note)
        db.session.add(flag)
        db.session.commit()
        return flag.id


def load(app, model, row_id: int):
    with app.app_context():
        row = db.session.get(model, row_id)
        if row is not None:
            db.session.expunge(row)
        return row


def comment_state(app, comment_id: int) -> tuple:
    comment = load(app, Comment, comment_id)
    return (comment.status, comment.moderation_reason, comment.moderation_note, comment.moderated_by_id)


def open_flags(app, comment_id: int) -> list[CommentFlag]:
    with app.app_context():
        flags = db.session.scalars(
            select(CommentFlag).where(CommentFlag.comment_id == comment_id, CommentFlag.resolved_at.is_(None))
        ).all()
        db.session.expunge_all()
        return list(flags)


def audit_rows(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def moderation_audit_count(app) -> int:
    """Audit rows other than sign-ins: what an action under test may have written."""
    return len([row for row in audit_rows(app) if row.action not in ("login", "logout", "login_failed")])


def outbox(app, recipient: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def response_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SecretariatResponse)) or 0


def responses_published_at(app, consultation_id: int):
    return load(app, Consultation, consultation_id).responses_published_at


def set_responses_published(app, consultation_id: int, published: bool = True) -> None:
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        consultation.responses_published_at = utcnow() if published else None
        db.session.commit()


def sign_in(app, client, user) -> None:
    login(client, user.email, user.password)


def post_form(client, path: str, data: dict, form_page: str):
    """POST as the browser would, with the CSRF token of the page that shows the form."""
    return submit(client, path, data, form_page=form_page)


