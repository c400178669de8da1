"""What moderators do to comments (approve, reject, hide, restore, dismiss flags) and the queue they work from."""

from __future__ import annotations

import enum
import smtplib
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, or_, select, true, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from consult import audit
from consult.audit import AuditEvent
from consult.comments.models import (
    COMMENT_TYPE_LABELS,
    FLAG_REASON_LABELS,
    MODERATION_REASON_LABELS,
    OUTCOME_LABELS,
    POSITION_LABELS,
    Comment,
    CommentFlag,
    CommentStatus,
    FlagReason,
    ModerationReason,
)
from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import LOCALES, utcnow
from consult.mail import send_template
from consult.markup import plain_text, render_markdown

# What the SMTP server or the network can raise when a message does not go out.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAX_NOTE_LENGTH = 2_000  # a moderator's note, a reason for publishing


class ModerationAction(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"


@dataclass(frozen=True)
class Transition:
    sources: tuple[CommentStatus, ...]
    target: CommentStatus
    audit_action: str
    reason_required: bool
    resolves_flags: bool
    email_template: str
    email_subject: object  # a lazy string, rendered in the author's language
    refusal: object  # said when the comment is in none of `sources`; takes %(status)s


TRANSITIONS: dict[ModerationAction, Transition] = {
    ModerationAction.APPROVE: Transition(
        sources=(CommentStatus.PENDING,),
        target=CommentStatus.PUBLISHED,
        audit_action="comment_approved",
        reason_required=False,
        resolves_flags=False,
        email_template="comments/email/moderation_approved.txt",
        email_subject=_l("Your comment has been published"),
        refusal=_l("Only a comment awaiting moderation can be approved. This one is: %(status)s."),
    ),
    ModerationAction.REJECT: Transition(
        sources=(CommentStatus.PENDING,),
        target=CommentStatus.REJECTED,
        audit_action="comment_rejected",
        reason_required=True,
        resolves_flags=False,
        email_template="comments/email/moderation_rejected.txt",
        email_subject=_l("Your comment was not published"),
        refusal=_l("Only a comment awaiting moderation can be rejected. This one is: %(status)s."),
    ),
    ModerationAction.HIDE: Transition(
        sources=(CommentStatus.PUBLISHED,),
        target=CommentStatus.HIDDEN,
        audit_action="comment_hidden",
        reason_required=True,
        resolves_flags=True,
        email_template="comments/email/moderation_hidden.txt",
        email_subject=_l("Your comment has been hidden by a moderator"),
        refusal=_l("Only a published comment can be hidden. This one is: %(status)s."),
    ),
    ModerationAction.RESTORE: Transition(
        sources=(CommentStatus.HIDDEN, CommentStatus.REJECTED),
        target=CommentStatus.PUBLISHED,
        audit_action="comment_restored",
        reason_required=False,
        resolves_flags=True,
        email_template="comments/email/moderation_restored.txt",
        email_subject=_l("Your comment has been restored"),
        refusal=_l("Only a hidden or rejected comment can be restored. This one is: %(status)s."),
    ),
}


class Refused(Exception):
    """The action cannot be carried out; `message` tells the person why, `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Outcome:
    flags_resolved: int
    author_notified: bool


def refusal_status(consultation: Consultation, user) -> int | None:
    """None when `user` may manage `consultation`; else 404 if they may not even see it, 403 if they may."""
    if consultation.can_manage(user):
        return None
    return 403 if consultation.visible_to(user) else 404


# --- Actions ---------------------------------------------------------------


def moderate(
    actor, comment: Comment, action: ModerationAction, reason: ModerationReason | None, note: str = ""
) -> Outcome:
    """Move `comment` to its next status, resolve its flags if the action does, audit, tell the author, commit."""
    transition = TRANSITIONS[ModerationAction(action)]
    note = (note or "").strip()
    _check(actor, comment, transition, reason, note)

    now = utcnow()
    previous = comment.status
    # Conditional on the status read, so two moderators acting at once cannot both succeed.
    changed = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status.in_([s.value for s in transition.sources]))
        .values(
            status=transition.target.value,
            moderation_reason=reason.value if reason else None,
            moderation_note=note,
            moderated_by_id=actor.id,
            moderated_at=now,
        )
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(comment)
        raise Refused(str(transition.refusal % {"status": comment.comment_status.label}))

    resolved = _resolve_open_flags(comment, actor, now) if transition.resolves_flags else 0
    audit.record(
        actor,
        transition.audit_action,
        comment,
        consultation_id=comment.consultation_id,
        from_status=previous,
        to_status=transition.target.value,
        reason=reason.value if reason else None,
        note=note,
        flags_resolved=resolved,
    )
    notified = _tell_author(comment, transition, reason, note)
    db.session.commit()
    return Outcome(flags_resolved=resolved, author_notified=notified)


def dismiss_flags(actor, comment: Comment, note: str = "") -> Outcome:
    """Resolve every open flag of `comment` and leave the comment as it is."""
    note = (note or "").strip()
    if not comment.can_moderate(actor):
        raise Refused(_("You do not moderate this consultation."), 403)
    if len(note) > MAX_NOTE_LENGTH:
        raise Refused(_("The note is too long."), 400)
    resolved = _resolve_open_flags(comment, actor, utcnow())
    if resolved == 0:
        db.session.rollback()
        raise Refused(_("This comment has no open flags to dismiss."))
    audit.record(
        actor, "flags_dismissed", comment, consultation_id=comment.consultation_id, flags_resolved=resolved, note=note
    )
    db.session.commit()
    return Outcome(flags_resolved=resolved, author_notified=False)


def _check(actor, comment: Comment, transition: Transition, reason, note: str) -> None:
    if not comment.can_moderate(actor):
        raise Refused(_("You do not moderate this consultation."), 403)
    if reason is not None and not isinstance(reason, ModerationReason):
        raise Refused(_("Choose a reason from the list."), 400)
    if transition.reason_required and reason is None:
        raise Refused(_("Choose the reason the author will be given."), 400)
    if len(note) > MAX_NOTE_LENGTH:
        raise Refused(_("The note is too long."), 400)
    if comment.comment_status not in transition.sources:
        raise Refused(str(transition.refusal % {"status": comment.comment_status.label}))


def _resolve_open_flags(comment: Comment, actor, moment) -> int:
    return db.session.execute(
        update(CommentFlag)
        .where(CommentFlag.comment_id == comment.id, CommentFlag.resolved_at.is_(None))
        .values(resolved_at=moment, resolved_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount


def _tell_author(comment: Comment, transition: Transition, reason, note: str) -> bool:
    """Email the author in their language; a mail server's refusal does not undo the moderator's decision."""
    author = comment.author
    if not author.active:
        return False
    try:
        send_template(
            author.email,
            author.locale,
            transition.email_template,
            subject=transition.email_subject,
            author=author,
            comment=comment,
            consultation=comment.consultation,
            reason=reason,
            note=note,
            excerpt=plain_text(comment.body, limit=1000),
            link=comment_link(comment),
        )
    except MAIL_ERRORS:
        current_app.logger.exception("Moderation email to %s not sent", author.email)
        return False
    return True


def comment_link(comment: Comment, external: bool = True) -> str:
    """The comment's permanent address; it leads to the comment in its thread."""
    return url_for("comments.show", slug=comment.consultation.slug, comment_id=comment.id, _external=external)


# --- The queue ---------------------------------------------------------------


def _open_flag(reason: str | None = None):
    conditions = [CommentFlag.comment_id == Comment.id, CommentFlag.resolved_at.is_(None)]
    if reason:
        conditions.append(CommentFlag.reason == reason)
    return exists().where(*conditions)


STATUS_FILTERS = {
    "": lambda: or_(Comment.status == CommentStatus.PENDING.value, _open_flag()),
    "pending": lambda: Comment.status == CommentStatus.PENDING.value,
    "flagged": lambda: _open_flag(),
    "hidden": lambda: Comment.status == CommentStatus.HIDDEN.value,
    "rejected": lambda: Comment.status == CommentStatus.REJECTED.value,
    "all": lambda: true(),
}


def queue_query(
    user, consultation_id: int | None = None, status: str = "", flag_reason: str = "", language: str = ""
) -> Select:
    """Comments of the consultations `user` manages that a moderator should look at, newest first."""
    conditions = [Consultation.managed_filter(user), STATUS_FILTERS[status]()]
    if consultation_id is not None:
        conditions.append(Comment.consultation_id == consultation_id)
    if flag_reason in set(FlagReason):
        conditions.append(_open_flag(flag_reason))
    if language in LOCALES:
        conditions.append(Comment.language == language)
    return (
        select(Comment)
        .join(Comment.consultation)
        .where(and_(*conditions))
        .options(
            contains_eager(Comment.consultation),
            joinedload(Comment.author),
            joinedload(Comment.organization),
            joinedload(Comment.document),
            joinedload(Comment.paragraph),
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )


def managed_consultations(user) -> list[Consultation]:
    return list(
        db.session.scalars(
            select(Consultation)
            .where(Consultation.managed_filter(user))
            .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
        )
    )


def open_flags_by_comment(comment_ids: list[int]) -> dict[int, list[CommentFlag]]:
    flags: dict[int, list[CommentFlag]] = defaultdict(list)
    if not comment_ids:
        return flags
    rows = db.session.scalars(
        select(CommentFlag)
        .where(CommentFlag.comment_id.in_(comment_ids), CommentFlag.resolved_at.is_(None))
        .options(joinedload(CommentFlag.user))
        .order_by(CommentFlag.created_at, CommentFlag.id)
    )
    for flag in rows:
        flags[flag.comment_id].append(flag)
    return flags


# --- One comment, for its moderation page ------------------------------------


def load_comment(comment_id: int) -> Comment | None:
    return db.session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        .options(
            joinedload(Comment.consultation),
            joinedload(Comment.author),
            joinedload(Comment.organization),
            joinedload(Comment.document),
            joinedload(Comment.paragraph),
            joinedload(Comment.parent),
            joinedload(Comment.response),
            selectinload(Comment.revisions),
        )
    )


def all_flags(comment: Comment) -> list[CommentFlag]:
    return list(
        db.session.scalars(
            select(CommentFlag)
            .where(CommentFlag.comment_id == comment.id)
            .options(joinedload(CommentFlag.user))
            .order_by(CommentFlag.created_at, CommentFlag.id)
        )
    )


def moderation_history(comment: Comment) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == type(comment).__name__, AuditEvent.target_id == comment.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


def replies(comment: Comment) -> list[Comment]:
    """Direct replies, whatever their status: moderators see what a hidden comment's thread holds."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.parent_id == comment.id)
            .options(joinedload(Comment.author), joinedload(Comment.organization))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def allowed_actions(comment: Comment) -> list[ModerationAction]:
    return [action for action, t in TRANSITIONS.items() if comment.comment_status in t.sources]


def template_helpers() -> dict:
    """What the moderation and secretariat templates use to show a comment."""
    return {
        "plain_text": plain_text,
        "render_markdown": render_markdown,
        "comment_location": lambda comment: comment_link(comment, external=False),
        "allowed_actions": allowed_actions,
        "flag_labels": FLAG_REASON_LABELS,
        "reason_labels": MODERATION_REASON_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "comment_type_labels": COMMENT_TYPE_LABELS,
        "position_labels": POSITION_LABELS,
    }
