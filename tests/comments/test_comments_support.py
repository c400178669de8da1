"""Helpers shared by the comment, thread and draft tests (no tests here).

A discussion is what a delegate meets: an open consultation of a group, with a
three-paragraph document (a heading and two numbered paragraphs), two delegates
of different organizations, the group's moderator, and another group's
consultation with its own document.
"""

from __future__ import annotations

import html
import uuid
from types import SimpleNamespace

from flask import render_template, session
from flask_login import login_user
from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.comments.models import Comment, CommentDraft
from consult.consultations.extensions import consultation_sections, document_sections
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
from consult.directory.models import User
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import (
    counted_queries,  # noqa: F401  (re-exported for the tests here)
    create_organization,
    create_user,
    login,
    submit,
)

PASSWORD = "correct horse battery staple"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def build_discussion(app, client_as, moderation_mode: str = "post", audience_mode: str = "public",
                     state: str = "open") -> SimpleNamespace:
    moderator = client_as("moderator", display_name="Maria Moderator")
    with app.app_context():
        rights_holder = create_organization(name="Maison Lumière", country="FR", stakeholder_type="rights_holder")
        marketplace = create_organization(name="Mercado Global", country="ES", stakeholder_type="intermediary")
        customs = create_organization(name="Douane Nord", country="BE", stakeholder_type="customs")
        camille = create_user(password=PASSWORD, organization_id=rights_holder.id, locale="fr",
                              display_name="Camille Martin", email="camille@example.org")
        pablo = create_user(password=PASSWORD, organization_id=marketplace.id, locale="es",
                            display_name="Pablo García", email="pablo@example.org")
        outsider = create_user(password=PASSWORD, organization_id=customs.id, display_name="Olaf Outsider",
                               email="olaf@example.org")
        group = create_group(name="Counterfeiting and Piracy Group",
                             organization_ids=[rights_holder.id, marketplace.id],
                             moderator_ids=[moderator.user.id])
        consultation = create_consultation(
            group_id=group.id, state=state, slug="guidelines", moderation_mode=moderation_mode,
            audience_mode=audience_mode,
            audience_types=("rights_holder", "intermediary") if audience_mode == "restricted" else (),
            title={"en": "Draft guidelines on e-commerce"},
        )
        document = create_document(consultation.id, paragraphs=["Scope of the guidelines.",
                                                                 "Small parcels are inspected at the border."],
                                   translations={"fr": ["Champ des lignes directrices.",
                                                        "Les petits colis sont inspectés à la frontière."]},
                                   title="Guidelines")
        heading_id = add_heading(document.version_id)
        other = create_consultation(group_id=create_group(name="Customs Group").id, slug="other-consultation")
        other_document = create_document(other.id, paragraphs=["Another paragraph."])
    return SimpleNamespace(
        moderator=moderator, camille=camille, pablo=pablo, outsider=outsider, group=group,
        consultation=consultation, document=document, paragraph_ids=document.paragraph_ids,
        heading_id=heading_id, other=other, other_document=other_document,
    )


def add_heading(version_id: int) -> int:
    heading = Paragraph(version_id=version_id, position=0, number=None, kind="heading", level=2,
                        thread_key=uuid.uuid4().hex, text=LocalizedText({"en": "Introduction"}, "en"))
    db.session.add(heading)
    db.session.commit()
    return heading.id


def signed_in(app, user, locale: str = "en"):
    """A client signed in as `user`, reading the site in `locale` (tests read English unless they say)."""
    client = app.test_client()
    login(client, user.email, user.password)
    submit(client, "/language", {"locale": locale}, form_page="/")
    client.user = user
    return client


def comment_fields(**overrides) -> dict:
    fields = {
        "body": "I support this paragraph.",
        "comment_type": "general",
        "position": "",
        "proposed_wording": "",
        "language": "en",
        "visibility": "audience",
        "paragraph_id": "",
        "parent_id": "",
        "submission_key": uuid.uuid4().hex,
        "next": "",
    }
    fields.update(overrides)
    return fields


