"""What a person does with comments: post, reply, edit, withdraw and flag.

Each operation validates everything first, then writes, audits and commits
once. Bad input raises InvalidInput (messages keyed by form field name); an
action the person may not take raises Refused (with the HTTP status to answer);
an object they may not see raises NotAvailable (404). Nothing is half-written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.audit import record
from consult.comments import drafts
from consult.comments.models import (
    MAX_BODY_LENGTH,
    MAX_DEPTH,
    Comment,
    CommentFlag,
    CommentRevision,
    CommentStatus,
    CommentType,
    FlagReason,
    Position,
    Visibility,
)
from consult.consultations.models import Consultation, ConsultationState, ModerationMode, Paragraph, WorkingDocument
from consult.extensions import db
from consult.i18n import LOCALES, format_local_datetime, utcnow

MAX_FLAG_NOTE = 2_000
_SUBMISSION_KEY = re.compile(r"^[0-9a-fA-F-]{32,36}$")


class InvalidInput(Exception):
    """Input a person must correct; `errors` maps a form field name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class Refused(Exception):
    """An action this person may not take now; the message says why, `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


class Closed(Refused):
    """Comments are no longer accepted here (the consultation closed or the document's deadline passed)."""

    def __init__(self, message: str):
        super().__init__(message, 409)


class NotAvailable(Exception):
    """The object does not exist for this person: answer 404."""


# --- Where a comment goes --------------------------------------------------


@dataclass
class Target:
    """The thread a new comment joins: the general thread, a paragraph's, or under another comment."""

    consultation: Consultation
    paragraph: Paragraph | None = None
    parent: Comment | None = None

    @property
    def document(self) -> WorkingDocument | None:
        return self.paragraph.version.document if self.paragraph is not None else None

    @property
    def thread_key(self) -> str | None:
        if self.parent is not None:
            return self.parent.thread_key
        return self.paragraph.thread_key if self.paragraph is not None else None

    @property
    def context(self) -> str:
        return drafts.context_for(
            paragraph_id=self.paragraph.id if self.paragraph is not None else None,
            parent_id=self.parent.id if self.parent is not None else None,
        )


def resolve_target(consultation: Consultation, user, paragraph_id: int | None, parent_id: int | None) -> Target:
    """Check the paragraph and parent a form names; they may have been tampered with."""
    if parent_id is not None:
        parent = _parent_for_reply(consultation, user, parent_id)
        if paragraph_id is not None and paragraph_id != parent.paragraph_id:
            paragraph = db.session.get(Paragraph, paragraph_id)
            if paragraph is None or paragraph.thread_key != parent.thread_key:
                raise Refused(_("A reply belongs to the thread of the comment it answers."), 400)
        return Target(consultation, parent.paragraph, parent)
    if paragraph_id is not None:
        return Target(consultation, _paragraph_for_comment(consultation, paragraph_id))
    return Target(consultation)


def _parent_for_reply(consultation: Consultation, user, parent_id: int) -> Comment:
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.consultation_id != consultation.id:
        raise NotAvailable()
    if not (parent.visible_to(user) or parent.shows_placeholder_to(user)):
        raise NotAvailable()
    reasons = {
        CommentStatus.PENDING.value: _("This comment is awaiting moderation: you can reply once it is published."),
        CommentStatus.REJECTED.value: _("This comment was rejected by a moderator and cannot be replied to."),
        CommentStatus.HIDDEN.value: _("This comment was hidden by a moderator and cannot be replied to."),
        CommentStatus.WITHDRAWN.value: _("This comment was withdrawn by its author and cannot be replied to."),
    }
    if parent.status in reasons:
        raise Refused(reasons[parent.status], 400)
    return parent


def _paragraph_for_comment(consultation: Consultation, paragraph_id: int) -> Paragraph:
    paragraph = db.session.get(Paragraph, paragraph_id)
    if paragraph is None or paragraph.version.document.consultation_id != consultation.id:
        raise NotAvailable()
    if paragraph.is_heading or paragraph.number is None:
        raise Refused(_("Headings cannot be commented on. Choose a numbered paragraph."), 400)
    current = paragraph.version.document.current_version
    if paragraph.version_id != current.id and paragraph.thread_key not in {p.thread_key for p in current.paragraphs}:
        # An older version's paragraph is fine while the current version still has it unchanged.
        raise Refused(
            _("This paragraph has changed in a newer version of the document. Comment on the current version."), 409
        )
    return paragraph


# --- Checking what was written -------------------------------------------------


@dataclass
class CommentInput:
    body: str = ""
    comment_type: str = CommentType.GENERAL.value
    position: str = ""
    proposed_wording: str = ""
    language: str = "en"
    visibility: str = Visibility.AUDIENCE.value

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> CommentInput:
        return cls(**{name: str(fields.get(name) or "") for name in drafts.FIELDS})

    def as_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in drafts.FIELDS}


