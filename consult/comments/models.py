"""Comments on consultations and paragraphs, their revisions, flags and secretariat responses."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import Consultation, Paragraph, WorkingDocument
from consult.db_types import JSONType, UTCDateTime
from consult.directory.models import Organization, User, _in_list
from consult.extensions import db
from consult.i18n import utcnow

MAX_BODY_LENGTH = 20_000
MAX_DEPTH = 3  # replies nest to this depth, then stay flat


class CommentType(enum.StrEnum):
    GENERAL = "general"
    TECHNICAL = "technical"
    EDITORIAL = "editorial"

    @property
    def label(self) -> str:
        return str(COMMENT_TYPE_LABELS[self])


COMMENT_TYPE_LABELS = {
    CommentType.GENERAL: _l("General"),
    CommentType.TECHNICAL: _l("Technical"),
    CommentType.EDITORIAL: _l("Editorial"),
}


class Position(enum.StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    NEUTRAL = "neutral"

    @property
    def label(self) -> str:
        return str(POSITION_LABELS[self])


POSITION_LABELS = {
    Position.SUPPORT: _l("Support"),
    Position.OPPOSE: _l("Oppose"),
    Position.NEUTRAL: _l("Neutral"),
}


class Visibility(enum.StrEnum):
    AUDIENCE = "audience"
    CONFIDENTIAL = "confidential"  # moderators and staff only

    @property
    def label(self) -> str:
        return str(VISIBILITY_LABELS[self])


VISIBILITY_LABELS = {
    Visibility.AUDIENCE: _l("Visible to everyone in the consultation"),
    Visibility.CONFIDENTIAL: _l("Confidential: moderators and the secretariat only"),
}


class CommentStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for approval (pre-moderation)
    PUBLISHED = "published"
    REJECTED = "rejected"  # never shown to the audience
    HIDDEN = "hidden"  # was published, taken down by a moderator
    WITHDRAWN = "withdrawn"  # taken back by its author

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    CommentStatus.PENDING: _l("Awaiting moderation"),
    CommentStatus.PUBLISHED: lazy_pgettext("comment status", "Published"),
    CommentStatus.REJECTED: lazy_pgettext("comment status", "Rejected"),
    CommentStatus.HIDDEN: _l("Hidden by a moderator"),
    CommentStatus.WITHDRAWN: _l("Withdrawn by its author"),
}


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(FLAG_REASON_LABELS[self])


FLAG_REASON_LABELS = {
    FlagReason.SPAM: _l("Spam"),
    FlagReason.OFFENSIVE: _l("Offensive"),
    FlagReason.OFF_TOPIC: _l("Off-topic"),
    FlagReason.OTHER: _l("Other"),
}


class ModerationReason(enum.StrEnum):
    """Why a moderator rejected or hid a comment; the author reads it in their own language."""

    OFF_TOPIC = "off_topic"
    OFFENSIVE = "offensive"
    SPAM = "spam"
    DUPLICATE = "duplicate"
    CONFIDENTIAL_INFORMATION = "confidential_information"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(MODERATION_REASON_LABELS[self])


MODERATION_REASON_LABELS = {
    ModerationReason.OFF_TOPIC: _l("Not about the consultation's subject"),
    ModerationReason.OFFENSIVE: _l("Offensive or disrespectful language"),
    ModerationReason.SPAM: _l("Advertising or spam"),
    ModerationReason.DUPLICATE: _l("Repeats an earlier comment"),
    ModerationReason.CONFIDENTIAL_INFORMATION: _l("Contains information that must not be shared"),
    ModerationReason.OTHER: _l("Other reason (see the moderator's note)"),
}


class ResponseOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    ResponseOutcome.ACCEPTED: lazy_pgettext("secretariat response", "Accepted"),
    ResponseOutcome.PARTIALLY_ACCEPTED: lazy_pgettext("secretariat response", "Partially accepted"),
    ResponseOutcome.NOT_ACCEPTED: lazy_pgettext("secretariat response", "Not accepted"),
    ResponseOutcome.NOTED: lazy_pgettext("secretariat response", "Noted"),
}


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint(_in_list("comment_type", CommentType), name="comment_type"),
        CheckConstraint(f"position IS NULL OR {_in_list('position', Position)}", name="position"),
        CheckConstraint(_in_list("visibility", Visibility), name="visibility"),
        CheckConstraint(_in_list("status", CommentStatus), name="status"),
        CheckConstraint(
            f"moderation_reason IS NULL OR {_in_list('moderation_reason', ModerationReason)}", name="moderation_reason"
        ),
        CheckConstraint(f"depth >= 0 AND depth <= {MAX_DEPTH}", name="depth"),
        CheckConstraint("paragraph_id IS NULL OR document_id IS NOT NULL", name="paragraph_has_document"),
        # The same submission sent twice (a double click) is stored once.
        UniqueConstraint("author_id", "submission_key", name="uq_comment_submission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("working_document.id", ondelete="CASCADE"), index=True)
    # The exact paragraph (and so the version) the comment was made on.
    paragraph_id: Mapped[int | None] = mapped_column(ForeignKey("paragraph.id", ondelete="CASCADE"), index=True)
    # The paragraph's thread; unchanged paragraphs of later versions share it. NULL: the general thread.
    thread_key: Mapped[str | None] = mapped_column(String(32), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)

    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    # The author's organization when they wrote it.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))

    body: Mapped[str] = mapped_column(Text)  # Markdown as written
    proposed_wording: Mapped[str | None] = mapped_column(Text)
    comment_type: Mapped[str] = mapped_column(String(16), default=CommentType.GENERAL.value)
    position: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="en")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.AUDIENCE.value)
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PUBLISHED.value, index=True)
    # Why a moderator rejected, hid or restored it: a reason the author reads in
    # their language, and an optional note in the moderator's words.
    moderation_reason: Mapped[str | None] = mapped_column(String(32))
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submission_key: Mapped[str | None] = mapped_column(String(64))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    document: Mapped[WorkingDocument | None] = relationship()
    paragraph: Mapped[Paragraph | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    organization: Mapped[Organization | None] = relationship()
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment", order_by="CommentRevision.id", cascade="all, delete-orphan"
    )
    response: Mapped[SecretariatResponse | None] = relationship(back_populates="comment", uselist=False)

    # --- who may see and do what -------------------------------------------

    def can_moderate(self, user) -> bool:
        return self.consultation.can_manage(user)

    def visible_to(self, user, *, sees_consultation: bool | None = None, manages: bool | None = None) -> bool:
        """Whether `user` may read this comment's content.

        A page showing many comments of one consultation passes what it already knows of the viewer and the
        consultation (`sees_consultation`: Consultation.visible_to, `manages`: can_moderate), worked out once.
        """
        if not (self.consultation.visible_to(user) if sees_consultation is None else sees_consultation):
            return False
        if self.can_moderate(user) if manages is None else manages:
            return True
        if self.author_id == user.id:
            return self.status != CommentStatus.WITHDRAWN.value
        return self.status == CommentStatus.PUBLISHED.value and self.visibility == Visibility.AUDIENCE.value

    @classmethod
    def visible_filter(cls, user, *, sees_consultation: bool | None = None,
                       manages: bool | None = None) -> ColumnElement[bool]:
        """SQL twin of visible_to (a test checks that the two agree).

        As with visible_to, a query that stays within one consultation may pass what is known of the viewer and
        that consultation: the database then does not work it out again for every row.
        """
        if user is None or not getattr(user, "is_authenticated", False):
            return false()
        if sees_consultation is None:
            consultation_visible = cls.consultation_id.in_(
                select(Consultation.id).where(Consultation.visible_filter(user))
            )
        else:
            consultation_visible = true() if sees_consultation else false()
        if manages is None:
            managed = cls.consultation_id.in_(select(Consultation.id).where(Consultation.managed_filter(user)))
        else:
            managed = true() if manages else false()
        own = and_(cls.author_id == user.id, cls.status != CommentStatus.WITHDRAWN.value)
        public = and_(cls.status == CommentStatus.PUBLISHED.value, cls.visibility == Visibility.AUDIENCE.value)
        return and_(consultation_visible, or_(managed, own, public))

    def shows_placeholder_to(self, user) -> bool:
        """A withdrawn or hidden comment leaves a placeholder so its thread still reads in order."""
        return (
            self.status in (CommentStatus.WITHDRAWN.value, CommentStatus.HIDDEN.value)
            and self.visibility == Visibility.AUDIENCE.value
            and self.consultation.visible_to(user)
        )

    @classmethod
    def placeholder_filter(cls, user, *, sees_consultation: bool | None = None,
                           manages: bool | None = None) -> ColumnElement[bool]:
        """SQL twin of shows_placeholder_to (`sees_consultation`, `manages`: as for visible_filter)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return false()
        if sees_consultation is None:
            consultation_visible = cls.consultation_id.in_(
                select(Consultation.id).where(Consultation.visible_filter(user))
            )
        else:
            consultation_visible = true() if sees_consultation else false()
        return and_(
            cls.status.in_((CommentStatus.WITHDRAWN.value, CommentStatus.HIDDEN.value)),
            cls.visibility == Visibility.AUDIENCE.value,
            consultation_visible,
        )

    def can_edit(self, user) -> bool:
        return (
            user is not None
            and getattr(user, "is_authenticated", False)
            and self.author_id == user.id
            and self.status in (CommentStatus.PENDING.value, CommentStatus.PUBLISHED.value)
            and self.consultation.is_open
        )

    def can_withdraw(self, user) -> bool:
        return self.can_edit(user)

    def can_flag(self, user, **known: bool | None) -> bool:
        """`known`: what visible_to may be told instead of working it out."""
        return (
            self.author_id != getattr(user, "id", None)
            and self.status == CommentStatus.PUBLISHED.value
            and self.visible_to(user, **known)
        )

    def response_visible_to(self, user, *, sees_consultation: bool | None = None,
                            manages: bool | None = None) -> bool:
        """Secretariat responses reach the audience once the moderator publishes them."""
        if self.response is None or not self.visible_to(user, sees_consultation=sees_consultation, manages=manages):
            return False
        return (self.can_moderate(user) if manages is None else manages) or self.consultation.responses_published

    @property
    def comment_status(self) -> CommentStatus:
        return CommentStatus(self.status)

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None


