"""Objects for tests, built straight from the models (call inside an app context)."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from types import SimpleNamespace

from consult.comments.models import Comment
from consult.consultations.models import (
    Consultation,
    ConsultationAudienceType,
    DocumentVersion,
    Paragraph,
    WorkingDocument,
)
from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.i18n import LocalizedText, utcnow

_numbers = itertools.count(1)


def create_group(name: str | None = None, organization_ids=(), moderator_ids=()) -> SimpleNamespace:
    group = Group(
        name=LocalizedText({"en": name or f"Group {next(_numbers)}"}, "en"),
        description=LocalizedText({}, "en"),
        organizations=[db.session.get(Organization, i) for i in organization_ids],
        moderators=[db.session.get(User, i) for i in moderator_ids],
    )
    db.session.add(group)
    db.session.commit()
    return SimpleNamespace(id=group.id)


def dates_for(state: str):
    now = utcnow()
    return {
        "open": (now - timedelta(days=1), now + timedelta(days=14)),
        "draft": (now - timedelta(days=1), now + timedelta(days=14)),
        "scheduled": (now + timedelta(days=2), now + timedelta(days=20)),
        "closed": (now - timedelta(days=20), now - timedelta(days=1)),
        "archived": (now - timedelta(days=40), now - timedelta(days=30)),
    }[state]


def create_consultation(
    group_id: int | None = None,
    state: str = "open",
    title: dict | None = None,
    audience_mode: str = "public",
    audience_group_ids=(),
    audience_types=(),
    moderation_mode: str = "post",
    slug: str | None = None,
    **fields,
) -> SimpleNamespace:
    if group_id is None:
        group_id = create_group().id
    number = next(_numbers)
    opens_at, closes_at = dates_for(state)
    consultation = Consultation(
        slug=slug or f"consultation-{number}",
        title=LocalizedText(title or {"en": f"Consultation {number}"}, "en"),
        summary=LocalizedText({"en": "A summary."}, "en"),
        body=LocalizedText({"en": "The **background** of the consultation."}, "en"),
        group_id=group_id,
        opens_at=opens_at,
        closes_at=closes_at,
        time_zone="Europe/Brussels",
        published_at=None if state == "draft" else opens_at - timedelta(days=1),
        archived_at=closes_at + timedelta(days=1) if state == "archived" else None,
        audience_mode=audience_mode,
        moderation_mode=moderation_mode,
        audience_groups=[db.session.get(Group, i) for i in audience_group_ids],
        audience_type_rows=[ConsultationAudienceType(stakeholder_type=t) for t in audience_types],
        **fields,
    )
    db.session.add(consultation)
    db.session.commit()
    return SimpleNamespace(id=consultation.id, slug=consultation.slug, group_id=group_id)


def create_document(
    consultation_id: int,
    paragraphs: list[str] | None = None,
    translations: dict[str, list[str]] | None = None,
    category: str = "B",
    title: str | None = None,
) -> SimpleNamespace:
    paragraphs = paragraphs if paragraphs is not None else ["First paragraph.", "Second paragraph."]
    document = WorkingDocument(
        consultation_id=consultation_id,
        title=LocalizedText({"en": title or f"Document {next(_numbers)}"}, "en"),
        category=category,
    )
    version = DocumentVersion(document=document, number=1, original_locale="en")
    for position, text in enumerate(paragraphs, start=1):
        texts = {"en": text}
        for locale, translated in (translations or {}).items():
            texts[locale] = translated[position - 1]
        version.paragraphs.append(
            Paragraph(
                position=position,
                number=position,
                kind="paragraph",
                thread_key=uuid.uuid4().hex,
                text=LocalizedText(texts, "en"),
            )
        )
    db.session.add(document)
    db.session.commit()
    return SimpleNamespace(
        id=document.id,
        version_id=version.id,
        paragraph_ids=[p.id for p in version.paragraphs],
        thread_keys=[p.thread_key for p in version.paragraphs],
    )


def create_comment(
    consultation_id: int,
    author_id: int,
    body: str = "A comment.",
    paragraph_id: int | None = None,
    parent_id: int | None = None,
    status: str = "published",
    visibility: str = "audience",
    **fields,
) -> int:
    author = db.session.get(User, author_id)
    paragraph = db.session.get(Paragraph, paragraph_id) if paragraph_id else None
    parent = db.session.get(Comment, parent_id) if parent_id else None
    comment = Comment(
        consultation_id=consultation_id,
        document_id=paragraph.version.document_id if paragraph else None,
        paragraph_id=paragraph_id,
        thread_key=paragraph.thread_key if paragraph else (parent.thread_key if parent else None),
        parent_id=parent_id,
        depth=min(parent.depth + 1, 3) if parent else 0,
        author_id=author_id,
        organization_id=author.organization_id,
        body=body,
        status=status,
        visibility=visibility,
        **fields,
    )
    db.session.add(comment)
    db.session.commit()
    return comment.id