def _too_long(text: str) -> str:
    return _(
        "Shorten this to %(limit)s characters at most; it has %(length)s.",
        limit=format_decimal(MAX_BODY_LENGTH),
        length=format_decimal(len(text)),
    )


def _content_errors(content: CommentInput, on_paragraph: bool, with_visibility: bool) -> dict[str, str]:
    errors = {}
    body = content.body.strip()
    if not body:
        errors["body"] = _("Write your comment.")
    elif len(body) > MAX_BODY_LENGTH:
        errors["body"] = _too_long(body)
    wording = content.proposed_wording.strip()
    if wording and not on_paragraph:
        errors["proposed_wording"] = _("Proposed wording can only be given on a paragraph of a document.")
    elif len(wording) > MAX_BODY_LENGTH:
        errors["proposed_wording"] = _too_long(wording)
    if content.comment_type not in set(CommentType):
        errors["comment_type"] = _("Choose a type of comment from the list.")
    if content.position and content.position not in set(Position):
        errors["position"] = _("Choose a position from the list, or no position.")
    if content.language not in LOCALES:
        errors["language"] = _("Choose the language of your comment from the list.")
    if with_visibility and content.visibility not in set(Visibility):
        errors["visibility"] = _("Choose who may read your comment.")
    return errors


def _closed_message(consultation: Consultation, document: WorkingDocument | None, now: datetime) -> str | None:
    """Why comments are no longer accepted here, or None while they are."""
    state = consultation.state_at(now)
    if state in (ConsultationState.DRAFT, ConsultationState.SCHEDULED):
        return _("The consultation is not open yet: comments can be posted from %(date)s.",
                 date=format_local_datetime(consultation.opens_at))
    if state is not ConsultationState.OPEN:
        return _("The consultation closed on %(date)s: comments can no longer be posted.",
                 date=format_local_datetime(consultation.closes_at))
    if document is not None and not document.accepts_comments_at(now):
        return _("Comments on this document closed on %(date)s: they can no longer be posted.",
                 date=format_local_datetime(document.comments_close_at))
    return None


# --- Posting --------------------------------------------------------------


