"""Rows of the comments export: one per comment, in document and paragraph order, streamed as they are read.

Every comment `user` may read is exported (`Comment.visible_filter`, the rule
the pages use): for the secretariat that includes pending, hidden, withdrawn,
rejected and confidential comments, and the status and visibility columns say
which they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select

from consult.comments.models import (
    COMMENT_TYPE_LABELS,
    OUTCOME_LABELS,
    POSITION_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
    Comment,
    SecretariatResponse,
)
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
from consult.directory.models import Organization, User
from consult.directory.stakeholders import STAKEHOLDER_LABELS, country_name
from consult.exports.export_labels import Labels, json_text, utc_iso
from consult.exports.filters import ExportFilters
from consult.extensions import db
from consult.i18n import LOCALES, language_name

BATCH = 1000

COLUMNS = (
    ("comment_id", _l("Comment ID")),
    ("consultation", _l("Consultation")),
    ("document", _l("Document")),
    ("version", _l("Version")),
    ("paragraph", _l("Paragraph")),
    ("thread", _l("Thread")),
    ("parent_id", _l("Reply to (comment ID)")),
    ("author", _l("Author")),
    ("email", _l("Email")),
    ("organization", _l("Organization")),
    ("stakeholder_type", _l("Stakeholder type")),
    ("country", _l("Country")),
    ("type", _l("Type of comment")),
    ("position", _l("Position")),
    ("language", _l("Language")),
    ("body", _l("Comment")),
    ("proposed_wording", _l("Proposed wording")),
    ("status", _l("Status")),
    ("visibility", _l("Visibility")),
    ("response_outcome", _l("Secretariat response")),
    ("response_text", _l("Secretariat response text")),
    ("created_at", _l("Created (UTC)")),
    ("edited_at", _l("Edited (UTC)")),
)

THREAD_LABELS = {"general": _l("General discussion"), "paragraph": _l("Paragraph")}


class CommentsExport:
    """The comments of a consultation that `user` may read, filtered, in the words of `labels`."""

    kind = "comments"

    def __init__(self, consultation: Consultation, user, filters: ExportFilters, labels: Labels) -> None:
        self.consultation = consultation
        self.user = user
        self.filters = filters
        self.labels = labels
        documents = list(
            db.session.scalars(
                select(WorkingDocument)
                .where(WorkingDocument.consultation_id == consultation.id)
                .order_by(WorkingDocument.position, WorkingDocument.id)
            )
        )
        self.documents = documents
        with labels.speaking():
            self.header = [labels.header(code, str(text)) for code, text in COLUMNS]
            self.sheet_name = _("Comments")
            self.title = labels.text(consultation.title)
            self.document_titles = {d.id: labels.text(d.title) for d in documents}
            self.threads = {code: labels.value(code, str(text)) for code, text in THREAD_LABELS.items()}
            self.types = {t.value: labels.value(t.value, str(text)) for t, text in STAKEHOLDER_LABELS.items()}
            self.comment_types = {t.value: labels.value(t.value, str(x)) for t, x in COMMENT_TYPE_LABELS.items()}
            self.positions = {p.value: labels.value(p.value, str(text)) for p, text in POSITION_LABELS.items()}
            self.statuses = {s.value: labels.value(s.value, str(text)) for s, text in STATUS_LABELS.items()}
            self.visibilities = {v.value: labels.value(v.value, str(x)) for v, x in VISIBILITY_LABELS.items()}
            self.outcomes = {o.value: labels.value(o.value, str(text)) for o, text in OUTCOME_LABELS.items()}
            self.languages = {code: labels.value(code, language_name(code, labels.lang)) for code in LOCALES}
        self._countries: dict[str, str] = {}

    def _conditions(self):
        return [
            Comment.consultation_id == self.consultation.id,
            Comment.visible_filter(self.user),
            *self.filters.comment_conditions(),
        ]

    def _query(self) -> Select:
        return (
            select(
                Comment.id, Comment.document_id, Comment.paragraph_id, Comment.parent_id,
                DocumentVersion.number.label("version_number"), Paragraph.number.label("paragraph_number"),
                User.display_name, User.email, Organization.name, Organization.stakeholder_type,
                Organization.country, Comment.comment_type, Comment.position, Comment.language, Comment.body,
                Comment.proposed_wording, Comment.status, Comment.visibility,
                SecretariatResponse.outcome, SecretariatResponse.text.label("response_text"),
                Comment.created_at, Comment.edited_at,
            )
            .join(User, User.id == Comment.author_id)
            .outerjoin(Organization, Organization.id == Comment.organization_id)
            .outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
            .outerjoin(DocumentVersion, DocumentVersion.id == Paragraph.version_id)
            .outerjoin(WorkingDocument, WorkingDocument.id == Comment.document_id)
            .outerjoin(SecretariatResponse, SecretariatResponse.comment_id == Comment.id)
            .where(*self._conditions())
            # General comments first, then document by document, paragraph by paragraph (NULLs sort
            # differently on SQLite and PostgreSQL, hence the explicit flags).
            .order_by(
                case((Comment.document_id.is_(None), 0), else_=1),
                WorkingDocument.position,
                Comment.document_id,
                case((Comment.paragraph_id.is_(None), 0), else_=1),
                Paragraph.number,
                DocumentVersion.number,
                Comment.id,
            )
        )

    def count(self) -> int:
        return db.session.scalar(select(func.count(Comment.id)).where(*self._conditions())) or 0

    def _stream(self):
        return db.session.execute(self._query().execution_options(yield_per=BATCH))

    def _country(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self._countries:
            self._countries[code] = self.labels.value(code, country_name(code, self.labels.lang))
        return self._countries[code]

    def sheets(self) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
        yield self.sheet_name, self.header, self.rows()

    def rows(self) -> Iterator[list[Any]]:
        for row in self._stream():
            yield [
                row.id,
                self.title,
                self.document_titles.get(row.document_id, "") if row.document_id else "",
                row.version_number,
                row.paragraph_number,
                self.threads["paragraph" if row.paragraph_id else "general"],
                row.parent_id,
                row.display_name,
                row.email,
                row.name or "",
                self.types.get(row.stakeholder_type, row.stakeholder_type or ""),
                self._country(row.country),
                self.comment_types.get(row.comment_type, row.comment_type),
                self.positions.get(row.position, row.position or ""),
                self.languages.get(row.language, row.language),
                row.body,
                row.proposed_wording or "",
                self.statuses.get(row.status, row.status),
                self.visibilities.get(row.visibility, row.visibility),
                self.outcomes.get(row.outcome, row.outcome or ""),
                row.response_text or "",
                row.created_at,
                row.edited_at,
            ]

    def json_chunks(self, exported_at, on_row=None) -> Iterator[str]:
        """The documented JSON (docs/EXPORT_JSON.md), written a comment at a time."""
        consultation = self.consultation
        head = {
            "format": "consult-comments",
            "version": 1,
            "exported_at": utc_iso(exported_at),
            "consultation": {"id": consultation.id, "slug": consultation.slug, "title": consultation.title.texts},
            "filters": self.filters.to_args(),
            "documents": [
                {"id": d.id, "position": d.position, "category": d.category, "title": d.title.texts}
                for d in self.documents
            ],
        }
        # The head object, left open (without its closing brace) for the comments array to follow.
        yield json_text(head)[:-1] + ',"comments":['
        for index, row in enumerate(self._stream()):
            organization = None
            if row.name is not None:
                organization = {"name": row.name, "stakeholder_type": row.stakeholder_type, "country": row.country}
            item = {
                "id": row.id,
                "document_id": row.document_id,
                "version": row.version_number,
                "paragraph": row.paragraph_number,
                "thread": "paragraph" if row.paragraph_id else "general",
                "parent_id": row.parent_id,
                "author": {"name": row.display_name, "email": row.email},
                "organization": organization,
                "type": row.comment_type,
                "position": row.position,
                "language": row.language,
                "body": row.body,
                "proposed_wording": row.proposed_wording,
                "status": row.status,
                "visibility": row.visibility,
                "secretariat_response": (
                    {"outcome": row.outcome, "text": row.response_text} if row.outcome is not None else None
                ),
                "created_at": utc_iso(row.created_at),
                "edited_at": utc_iso(row.edited_at),
            }
            yield ("," if index else "") + json_text(item)
            if on_row is not None:
                on_row()
        yield "]}"
