"""Comments being written, kept so that nothing a participant writes is lost.

A draft is kept when the person saves it, when their session had expired as
they posted (then it belongs to the browser session until they sign in again),
and when the consultation closed while they were typing. Each draft has a
context, the form it belongs to: "general", "paragraph:<id>" or "reply:<id>".
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import session
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from consult.auth.service import COMMENT_DRAFT_SESSION_KEY
from consult.comments.models import CommentDraft
from consult.consultations.models import Consultation
from consult.extensions import db

FIELDS = ("body", "comment_type", "position", "proposed_wording", "language", "visibility")
# A draft keeps more than a comment may hold, so an over-long text is kept whole.
MAX_FIELD_LENGTH = 200_000
GENERAL = "general"


def context_for(paragraph_id: int | None = None, parent_id: int | None = None) -> str:
    if parent_id is not None:
        return f"reply:{parent_id}"
    if paragraph_id is not None:
        return f"paragraph:{paragraph_id}"
    return GENERAL


def clean_fields(raw: Mapping) -> dict[str, str]:
    return {name: str(raw.get(name) or "")[:MAX_FIELD_LENGTH] for name in FIELDS}


def has_text(fields: Mapping) -> bool:
    return bool((fields.get("body") or "").strip() or (fields.get("proposed_wording") or "").strip())


def _user_draft(user_id: int, consultation_id: int, context: str) -> CommentDraft | None:
    return db.session.scalar(
        select(CommentDraft).where(
            CommentDraft.user_id == user_id,
            CommentDraft.consultation_id == consultation_id,
            CommentDraft.context == context,
        )
    )


def save_for_user(user, consultation_id: int, context: str, fields: Mapping) -> CommentDraft:
    """Keep `fields` as the person's draft for this form, replacing an earlier one; commits."""
    values = clean_fields(fields)
    for _attempt in range(2):
        draft = _user_draft(user.id, consultation_id, context)
        if draft is None:
            draft = CommentDraft(user_id=user.id, consultation_id=consultation_id, context=context, fields=values)
            db.session.add(draft)
        else:
            draft.fields = values
        try:
            db.session.commit()
            return draft
        except IntegrityError:  # the same draft saved twice at once: update the one that won
            db.session.rollback()
    raise RuntimeError("could not save the draft")


def keep_for_session(consultation_id: int, context: str, fields: Mapping) -> None:
    """Keep a comment posted after the session expired, under a key stored in the browser session."""
    key = session.get(COMMENT_DRAFT_SESSION_KEY) or secrets.token_urlsafe(32)
    session[COMMENT_DRAFT_SESSION_KEY] = key
    values = clean_fields(fields)
    draft = db.session.scalar(
        select(CommentDraft).where(
            CommentDraft.session_key == key,
            CommentDraft.user_id.is_(None),
            CommentDraft.consultation_id == consultation_id,
            CommentDraft.context == context,
        )
    )
    if draft is None:
        db.session.add(CommentDraft(session_key=key, consultation_id=consultation_id, context=context, fields=values))
    else:
        draft.fields = values
    db.session.commit()


def claim_session_drafts(user) -> int:
    """Give the person signing in the drafts their expired session kept, for consultations they can see.

    Returns how many were claimed. The session forgets its key either way.
    """
    key = session.pop(COMMENT_DRAFT_SESSION_KEY, None)
    if not key:
        return 0
    kept = db.session.scalars(
        select(CommentDraft).where(CommentDraft.session_key == key, CommentDraft.user_id.is_(None))
    ).all()
    claimed = 0
    for draft in kept:
        consultation = db.session.get(Consultation, draft.consultation_id)
        if consultation is None or not consultation.visible_to(user):
            continue
        existing = _user_draft(user.id, draft.consultation_id, draft.context)
        if existing is None:
            draft.user_id, draft.session_key = user.id, None
        else:
            existing.fields = dict(draft.fields)
            db.session.delete(draft)
        claimed += 1
    db.session.commit()
    return claimed


def discard(user_id: int, consultation_id: int, context: str) -> None:
    """Forget the person's draft for this form (the caller commits)."""
    db.session.execute(
        delete(CommentDraft).where(
            CommentDraft.user_id == user_id,
            CommentDraft.consultation_id == consultation_id,
            CommentDraft.context == context,
        )
    )


def drafts_by_context(user, consultation_id: int) -> dict[str, CommentDraft]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    drafts = db.session.scalars(
        select(CommentDraft).where(CommentDraft.user_id == user.id, CommentDraft.consultation_id == consultation_id)
    )
    return {draft.context: draft for draft in drafts}