def submission_key(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if _SUBMISSION_KEY.match(value) else None


def _already_posted(author, key: str | None) -> Comment | None:
    if key is None:
        return None
    return db.session.scalar(select(Comment).where(Comment.author_id == author.id, Comment.submission_key == key))


def post_comment(author, target: Target, content: CommentInput, key: str | None) -> tuple[Comment, bool]:
    """Post a comment; returns it and whether it is new (False: the same form was sent before).

    When comments are no longer accepted, the text is kept as the person's draft and Closed is raised.
    """
    consultation = target.consultation
    earlier = _already_posted(author, key)
    if earlier is not None:
        return earlier, False
    now = utcnow()
    closed = _closed_message(consultation, target.document, now)
    if closed:
        if drafts.has_text(content.as_fields()):
            drafts.save_for_user(author, consultation.id, target.context, content.as_fields())
        raise Closed(closed)
    if not consultation.can_contribute(author):
        raise Refused(_("Only the participants of this consultation can comment on it."), 403)
    errors = _content_errors(content, on_paragraph=target.paragraph is not None, with_visibility=True)
    if errors:
        raise InvalidInput(errors)

    parent = target.parent
    confidential = parent is not None and parent.visibility == Visibility.CONFIDENTIAL.value
    held = consultation.moderation_mode == ModerationMode.PRE.value and not consultation.can_manage(author)
    comment = Comment(
        consultation_id=consultation.id,
        document_id=target.document.id if target.document is not None else None,
        paragraph_id=target.paragraph.id if target.paragraph is not None else None,
        thread_key=target.thread_key,
        parent_id=parent.id if parent is not None else None,
        depth=min(parent.depth + 1, MAX_DEPTH) if parent is not None else 0,
        author_id=author.id,
        organization_id=author.organization_id,
        body=content.body.strip(),
        proposed_wording=content.proposed_wording.strip() or None,
        comment_type=content.comment_type,
        position=content.position or None,
        language=content.language,
        # A reply to a confidential comment stays among those who could read it.
        visibility=Visibility.CONFIDENTIAL.value if confidential else content.visibility,
        status=CommentStatus.PENDING.value if held else CommentStatus.PUBLISHED.value,
        submission_key=key,
        created_at=now,
    )
    try:
        drafts.discard(author.id, consultation.id, target.context)
        db.session.add(comment)
        record(author, "comment_posted", comment, consultation=consultation.slug, thread=target.context,
               status=comment.status)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same form sent twice at once: the first one won
        earlier = _already_posted(author, key)
        if earlier is None:
            raise
        return earlier, False
    return comment, True


# --- Editing and withdrawing ------------------------------------------------------


EDIT_CLOSED = "edit"
WITHDRAW_CLOSED = "withdraw"


def change_refusal(author, comment: Comment, change: str = EDIT_CLOSED) -> Refused | None:
    """Why `author` may not edit or withdraw `comment` now, or None when they may."""
    if comment.author_id != getattr(author, "id", None):
        return Refused(_("Only the author of a comment can change it."), 403)
    if comment.status not in (CommentStatus.PENDING.value, CommentStatus.PUBLISHED.value):
        return Refused(_("This comment can no longer be changed."), 403)
    document = comment.document
    if not comment.consultation.is_open or (document is not None and not document.accepts_comments_at(utcnow())):
        if change == WITHDRAW_CLOSED:
            return Closed(_("Comments can no longer be withdrawn here: the consultation or the document is closed."))
        return Closed(_("Comments can no longer be edited here: the consultation or the document is closed."))
    if not comment.can_edit(author):
        return Refused(_("This comment can no longer be changed."), 403)
    return None


def edit_comment(author, comment: Comment, content: CommentInput) -> bool:
    """Change a comment, keeping what it said before; False when nothing changed."""
    refusal = change_refusal(author, comment, EDIT_CLOSED)
    if refusal is not None:
        raise refusal
    errors = _content_errors(content, on_paragraph=comment.paragraph_id is not None, with_visibility=False)
    if errors:
        raise InvalidInput(errors)
    new = {
        "body": content.body.strip(),
        "proposed_wording": content.proposed_wording.strip() or None,
        "comment_type": content.comment_type,
        "position": content.position or None,
        "language": content.language,
    }
    changed = sorted(name for name, value in new.items() if getattr(comment, name) != value)
    if not changed:
        return False
    comment.revisions.append(
        CommentRevision(
            body=comment.body,
            proposed_wording=comment.proposed_wording,
            comment_type=comment.comment_type,
            position=comment.position,
        )
    )
    for name, value in new.items():
        setattr(comment, name, value)
    comment.edited_at = utcnow()
    record(author, "comment_edited", comment, consultation=comment.consultation.slug, changed=changed)
    db.session.commit()
    return True


def withdraw_comment(author, comment: Comment) -> None:
    refusal = change_refusal(author, comment, WITHDRAW_CLOSED)
    if refusal is not None:
        raise refusal
    comment.status = CommentStatus.WITHDRAWN.value
    comment.withdrawn_at = utcnow()
    record(author, "comment_withdrawn", comment, consultation=comment.consultation.slug)
    db.session.commit()


# --- Flagging -------------------------------------------------------------


def has_flagged(user, comment: Comment) -> bool:
    return db.session.scalar(
        select(CommentFlag.id).where(CommentFlag.comment_id == comment.id, CommentFlag.user_id == user.id)
    ) is not None


def _already_flagged() -> Refused:
    return Refused(_("You have already flagged this comment. A moderator will look at it."), 409)


def flag_refusal(user, comment: Comment) -> Refused | None:
    """Why `user` may not flag `comment`, or None when they may."""
    if comment.author_id == user.id:
        return Refused(_("You cannot flag your own comment."), 403)
    if comment.status != CommentStatus.PUBLISHED.value or not comment.can_flag(user):
        return Refused(_("Only published comments can be flagged."), 400)
    if has_flagged(user, comment):
        return _already_flagged()
    return None


def flag_comment(user, comment: Comment, reason: str, note: str) -> CommentFlag:
    refusal = flag_refusal(user, comment)
    if refusal is not None:
        raise refusal
    errors = {}
    if reason not in set(FlagReason):
        errors["reason"] = _("Choose a reason from the list.")
    note = (note or "").strip()
    if len(note) > MAX_FLAG_NOTE:
        errors["note"] = _(
            "Shorten this to %(limit)s characters at most; it has %(length)s.",
            limit=format_decimal(MAX_FLAG_NOTE),
            length=format_decimal(len(note)),
        )
    if errors:
        raise InvalidInput(errors)
    flag = CommentFlag(comment_id=comment.id, user_id=user.id, reason=reason, note=note)
    db.session.add(flag)
    try:
        record(user, "comment_flagged", comment, consultation=comment.consultation.slug, reason=reason)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _already_flagged() from None
    return flag
