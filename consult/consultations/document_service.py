"""What managers do to working documents: add, edit, delete, translate, publish a new version.

Each operation validates everything first (the text, the upload, the dates),
then writes, audits and commits once; bad input raises InvalidInput with
messages keyed by form field name and leaves the database untouched.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.audit import record
from consult.consultations.models import (
    Consultation,
    ConsultationState,
    DocumentCategory,
    DocumentVersion,
    Paragraph,
    WorkingDocument,
)
from consult.consultations.parsing import Block, normalise, parse_docx, parse_markdown
from consult.consultations.versioning import build_paragraphs
from consult.directory.service import InvalidInput, Refused
from consult.extensions import db
from consult.i18n import LOCALES, LocalizedText, is_valid_time_zone, language_name

__all__ = ["InvalidInput", "Refused"]

MAX_TITLE = 300
MAX_NOTE = 500
MAX_BLOCKS = 5000
MAX_BLOCK_LENGTH = 50_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A .docx is a zip: refuse one that would unpack to far more than any real document.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Format, stored mimetype and the extension a download gets, by the extension a file may have.
FILE_KINDS = {
    ".docx": ("docx", DOCX_MIMETYPE, "docx"),
    ".md": ("markdown", "text/markdown; charset=utf-8", "md"),
    ".markdown": ("markdown", "text/markdown; charset=utf-8", "md"),
    ".txt": ("text", "text/plain; charset=utf-8", "txt"),
}


# --- Input ---------------------------------------------------------------


@dataclass
class Upload:
    filename: str
    data: bytes  # read with a limit: at most one byte more than the size allowed


@dataclass
class ContentFields:
    """A version's text: pasted Markdown or an uploaded file, in `locale`."""

    locale: str
    pasted: str = ""
    upload: Upload | None = None
    note: str = ""


@dataclass
class DocumentFields:
    titles: dict[str, str]
    original: str  # the language the title was first written in
    category: str
    deadline: datetime | None = None  # naive: a local time in the consultation's zone


@dataclass
class Source:
    blocks: list[Block]
    format: str
    filename: str = ""
    mimetype: str = ""
    data: bytes | None = None


