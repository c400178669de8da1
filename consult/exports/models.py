"""Background exports: who asked for which file, how far it got, and where the finished file waits."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import Consultation
from consult.db_types import JSONType, UTCDateTime
from consult.directory.models import User, _in_list
from consult.extensions import db
from consult.i18n import utcnow


class ExportJobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(JOB_STATUS_LABELS[self])


JOB_STATUS_LABELS = {
    ExportJobStatus.QUEUED: lazy_pgettext("export job", "Waiting to start"),
    ExportJobStatus.RUNNING: lazy_pgettext("export job", "Being prepared"),
    ExportJobStatus.DONE: lazy_pgettext("export job", "Ready"),
    ExportJobStatus.FAILED: lazy_pgettext("export job", "Failed"),
}

JOB_KINDS = ("responses", "comments")
JOB_FORMATS = ("csv", "xlsx", "json")


class ExportJob(db.Model):
    __tablename__ = "export_job"
    __table_args__ = (
        CheckConstraint(_in_list("status", ExportJobStatus), name="status"),
        CheckConstraint(_in_list("kind", JOB_KINDS), name="kind"),
        CheckConstraint(_in_list("format", JOB_FORMATS), name="format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The only handle a link carries: random, unguessable, and useful only to the person who asked.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    # Filters, survey, label mode and language, as ExportRequest.to_options() writes them.
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ExportJobStatus.QUEUED.value)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    # The finished file's name inside instance/exports/ (never a path taken from a request).
    stored_name: Mapped[str | None] = mapped_column(String(128))
    download_name: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    requested_by: Mapped[User] = relationship()
    consultation: Mapped[Consultation] = relationship()

    @property
    def job_status(self) -> ExportJobStatus:
        return ExportJobStatus(self.status)

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportJobStatus.DONE.value, ExportJobStatus.FAILED.value)

    def is_expired(self, moment: datetime | None = None) -> bool:
        return (moment or utcnow()) >= self.expires_at

    def visible_to(self, user) -> bool:
        """Only the person who asked, and only while they still manage the consultation."""
        return (
            user is not None
            and getattr(user, "is_authenticated", False)
            and self.requested_by_id == user.id
            and self.consultation.can_manage(user)
        )


class CampaignAnalysis(db.Model):
    """The campaign groups of a consultation, kept until the texts they were read from change.

    `fingerprint` says which state of the texts `groups` describes; `pending_fingerprint` says which state a
    background job is grouping now (see consult/exports/campaign_analysis.py).
    """

    __tablename__ = "campaign_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(255))
    groups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_fingerprint: Mapped[str | None] = mapped_column(String(255))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
