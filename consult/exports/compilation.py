"""The compilation of comments: the table the meeting works from, as DOCX and as XLSX.

For the general discussion first, then each document in order: paragraph
number, member and organization, type of comment, comment, proposed change and
secretariat observation, in paragraph order then time. It is for the people who
manage the consultation, so it holds what they see: pending, hidden and
confidential comments too, each marked; withdrawn and rejected ones only when
asked for (or named by the status filter).

Text goes in as text: Markdown becomes plain text, DOCX cells get plain runs
(never fields), XLSX cells are written as strings by the shared XlsxBook.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased

from consult.comments.models import (
    Comment,
    CommentStatus,
    CommentType,
    Position,
    ResponseOutcome,
    SecretariatResponse,
    Visibility,
)
from consult.consultations.models import Consultation, Paragraph, WorkingDocument
from consult.directory.models import Organization, User
from consult.directory.stakeholders import country_name
from consult.exports.filters import ExportFilters
from consult.exports.spreadsheet import XlsxBook
from consult.extensions import db
from consult.i18n import utcnow

# What the secretariat answers and the meeting discusses; `include=all` adds withdrawn and rejected comments.
DEFAULT_STATUSES = (CommentStatus.PENDING.value, CommentStatus.PUBLISHED.value, CommentStatus.HIDDEN.value)
BATCH = 500

# Landscape A4 with 15 mm margins leaves 267 mm for the six columns.
PAGE_MARGIN_MM = 15
COLUMN_WIDTHS_MM = (12, 42, 26, 74, 58, 55)
XLSX_WIDTHS = (6, 30, 16, 12, 60, 45, 18, 45, 24)

AuthorOrganization = aliased(Organization, name="author_organization")


@dataclass(frozen=True)
class Options:
    filters: ExportFilters
    language: str
    include_all: bool = False


@dataclass(frozen=True)
class Row:
    """One comment as the compilation shows it."""

    section: int | None  # document id; None for the general discussion
    paragraph: int | None
    author: str
    organization: str
    country: str
    comment_type: str
    position: str
    comment: str
    proposed_change: str
    outcome: str
    observation: str
    marks: tuple[str, ...]  # "Confidential", "Hidden by a moderator"…

    @property
    def member(self) -> str:
        if not self.organization:
            return self.author
        where = _("%(organization)s (%(country)s)", organization=self.organization, country=self.country) \
            if self.country else self.organization
        return f"{self.author}\n{where}" if self.author else where


# --- Markdown to plain text -----------------------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
# Characters XML 1.0 cannot hold (a DOCX would not open): control characters but tab and line breaks.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def markdown_to_text(source: str | None) -> str:
    """What a Markdown text says, without its markup: paragraphs and list items on their own lines,
    link targets after the link text, code as written. Raw HTML stays text, as on the pages."""
    if not source:
        return ""
    blocks: list[str] = []
    inline: list[str] = []
    lists: list[int | None] = []  # None for a bulleted list, the next number for an ordered one
    prefix = ""
    cells: list[str] = []
    for token in _markdown.parse(source):
        kind = token.type
        if kind == "inline":
            inline.append(_inline_text(token.children or []))
        elif kind in ("paragraph_close", "heading_close"):
            blocks.append("  " * max(len(lists) - 1, 0) + prefix + "".join(inline))
            inline, prefix = [], ""
        elif kind in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            lists.append(int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            number = lists[-1]
            prefix = "• " if number is None else f"{number}. "
            if number is not None:
                lists[-1] = number + 1
        elif kind in ("th_close", "td_close"):
            cells.append("".join(inline))
            inline = []
        elif kind == "tr_close":
            blocks.append(" | ".join(cells))
            cells = []
        elif kind == "hr":
            blocks.append("—")
    return "\n".join(blocks)


def _inline_text(children) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # (target, where the link text starts in `parts`)
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            text = "".join(parts[start:])
            parts[start:] = [text if not href or href in (text, f"mailto:{text}") else f"{text} ({href})"]
    return "".join(parts)


# --- Reading the comments ----------------------------------------------------------------------


def _statuses(options: Options) -> tuple[str, ...] | None:
    """The statuses to keep, or None for all of them."""
    if options.filters.comment_statuses:
        return None  # the filter itself narrows
    return None if options.include_all else DEFAULT_STATUSES


def comments_query(consultation: Consultation, options: Options) -> Select:
    """Every comment of the compilation, the general discussion first, then by document, paragraph and time."""
    query = (
        select(
            Comment.document_id, Paragraph.number, User.display_name, AuthorOrganization.name,
            AuthorOrganization.country, Comment.comment_type, Comment.position, Comment.body,
            Comment.proposed_wording, Comment.status, Comment.visibility, SecretariatResponse.outcome,
            SecretariatResponse.text,
        )
        .select_from(Comment)
        .join(User, User.id == Comment.author_id)
        .outerjoin(AuthorOrganization, AuthorOrganization.id == Comment.organization_id)
        .outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
        .outerjoin(WorkingDocument, WorkingDocument.id == Comment.document_id)
        .outerjoin(SecretariatResponse, SecretariatResponse.comment_id == Comment.id)
        .where(Comment.consultation_id == consultation.id, *options.filters.comment_conditions())
        .order_by(
            # CASE and COALESCE, not NULLS FIRST: SQLite and PostgreSQL sort NULL differently.
            case((Comment.document_id.is_(None), 0), else_=1),
            func.coalesce(WorkingDocument.position, 0),
            func.coalesce(Comment.document_id, 0),
            func.coalesce(Paragraph.number, 0),
            Comment.created_at,
            Comment.id,
        )
    )
    statuses = _statuses(options)
    if statuses is not None:
        query = query.where(Comment.status.in_(statuses))
    return query


def compilation_rows(consultation: Consultation, options: Options) -> Iterator[Row]:
    """The rows as they are read from the database (in batches; never the whole list in memory)."""
    type_labels = {t.value: t.label for t in CommentType}
    position_labels = {p.value: p.label for p in Position}
    outcome_labels = {o.value: o.label for o in ResponseOutcome}
    status_labels = {s.value: s.label for s in CommentStatus}
    confidential = _("Confidential")
    result = db.session.execute(comments_query(consultation, options).execution_options(yield_per=BATCH))
    for (document_id, number, author, organization, country, comment_type, position, body, wording, status,
         visibility, outcome, response_text) in result:
        marks = []
        if status != CommentStatus.PUBLISHED.value:
            marks.append(status_labels.get(status, status))
        if visibility == Visibility.CONFIDENTIAL.value:
            marks.append(confidential)
        yield Row(
            section=document_id,
            paragraph=number,
            author=author or "",
            organization=organization or "",
            country=country_name(country, options.language) if country else "",
            comment_type=type_labels.get(comment_type, comment_type),
            position=position_labels.get(position, position) if position else "",
            comment=markdown_to_text(body),
            proposed_change=markdown_to_text(wording),
            outcome=outcome_labels.get(outcome, outcome) if outcome else "",
            observation=markdown_to_text(response_text),
            marks=tuple(marks),
        )


@dataclass
class Section:
    """The general discussion or one document, with its rows."""

    key: int | None
    title: str
    rows: Iterable[Row]


def sections(consultation: Consultation, options: Options) -> Iterator[Section]:
    """The general discussion, then every document in order, each with its rows (possibly none), from one stream."""
    documents = list(db.session.scalars(
        select(WorkingDocument).where(WorkingDocument.consultation_id == consultation.id)
        .order_by(WorkingDocument.position, WorkingDocument.id)
    ))
    titles: list[tuple[int | None, str]] = [(None, _("General comments"))]
    titles += [(d.id, d.title.render(options.language).text or _("Document %(number)s", number=n))
               for n, d in enumerate(documents, start=1)]
    grouped = itertools.groupby(compilation_rows(consultation, options), key=lambda row: row.section)
    current = next(grouped, None)
    for key, title in titles:
        if current is not None and current[0] == key:
            yield Section(key, title, current[1])
            current = next(grouped, None)
        else:
            yield Section(key, title, ())


def headers() -> list[str]:
    return [_("§"), _("Member / organization"), _("Type of comment"), _("Comment"), _("Proposed change"),
            _("Secretariat observation")]


# --- DOCX --------------------------------------------------------------------------------------


def write_docx(consultation: Consultation, options: Options) -> bytes:
    document = Document()
    _landscape(document)
    document.core_properties.title = _("Compilation of comments")
    document.add_heading(xml_safe(_("Compilation of comments")), level=0)
    document.add_paragraph(xml_safe(consultation.title.render(options.language).text))
    document.add_paragraph(_("Generated on %(moment)s (UTC).", moment=utcnow().strftime("%Y-%m-%d %H:%M")))
    if options.include_all:
        document.add_paragraph(_("Withdrawn and rejected comments are included and marked."))
    for section in sections(consultation, options):
        document.add_heading(xml_safe(section.title), level=1)
        table = None
        for row in section.rows:
            if table is None:
                table = _new_table(document)
            _add_row(table, row)
        if table is None:
            document.add_paragraph(_("No comments."))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _landscape(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(PAGE_MARGIN_MM))
    document.styles["Normal"].font.size = Pt(9)


def _new_table(document):
    table = document.add_table(rows=1, cols=len(COLUMN_WIDTHS_MM))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    # Word and LibreOffice repeat a row marked as a header at the top of every page the table runs on to.
    header_properties = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_properties.append(repeat)
    for cell, title, width in zip(header.cells, headers(), COLUMN_WIDTHS_MM, strict=True):
        cell.width = Mm(width)
        cell.paragraphs[0].add_run(xml_safe(title)).bold = True
    for column, width in zip(table.columns, COLUMN_WIDTHS_MM, strict=True):
        column.width = Mm(width)
    return table


def _add_row(table, row: Row) -> None:
    cells = table.add_row().cells
    for cell, width in zip(cells, COLUMN_WIDTHS_MM, strict=True):
        cell.width = Mm(width)
    _write(cells[0], f"§{row.paragraph}" if row.paragraph is not None else "")
    _write(cells[1], row.member)
    paragraph = _write(cells[2], row.comment_type)
    if row.position:
        paragraph.add_run("\n" + xml_safe(row.position))
    for mark in row.marks:
        run = paragraph.add_run("\n" + xml_safe(mark))
        run.bold = run.italic = True
    _write(cells[3], row.comment)
    _write(cells[4], row.proposed_change)
    paragraph = cells[5].paragraphs[0]
    if row.outcome:
        paragraph.add_run(xml_safe(row.outcome)).bold = True
        if row.observation:
            paragraph.add_run("\n")
    if row.observation:
        paragraph.add_run(xml_safe(row.observation))


def _write(cell, text: str):
    """Plain text in a plain run: python-docx turns line breaks into breaks and never makes a field of it."""
    paragraph = cell.paragraphs[0]
    if text:
        paragraph.add_run(xml_safe(text))
    return paragraph


# --- XLSX --------------------------------------------------------------------------------------


def write_xlsx(consultation: Consultation, options: Options) -> str:
    """One sheet for the general comments, then one per document; returns the file's path."""
    header = [_("§"), _("Member / organization"), _("Type of comment"), _("Position"), _("Comment"),
              _("Proposed change"), _("Outcome"), _("Secretariat observation"), _("Marked")]
    book = XlsxBook()
    try:
        for number, section in enumerate(sections(consultation, options)):
            # Numbered, so that two documents with the same title (or the same first 31 characters) never clash.
            name = section.title if section.key is None else f"{number}. {section.title}"
            book.add_sheet(name, header, (_sheet_row(row) for row in section.rows), widths=XLSX_WIDTHS)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(book.close())
        raise
    return book.close()


def _sheet_row(row: Row) -> list:
    return [row.paragraph, row.member, row.comment_type, row.position, row.comment, row.proposed_change, row.outcome,
            row.observation, "; ".join(row.marks)]
