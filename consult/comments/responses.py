"""Secretariat responses: one per comment, compiled per consultation, published when the secretariat is ready."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import contains_eager, joinedload

from consult import audit
from consult.comments.models import (
    MAX_BODY_LENGTH,
    Comment,
    CommentStatus,
    ResponseOutcome,
    SecretariatResponse,
)
from consult.comments.moderation import MAX_NOTE_LENGTH
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
from consult.extensions import db
from consult.i18n import LOCALES, utcnow

# Comments the secretariat answers: what was submitted and not taken back or turned down.
ANSWERABLE_STATUSES = (CommentStatus.PENDING.value, CommentStatus.PUBLISHED.value, CommentStatus.HIDDEN.value)


class Refused(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Counts:
    comments: int
    with_response: int

    @property
    def without_response(self) -> int:
        return self.comments - self.with_response


def is_answerable(comment: Comment) -> bool:
    return comment.status in ANSWERABLE_STATUSES


def write_response(actor, comment: Comment, outcome: str, text: str, language: str) -> SecretariatResponse:
    """Create or update the comment's one secretariat response."""
    if not comment.can_moderate(actor):
        raise Refused(_("You do not manage this consultation."), 403)
    if outcome not in set(ResponseOutcome):
        raise Refused(_("Choose an outcome from the list."), 400)
    if language not in LOCALES:
        raise Refused(_("Choose English, French or Spanish."), 400)
    text = (text or "").strip()
    if len(text) > MAX_BODY_LENGTH:
        raise Refused(_("The response is too long."), 400)
    if not is_answerable(comment):
        raise Refused(_("This comment was withdrawn or rejected; it takes no secretariat response."))

    response = comment.response
    created = response is None
    if created:
        response = SecretariatResponse(comment=comment)
        db.session.add(response)
    response.outcome = outcome
    response.text = text
    response.language = language
    response.author_id = actor.id
    response.updated_at = utcnow()
    audit.record(
        actor,
        "response_written",
        comment,
        consultation_id=comment.consultation_id,
        outcome=outcome,
        language=language,
        created=created,
    )
    db.session.commit()
    return response


def publish_responses(actor, consultation: Consultation, reason: str = "") -> bool:
    """Show the responses to the audience; False (and nothing written) if they already are."""
    reason = _checked_reason(actor, consultation, reason)
    if consultation.responses_published_at is not None:
        return False
    consultation.responses_published_at = utcnow()
    audit.record(actor, "responses_published", consultation, reason=reason)
    db.session.commit()
    return True


def unpublish_responses(actor, consultation: Consultation, reason: str = "") -> bool:
    """Take the responses back from the audience; False (and nothing written) if they were not shown."""
    reason = _checked_reason(actor, consultation, reason)
    if consultation.responses_published_at is None:
        return False
    consultation.responses_published_at = None
    audit.record(actor, "responses_unpublished", consultation, reason=reason)
    db.session.commit()
    return True


def _checked_reason(actor, consultation: Consultation, reason: str) -> str:
    if not consultation.can_manage(actor):
        raise Refused(_("You do not manage this consultation."), 403)
    reason = (reason or "").strip()
    if len(reason) > MAX_NOTE_LENGTH:
        raise Refused(_("The reason is too long."), 400)
    return reason


# --- Reading -----------------------------------------------------------------


def compilation_query(consultation: Consultation, without_response: bool = False) -> Select:
    """Every answerable comment: the general thread first, then document by document, paragraph by paragraph."""
    query = (
        select(Comment)
        .outerjoin(Comment.document)
        .outerjoin(Comment.paragraph)
        .outerjoin(DocumentVersion, Paragraph.version_id == DocumentVersion.id)
        .outerjoin(Comment.response)
        .where(Comment.consultation_id == consultation.id, Comment.status.in_(ANSWERABLE_STATUSES))
        .options(
            contains_eager(Comment.document),
            contains_eager(Comment.paragraph),
            contains_eager(Comment.response),
            joinedload(Comment.author),
            joinedload(Comment.organization),
        )
        .order_by(
            # CASE and COALESCE, not NULLS FIRST: SQLite and PostgreSQL sort NULL differently.
            case((Comment.document_id.is_(None), 0), else_=1),
            func.coalesce(WorkingDocument.position, 0),
            func.coalesce(Comment.document_id, 0),
            func.coalesce(DocumentVersion.number, 0),
            func.coalesce(Paragraph.position, 0),
            Comment.created_at,
            Comment.id,
        )
    )
    if without_response:
        query = query.where(SecretariatResponse.id.is_(None))
    return query


def response_counts(consultation: Consultation) -> Counts:
    row = db.session.execute(
        select(func.count(Comment.id), func.count(SecretariatResponse.id))
        .select_from(Comment)
        .outerjoin(Comment.response)
        .where(Comment.consultation_id == consultation.id, Comment.status.in_(ANSWERABLE_STATUSES))
    ).one()
    return Counts(comments=row[0], with_response=row[1])


def consultation_by_slug(slug: str) -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))