def post_comment(client, slug: str = "guidelines", **overrides):
    return submit(client, f"/consultations/{slug}/comments", comment_fields(**overrides), form_page="/")


def add_comment(app, consultation_id: int, author_id: int, **fields) -> int:
    with app.app_context():
        return create_comment(consultation_id, author_id, **fields)


def comments(app, **where) -> list[Comment]:
    with app.app_context():
        query = select(Comment).order_by(Comment.id)
        for name, value in where.items():
            query = query.where(getattr(Comment, name) == value)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def drafts_of(app, **where) -> list[CommentDraft]:
    with app.app_context():
        query = select(CommentDraft).order_by(CommentDraft.id)
        for name, value in where.items():
            query = query.where(getattr(CommentDraft, name) == value)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)


def audit_actions(app, prefix: str = "comment_") -> list[str]:
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
        return [action for action in actions if action.startswith(prefix)]


def set_fields(app, model, row_id: int, **fields) -> None:
    with app.app_context():
        row = db.session.get(model, row_id)
        for name, value in fields.items():
            setattr(row, name, value)
        db.session.commit()


def add_version(app, document_id: int, texts: list[str | None]) -> SimpleNamespace:
    """Publish a new version: a None keeps the previous version's paragraph (and its thread), text replaces it."""
    with app.app_context():
        document = db.session.get(WorkingDocument, document_id)
        previous = [p for p in document.current_version.paragraphs if not p.is_heading]
        version = DocumentVersion(document=document, number=document.current_version.number + 1,
                                  original_locale="en")
        for position, (old, text) in enumerate(zip(previous, texts, strict=True), start=1):
            version.paragraphs.append(Paragraph(
                position=position, number=position, kind="paragraph",
                thread_key=old.thread_key if text is None else uuid.uuid4().hex,
                text=old.text if text is None else LocalizedText({"en": text}, "en"),
            ))
        db.session.add(version)
        db.session.commit()
        return SimpleNamespace(id=version.id, paragraph_ids=[p.id for p in version.paragraphs])


# --- Rendering the sections as the consultation and document pages include them ---------


def render_discussion(app, user_id: int, slug: str = "guidelines", query: str = "", locale: str = "en") -> str:
    """The general thread section, rendered for `user_id` as the consultation page would include it."""
    with app.test_request_context(f"/consultations/{slug}{query}"):
        session["locale"] = locale
        user = db.session.get(User, user_id)
        login_user(user)
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
        found = [s for s in consultation_sections(consultation, user) if s.name == "discussion"]
        if not found:
            return ""
        return html.unescape(render_template(found[0].template, section=found[0], consultation=consultation))


def render_document_threads(app, user_id: int, document_id: int, version_number: int | None = None,
                            locale: str = "en") -> str:
    """Every paragraph's thread, rendered as the document page includes them after each paragraph."""
    with app.test_request_context(f"/consultations/guidelines/documents/{document_id}"):
        session["locale"] = locale
        user = db.session.get(User, user_id)
        login_user(user)
        return html.unescape(_render_threads(user, document_id, version_number))


def _render_threads(user, document_id: int, version_number: int | None) -> str:
    document = db.session.get(WorkingDocument, document_id)
    version = document.current_version if version_number is None else next(
        v for v in document.versions if v.number == version_number)
    sections = document_sections(document, version, user, {})
    if "threads" not in sections:
        return ""
    section = sections["threads"]
    parts = []
    for paragraph in version.paragraphs:
        if paragraph.is_heading:
            continue
        parts.append(f'<div id="{paragraph.anchor}">')
        parts.append(render_template(section.template, section=section, paragraph=paragraph, document=document,
                                     version=version, consultation=document.consultation))
        parts.append("</div>")
    return "".join(parts)