def max_upload_bytes() -> int:
    return int(current_app.config.get("DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def read_source(content: ContentFields) -> Source:
    """The blocks of the text or file in `content`; InvalidInput says what is wrong with it."""
    errors: dict[str, str] = {}
    if content.locale not in LOCALES:
        errors["original_locale"] = _("Choose the language the text is written in.")
    if len(content.note) > MAX_NOTE:
        errors["note"] = _("The note can have at most %(count)d characters.", count=MAX_NOTE)
    pasted = content.pasted.strip()
    source = None
    if pasted and content.upload is not None:
        errors["upload"] = _("Paste the text or upload a file, not both.")
    elif content.upload is not None:
        source, problem = _read_upload(content.upload)
        if problem:
            errors["upload"] = problem
    elif pasted:
        source = Source(parse_markdown(content.pasted), "markdown")  # no file: nothing to download
        if not source.blocks:
            errors["content"] = _("The text is empty: it has no heading or paragraph.")
    else:
        errors["content"] = _("Paste the document's text or upload a file.")
    if source is not None and len(source.blocks) > MAX_BLOCKS:
        field = "content" if source.data is None else "upload"
        errors[field] = _("The document has more than %(count)d paragraphs; split it into several.", count=MAX_BLOCKS)
    if errors:
        raise InvalidInput(errors)
    return source


def _read_upload(upload: Upload) -> tuple[Source | None, str | None]:
    filename = safe_filename(upload.filename)
    kind = FILE_KINDS.get(PurePosixPath(filename.lower()).suffix)
    if kind is None:
        return None, _("Upload a Word document (.docx), a Markdown file (.md, .markdown) or a text file (.txt).")
    if not upload.data:
        return None, _("The file is empty.")
    limit = max_upload_bytes()
    if len(upload.data) > limit:
        return None, _too_large(limit)
    source_format, mimetype, _extension = kind
    if source_format == "docx":
        blocks = _docx_blocks(upload.data)
        if blocks is None:
            return None, _("This file is not a Word document (.docx) that can be read. Save it as .docx and try again.")
    else:
        text = _utf8_text(upload.data)
        if text is None:
            return None, _(
                "This file is not UTF-8 text. Save it as plain text with the UTF-8 encoding and upload it again."
            )
        blocks = parse_markdown(text)
    if not blocks:
        return None, _("The file has no text: it has no heading or paragraph.")
    return Source(blocks, source_format, filename, mimetype, upload.data), None


def _too_large(limit: int) -> str:
    if limit >= 1024 * 1024:
        size = format_decimal(round(limit / (1024 * 1024), 1))
        return _("The file is larger than %(size)s MB. Upload a smaller file.", size=size)
    return _("The file is larger than %(size)s KB. Upload a smaller file.", size=format_decimal(-(-limit // 1024)))


def _docx_blocks(data: bytes) -> list[Block] | None:
    """The blocks of a real .docx, judged by its content; None for anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if "word/document.xml" not in package.namelist():
                return None
            if sum(info.file_size for info in package.infolist()) > MAX_UNPACKED_BYTES:
                return None
            if package.testzip() is not None:
                return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        return None
    try:
        return parse_docx(data)
    except Exception:  # python-docx raises many kinds of error on a damaged package; all mean "unreadable"
        current_app.logger.info("Refused an unreadable .docx upload", exc_info=True)
        return None


def _utf8_text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None  # binary, whatever its name says
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def safe_filename(name: str | None) -> str:
    """The last part of an uploaded file's name: no folders, control characters or leading dots; at most 255 long."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"\\/').strip().lstrip(". ")
    return cleaned[-255:]


def has_original(version: DocumentVersion) -> bool:
    """Whether the version came from an uploaded file (pasted text has none), without loading the file."""
    return bool(version.source_mimetype)


def download_name(document: WorkingDocument, version: DocumentVersion) -> str:
    """An ASCII name for the original file: the uploaded name's stem, slugified, with the format's own extension."""
    extension = next((k[2] for k in FILE_KINDS.values() if k[0] == version.source_format), "bin")
    stem = PurePosixPath(version.source_filename).stem or str(document.title)
    return f"{slugify(stem, max_length=100) or 'document'}-v{version.number}.{extension}"


def _check_details(fields: DocumentFields, consultation: Consultation) -> tuple[dict[str, str], datetime | None]:
    errors: dict[str, str] = {}
    if fields.original not in LOCALES:
        errors["original_locale"] = _("Choose the language the document was first written in.")
    elif not normalise(fields.titles.get(fields.original, "")):
        errors[f"title_{fields.original}"] = _(
            "Enter the title in %(language)s, the original language.", language=language_name(fields.original)
        )
    for code in LOCALES:
        if len(normalise(fields.titles.get(code, ""))) > MAX_TITLE:
            errors[f"title_{code}"] = _("The title can have at most %(count)d characters.", count=MAX_TITLE)
    try:
        DocumentCategory(fields.category)
    except ValueError:
        errors["category"] = _("Choose the agenda category.")
    deadline, problem = _deadline_in_window(fields.deadline, consultation)
    if problem:
        errors["comment_deadline"] = problem
    return errors, deadline


def consultation_zone(consultation: Consultation) -> ZoneInfo:
    return ZoneInfo(consultation.time_zone if is_valid_time_zone(consultation.time_zone) else "UTC")


def local_deadline(document: WorkingDocument) -> datetime | None:
    """The deadline as the form shows it: a naive local time in the consultation's zone."""
    if document.comment_deadline is None:
        return None
    return document.comment_deadline.astimezone(consultation_zone(document.consultation)).replace(tzinfo=None)


def _in_zone(moment: datetime, zone: ZoneInfo) -> str:
    return f"{format_datetime(moment, 'medium', tzinfo=zone, locale=get_locale())} ({zone.key})"


def _deadline_in_window(local: datetime | None, consultation: Consultation) -> tuple[datetime | None, str | None]:
    if local is None:
        return None, None
    zone = consultation_zone(consultation)
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local:
        return None, _(
            "%(time)s does not exist in %(zone)s (the clocks change then). Choose another time.",
            time=local.strftime("%Y-%m-%d %H:%M"),
            zone=zone.key,
        )
    if not consultation.opens_at < moment <= consultation.closes_at:
        return None, _(
            "The deadline must be after the consultation opens (%(opens)s) and no later than it closes (%(closes)s).",
            opens=_in_zone(consultation.opens_at, zone),
            closes=_in_zone(consultation.closes_at, zone),
        )
    return moment, None


def _title(fields: DocumentFields) -> LocalizedText:
    return LocalizedText({code: normalise(fields.titles.get(code, "")) for code in LOCALES}, fields.original)


# --- Operations ----------------------------------------------------------


def add_document(actor, consultation: Consultation, fields: DocumentFields, content: ContentFields) -> WorkingDocument:
    errors, deadline = _check_details(fields, consultation)
    source = None
    try:
        source = read_source(content)
    except InvalidInput as invalid:
        errors = {**invalid.errors, **errors}
    if errors:
        raise InvalidInput(errors)
    last = db.session.scalar(
        select(func.max(WorkingDocument.position)).where(WorkingDocument.consultation_id == consultation.id)
    )
    document = WorkingDocument(
        consultation_id=consultation.id,
        position=(last or 0) + 1,
        title=_title(fields),
        category=fields.category,
        comment_deadline=deadline,
    )
    version = _new_version(actor, document, 1, source, content)
    version.paragraphs = build_paragraphs(source.blocks, content.locale)
    db.session.add(document)
    record(
        actor,
        "document_added",
        document,
        consultation=consultation.slug,
        category=document.category,
        comment_deadline=deadline.isoformat() if deadline else None,
        source_format=source.format,
        filename=source.filename,
        paragraphs=len(version.paragraphs),
    )
    db.session.commit()
    return document


def _new_version(actor, document: WorkingDocument, number: int, source: Source, content: ContentFields):
    return DocumentVersion(
        document=document,
        number=number,
        original_locale=content.locale,
        source_format=source.format,
        source_filename=source.filename,
        source_mimetype=source.mimetype,
        source_file=source.data,
        note=content.note.strip(),
        created_by_id=getattr(actor, "id", None),
    )


def update_document(actor, document: WorkingDocument, fields: DocumentFields) -> bool:
    """Title, category and deadline; False when nothing changed (nothing is written)."""
    errors, deadline = _check_details(fields, document.consultation)
    if errors:
        raise InvalidInput(errors)
    title = _title(fields)
    changes = {}
    if title != document.title:
        changes["title"] = [document.title.texts, title.texts]
        changes["original"] = [document.title.original, title.original]
    if fields.category != document.category:
        changes["category"] = [document.category, fields.category]
    if deadline != document.comment_deadline:
        changes["comment_deadline"] = [_iso(document.comment_deadline), _iso(deadline)]
    if not changes:
        return False
    document.title = title
    document.category = fields.category
    document.comment_deadline = deadline
    record(actor, "document_updated", document, changes=changes)
    db.session.commit()
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def deletion_refusal(document: WorkingDocument) -> str | None:
    """Why the document can no longer be deleted, or None while it can."""
    if len(document.versions) > 1:
        return _("This document cannot be deleted: it already has more than one version.")
    if document.consultation.state is not ConsultationState.DRAFT:
        return _(
            "This document cannot be deleted: the consultation is no longer a draft and people may have read it."
        )
    return None


def delete_document(actor, document: WorkingDocument) -> None:
    refusal = deletion_refusal(document)
    if refusal:
        raise Refused(refusal)
    record(actor, "document_deleted", document, consultation=document.consultation.slug, title=document.title.texts)
    db.session.delete(document)
    db.session.commit()


def publish_version(actor, document: WorkingDocument, content: ContentFields) -> DocumentVersion:
    """Add version n+1; unchanged paragraphs keep their threads and translations."""
    source = read_source(content)
    previous = document.current_version
    previous_paragraphs = version_paragraphs(previous) if previous else []
    version = _new_version(actor, document, (previous.number if previous else 0) + 1, source, content)
    version.paragraphs = build_paragraphs(source.blocks, content.locale, previous_paragraphs)
    db.session.add(version)
    kept = {p.thread_key for p in previous_paragraphs}
    record(
        actor,
        "document_version_published",
        document,
        version=version.number,
        note=version.note,
        source_format=source.format,
        filename=source.filename,
        paragraphs=len(version.paragraphs),
        unchanged=sum(1 for p in version.paragraphs if p.thread_key in kept),
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput(
            {"content": _("Another version was published at the same moment. Reload the document and try again.")}
        ) from None
    return version


def save_translations(
    actor,
    document: WorkingDocument,
    version: DocumentVersion,
    locale: str,
    title: str,
    texts: dict[int, str],
) -> int:
    """Put the `locale` texts of the title and of every block of `version`; returns how many changed.

    An empty text removes that translation. The original language is never edited here: it changes only with a new
    version.
    """
    if locale not in LOCALES or locale == version.original_locale:
        raise Refused(_("Texts in the original language change only with a new version."))
    if version is not document.current_version:
        raise InvalidInput(
            {"stale_version": _("A new version was published while you were translating. Nothing was saved.")}
        )
    paragraphs = version_paragraphs(version)
    errors: dict[str, str] = {}
    title = normalise(title)
    if len(title) > MAX_TITLE:
        errors["title"] = _("The title can have at most %(count)d characters.", count=MAX_TITLE)
    elif not title and locale == document.title.original:
        errors["title"] = _("The title cannot be empty in its original language.")
    new_texts = {}
    for paragraph in paragraphs:
        text = _clean_block(texts.get(paragraph.id, ""), paragraph.is_heading)
        if len(text) > MAX_BLOCK_LENGTH:
            errors[f"block_{paragraph.id}"] = _(
                "This text can have at most %(count)d characters.", count=MAX_BLOCK_LENGTH
            )
        new_texts[paragraph.id] = text
    if errors:
        raise InvalidInput(errors)
    changed = 0
    for paragraph in paragraphs:
        if new_texts[paragraph.id] != paragraph.text.get(locale):
            paragraph.text = paragraph.text.with_text(locale, new_texts[paragraph.id])
            changed += 1
    if title != document.title.get(locale):
        document.title = document.title.with_text(locale, title)
        changed += 1
    if changed:
        record(actor, "document_translated", document, locale=locale, version=version.number, changed=changed)
        db.session.commit()
    return changed


def _clean_block(text: str, heading: bool) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if heading:
        text = normalise(text).lstrip("#").strip()  # a heading is one line; its level is the original's
    return text


# --- Reading -------------------------------------------------------------


def version_paragraphs(version: DocumentVersion) -> list[Paragraph]:
    """All blocks of a version, in order, in one query."""
    return list(
        db.session.scalars(select(Paragraph).where(Paragraph.version_id == version.id).order_by(Paragraph.position))
    )


@dataclass
class Progress:
    locale: str
    done: int
    total: int
    is_original: bool

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total

    @property
    def language(self) -> str:
        return language_name(self.locale)


def translation_progress(paragraphs: list[Paragraph], original: str) -> list[Progress]:
    """For each language, how many of the version's headings and paragraphs have a text in it."""
    total = len(paragraphs)
    return [
        Progress(code, sum(1 for p in paragraphs if p.text.get(code)), total, code == original) for code in LOCALES
    ]