class CommentRevision(db.Model):
    """What a comment said before each edit."""

    __tablename__ = "comment_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    proposed_wording: Mapped[str | None] = mapped_column(Text)
    comment_type: Mapped[str] = mapped_column(String(16))
    position: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it was replaced

    comment: Mapped[Comment] = relationship(back_populates="revisions")


class CommentFlag(db.Model):
    __tablename__ = "comment_flag"
    __table_args__ = (
        UniqueConstraint("comment_id", "user_id", name="uq_comment_flag_once"),
        CheckConstraint(_in_list("reason", FlagReason), name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    comment: Mapped[Comment] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SecretariatResponse(db.Model):
    __tablename__ = "secretariat_response"
    __table_args__ = (CheckConstraint(_in_list("outcome", ResponseOutcome), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), unique=True)
    outcome: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")  # Markdown
    language: Mapped[str] = mapped_column(String(8), default="en")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="response")
    author: Mapped[User | None] = relationship()

    @property
    def response_outcome(self) -> ResponseOutcome:
        return ResponseOutcome(self.outcome)


class CommentDraft(db.Model):
    """A comment being written, kept so that nothing a participant writes is lost.

    A draft belongs to a user, or, when their session had expired as they
    posted, to the browser session (`session_key`) until they sign in again.
    """

    __tablename__ = "comment_draft"
    __table_args__ = (
        UniqueConstraint("user_id", "consultation_id", "context", name="uq_comment_draft_user_context"),
        CheckConstraint("user_id IS NOT NULL OR session_key IS NOT NULL", name="has_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_key: Mapped[str | None] = mapped_column(String(64), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    # Where the comment goes: "general", "paragraph:<id>", "reply:<comment id>".
    context: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
