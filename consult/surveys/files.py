"""Files given as answers: accepted by what they contain, never by what they are called.

A PDF starts with "%PDF-". DOCX, XLSX and ODT are zip archives recognised by
the entry only their kind has. The file's name must agree with its content: a
PDF called report.docx is refused, as is anything else called report.pdf.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _

from consult.extensions import db
from consult.surveys.models import UploadedFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class FileKind:
    extension: str
    mimetype: str
    name: str  # how people call it; not translated (product names)


PDF = FileKind("pdf", "application/pdf", "PDF")
DOCX = FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)")
XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)")
ODT = FileKind("odt", ODT_MIMETYPE, "OpenDocument (ODT)")
ACCEPTED_KINDS = (PDF, DOCX, XLSX, ODT)
# For the file input's `accept` attribute: a hint to the browser, never trusted.
ACCEPT_ATTRIBUTE = ",".join([f".{kind.extension}" for kind in ACCEPTED_KINDS] + [k.mimetype for k in ACCEPTED_KINDS])


class UploadRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    kind: FileKind
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def max_bytes_of(settings: dict | None) -> int:
    value = (settings or {}).get("max_bytes")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_MAX_BYTES


def human_size(size: int) -> str:
    """10485760 -> "10 MB" in the reader's number format."""
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))
    if size >= 1024:
        return _("%(size)s KB", size=format_decimal(round(size / 1024, 1)))
    return _("%(size)s bytes", size=format_decimal(size))


def clean_filename(name: str | None) -> str:
    """The name without any folder part or control characters, at most 255 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 255 - len(extension) - 1] + dot + extension) if dot and len(extension) < 10 else name[:255]
    return name


def detect_kind(content: bytes) -> FileKind | None:
    """What the bytes are, or None when they are none of the accepted kinds."""
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODT_MIMETYPE) + 1).strip() == ODT_MIMETYPE.encode():
                        return ODT
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        return None
    return None


def check_upload(filename: str | None, stream, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedUpload:
    """Read and check an uploaded file; raise UploadRefused with a message for the person."""
    name = clean_filename(filename)
    content = stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UploadRefused(_("The file is too large: the limit is %(limit)s.", limit=human_size(max_bytes)))
    if not content:
        raise UploadRefused(_("The file is empty. Choose the file again."))
    kind = detect_kind(content)
    if kind is None:
        raise UploadRefused(_("This type of file is not accepted. Upload a PDF, DOCX, XLSX or ODT file."))
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or extension.lower() != kind.extension:
        raise UploadRefused(
            _(
                "The file's name (%(name)s) does not match its content, which is a %(kind)s file. "
                "Rename it with the extension .%(extension)s, or upload the right file.",
                name=name or "?",
                kind=kind.name,
                extension=kind.extension,
            )
        )
    return CheckedUpload(filename=name, kind=kind, content=content)


def store_upload(checked: CheckedUpload, response, question_id: int, uploaded_by_id: int | None) -> UploadedFile:
    """Keep the checked file with the response; the caller commits."""
    stored = UploadedFile(
        response=response,
        question_id=question_id,
        filename=checked.filename,
        mimetype=checked.kind.mimetype,
        size=checked.size,
        sha256=checked.sha256,
        content=checked.content,
        uploaded_by_id=uploaded_by_id,
    )
    db.session.add(stored)
    db.session.flush()  # the answer refers to the file by its id
    return stored
