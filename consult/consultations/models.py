"""Consultations, their working documents, versions and numbered paragraphs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    and_,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from consult.db_types import UTCDateTime
from consult.directory.models import Group, Organization, User, _in_list, group_moderator, group_organization
from consult.directory.stakeholders import StakeholderType
from consult.extensions import db
from consult.i18n import LocalizedText, localized_column, utcnow
from consult.security import Role


class ConsultationState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    ConsultationState.DRAFT: lazy_pgettext("consultation state", "Draft"),
    ConsultationState.SCHEDULED: lazy_pgettext("consultation state", "Scheduled"),
    ConsultationState.OPEN: lazy_pgettext("consultation state", "Open"),
    ConsultationState.CLOSED: lazy_pgettext("consultation state", "Closed"),
    ConsultationState.ARCHIVED: lazy_pgettext("consultation state", "Archived"),
}


class AudienceMode(enum.StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"


class ModerationMode(enum.StrEnum):
    PRE = "pre"  # comments wait for a moderator's approval
    POST = "post"  # comments appear at once; moderators act afterwards


class DocumentCategory(enum.StrEnum):
    A = "A"  # for approval without discussion
    B = "B"  # for discussion
    C = "C"  # for information

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])


CATEGORY_LABELS = {
    DocumentCategory.A: _l("A — for approval without discussion"),
    DocumentCategory.B: _l("B — for discussion"),
    DocumentCategory.C: _l("C — for information"),
}


consultation_audience_group = Table(
    "consultation_audience_group",
    db.metadata,
    Column("consultation_id", ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("stakeholder_group.id", ondelete="CASCADE"), primary_key=True),
)


class ConsultationAudienceType(db.Model):
    """A stakeholder type a restricted consultation is open to."""

    __tablename__ = "consultation_audience_type"
    __table_args__ = (CheckConstraint(_in_list("stakeholder_type", StakeholderType), name="stakeholder_type"),)

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    stakeholder_type: Mapped[str] = mapped_column(String(32), primary_key=True)


class Consultation(db.Model):
    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint(_in_list("audience_mode", AudienceMode), name="audience_mode"),
        CheckConstraint(_in_list("moderation_mode", ModerationMode), name="moderation_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[LocalizedText] = localized_column("title")
    summary: Mapped[LocalizedText] = localized_column("summary")
    body: Mapped[LocalizedText] = localized_column("body")  # Markdown
    # The group whose moderators run the consultation.
    group_id: Mapped[int] = mapped_column(ForeignKey("stakeholder_group.id", ondelete="RESTRICT"), index=True)

    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The IANA zone the dates were entered in, so they can be edited as entered.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: still a draft
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    audience_mode: Mapped[str] = mapped_column(String(16), default=AudienceMode.PUBLIC.value)
    moderation_mode: Mapped[str] = mapped_column(String(8), default=ModerationMode.POST.value)

    meeting_name: Mapped[str] = mapped_column(String(300), default="")
    meeting_date: Mapped[date | None] = mapped_column(Date)
    meeting_place: Mapped[str] = mapped_column(String(300), default="")
    meeting_virtual: Mapped[bool] = mapped_column(Boolean, default=False)

    # Secretariat responses become visible to the audience once published.
    responses_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Aggregated results (and responses whose authors allowed it) become public once published.
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[Group] = relationship()
    created_by: Mapped[User | None] = relationship()
    audience_groups: Mapped[list[Group]] = relationship(secondary=consultation_audience_group)
    audience_type_rows: Mapped[list[ConsultationAudienceType]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    documents: Mapped[list[WorkingDocument]] = relationship(
        back_populates="consultation", order_by="WorkingDocument.position", cascade="all, delete-orphan"
    )

    # --- state -------------------------------------------------------------

    def state_at(self, moment: datetime) -> ConsultationState:
        if self.published_at is None:
            return ConsultationState.DRAFT
        if self.archived_at is not None:
            return ConsultationState.ARCHIVED
        if moment < self.opens_at:
            return ConsultationState.SCHEDULED
        if moment < self.closes_at:
            return ConsultationState.OPEN
        return ConsultationState.CLOSED

    @property
    def state(self) -> ConsultationState:
        return self.state_at(utcnow())

    @property
    def is_open(self) -> bool:
        return self.state is ConsultationState.OPEN

    @classmethod
    def state_filter(cls, state: ConsultationState, moment: datetime) -> ColumnElement[bool]:
        published = and_(cls.published_at.is_not(None), cls.archived_at.is_(None))
        if state is ConsultationState.DRAFT:
            return cls.published_at.is_(None)
        if state is ConsultationState.ARCHIVED:
            return and_(cls.published_at.is_not(None), cls.archived_at.is_not(None))
        if state is ConsultationState.SCHEDULED:
            return and_(published, cls.opens_at > moment)
        if state is ConsultationState.OPEN:
            return and_(published, cls.opens_at <= moment, cls.closes_at > moment)
        return and_(published, cls.closes_at <= moment)

    # --- audience ----------------------------------------------------------

    @property
    def audience_types(self) -> list[str]:
        return sorted(row.stakeholder_type for row in self.audience_type_rows)

    @property
    def is_restricted(self) -> bool:
        return self.audience_mode == AudienceMode.RESTRICTED.value

    def in_audience(self, user) -> bool:
        """Whether `user` is among the people this consultation is addressed to."""
        if not _signed_in(user):
            return False
        if not self.is_restricted:
            return True
        organization: Organization | None = user.organization
        if organization is None or not organization.active:
            return False
        if self.audience_groups and not any(organization in g.organizations for g in self.audience_groups):
            return False
        types = self.audience_types
        return not types or organization.stakeholder_type in types

    @classmethod
    def audience_filter(cls, user) -> ColumnElement[bool]:
        """SQL twin of in_audience (a test checks that the two agree)."""
        if not _signed_in(user):
            return false()
        public = cls.audience_mode == AudienceMode.PUBLIC.value
        if user.organization_id is None:
            return public
        organization_ok = exists().where(
            Organization.id == user.organization_id, Organization.active.is_(True)
        )
        group_rows = consultation_audience_group.c
        no_groups = ~exists().where(group_rows.consultation_id == cls.id)
        in_a_group = exists().where(
            group_rows.consultation_id == cls.id,
            group_rows.group_id == group_organization.c.group_id,
            group_organization.c.organization_id == user.organization_id,
        )
        no_types = ~exists().where(ConsultationAudienceType.consultation_id == cls.id)
        of_a_type = exists().where(
            ConsultationAudienceType.consultation_id == cls.id,
            ConsultationAudienceType.stakeholder_type
            == select(Organization.stakeholder_type).where(Organization.id == user.organization_id).scalar_subquery(),
        )
        restricted_ok = and_(organization_ok, or_(no_groups, in_a_group), or_(no_types, of_a_type))
        return or_(public, restricted_ok)

    # --- who may see and do what -------------------------------------------

    def can_manage(self, user) -> bool:
        """Staff, admins and the moderators of the consultation's group."""
        if not _signed_in(user):
            return False
        if user.has_role(Role.STAFF):
            return True
        return user.has_role(Role.MODERATOR) and any(m.id == user.id for m in self.group.moderators)

    @classmethod
    def managed_filter(cls, user) -> ColumnElement[bool]:
        """SQL twin of can_manage."""
        if not _signed_in(user):
            return false()
        if user.has_role(Role.STAFF):
            return true()
        if not user.has_role(Role.MODERATOR):
            return false()
        return cls.group_id.in_(select(group_moderator.c.group_id).where(group_moderator.c.user_id == user.id))

    def visible_to(self, user) -> bool:
        """Managers see every consultation they run; others a published one addressed to them."""
        if self.can_manage(user):
            return True
        return self.published_at is not None and self.in_audience(user)

    @classmethod
    def visible_filter(cls, user) -> ColumnElement[bool]:
        """SQL twin of visible_to."""
        if not _signed_in(user):
            return false()
        return or_(cls.managed_filter(user), and_(cls.published_at.is_not(None), cls.audience_filter(user)))

    def can_contribute(self, user) -> bool:
        """Comment and answer: the audience and the managers, while the consultation is open."""
        return self.is_open and (self.in_audience(user) or self.can_manage(user))

    @property
    def responses_published(self) -> bool:
        return self.responses_published_at is not None

    def __repr__(self) -> str:
        return f"<Consultation {self.slug!r}>"


class WorkingDocument(db.Model):
    __tablename__ = "working_document"
    __table_args__ = (CheckConstraint(_in_list("category", DocumentCategory), name="category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[LocalizedText] = localized_column("title")
    category: Mapped[str] = mapped_column(String(1), default=DocumentCategory.B.value)
    # Comments on this document close here, never after the consultation closes.
    comment_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="documents")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.number",
        cascade="all, delete-orphan",
    )

    @property
    def current_version(self) -> DocumentVersion | None:
        """The latest published version: publishing a version is adding one."""
        return self.versions[-1] if self.versions else None

    @property
    def comments_close_at(self) -> datetime:
        closes = self.consultation.closes_at
        return min(closes, self.comment_deadline) if self.comment_deadline else closes

    def accepts_comments_at(self, moment: datetime) -> bool:
        return self.consultation.state_at(moment) is ConsultationState.OPEN and moment < self.comments_close_at

    @property
    def document_category(self) -> DocumentCategory:
        return DocumentCategory(self.category)

    def visible_to(self, user) -> bool:
        return self.consultation.visible_to(user)


class DocumentVersion(db.Model):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("working_document.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    original_locale: Mapped[str] = mapped_column(String(8), default="en")
    source_format: Mapped[str] = mapped_column(String(16), default="markdown")
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    source_mimetype: Mapped[str] = mapped_column(String(120), default="")
    # The uploaded file, kept byte for byte so readers can download the original.
    source_file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[WorkingDocument] = relationship(back_populates="versions")
    paragraphs: Mapped[list[Paragraph]] = relationship(
        back_populates="version", order_by="Paragraph.position", cascade="all, delete-orphan"
    )


class ParagraphKind(enum.StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"


class Paragraph(db.Model):
    """One block of a document version. Numbered paragraphs carry comments."""

    __tablename__ = "paragraph"
    __table_args__ = (
        UniqueConstraint("version_id", "position", name="uq_paragraph_position"),
        CheckConstraint(_in_list("kind", ParagraphKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)  # shown as §12 and anchored as #p12
    kind: Mapped[str] = mapped_column(String(16), default=ParagraphKind.PARAGRAPH.value)
    level: Mapped[int] = mapped_column(Integer, default=0)  # heading level
    # Shared by the same, unchanged paragraph across versions: its thread follows it.
    thread_key: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[LocalizedText] = localized_column("text")  # Markdown

    version: Mapped[DocumentVersion] = relationship(back_populates="paragraphs")

    @property
    def anchor(self) -> str:
        return f"p{self.number}" if self.number is not None else f"h{self.position}"

    @property
    def is_heading(self) -> bool:
        return self.kind == ParagraphKind.HEADING.value


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "active", False)
