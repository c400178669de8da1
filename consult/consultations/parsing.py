"""Working documents split into blocks: Markdown with markdown-it's token stream, .docx with python-docx.

A block is a heading (kept with its level, never numbered) or a paragraph (numbered
on the page). Lists, tables, block quotes and code are one paragraph each. Every
block's text is Markdown, so the page renders both sources the same way.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import docx
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph as DocxParagraph
from markdown_it import MarkdownIt

HEADING = "heading"
PARAGRAPH = "paragraph"
MAX_HEADING_LEVEL = 6

# The same dialect as consult.markup.render_markdown, so blocks split where the page renders them.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table")
_markdown.enable("strikethrough")


@dataclass(frozen=True)
class Block:
    kind: str  # HEADING or PARAGRAPH
    text: str  # Markdown (for a heading: its inline content, without the # marks)
    level: int = 0  # heading level, 1..6


def normalise(text: str) -> str:
    """Text compared across versions: the same words, whatever the spacing."""
    return " ".join(text.split())


_BLOCK_OPENER = re.compile(r"^(#|>|[-+*](\s|$)|```|~~~)")
_ORDERED_OPENER = re.compile(r"^(\d{1,9})([.)])(\s|$)")


def heading_source(text: str) -> str:
    """A heading's text as Markdown that renders inline: "1. Scope" must stay a heading, not become a list."""
    text = normalise(text)
    ordered = _ORDERED_OPENER.match(text)
    if ordered:
        return f"{ordered.group(1)}\\{text[ordered.end(1):]}"
    return "\\" + text if _BLOCK_OPENER.match(text) else text


# --- Markdown -------------------------------------------------------------


def parse_markdown(source: str) -> list[Block]:
    """Top-level blocks of `source`; a block's text is its own source lines, untouched."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    tokens = _markdown.parse(source)
    blocks: list[Block] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1:
            continue
        if token.type == "heading_open":
            text = normalise(tokens[index + 1].content)
            if text:
                blocks.append(Block(HEADING, text, int(token.tag[1])))
        elif token.type == "hr":
            continue  # a separator carries no text of its own
        elif token.map:
            start, end = token.map
            text = "\n".join(lines[start:end]).strip("\n")
            if text.strip():
                blocks.append(Block(PARAGRAPH, text))
    return blocks


# --- .docx ----------------------------------------------------------------

_INLINE_SPECIAL = frozenset("\\`*_[]<>~&|")
_LINE_START_SPECIAL = frozenset("#>+-=")
_ORDERED_MARKER = re.compile(r"^(\d{1,9})([.)])")
_HARD_BREAK = "\\\n"


def parse_docx(data: bytes) -> list[Block]:
    """Blocks of a Word document, in body order. Raises whatever python-docx raises on a broken file."""
    document = docx.Document(io.BytesIO(data))
    list_formats = _ListFormats(document)
    blocks: list[Block] = []
    list_items: list[str] = []
    list_depth = -1

    def end_list() -> None:
        nonlocal list_depth
        if list_items:
            blocks.append(Block(PARAGRAPH, "\n".join(list_items)))
            list_items.clear()
        list_depth = -1

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            end_list()
            table = _table_markdown(item)
            if table:
                blocks.append(Block(PARAGRAPH, table))
            continue
        text = _paragraph_markdown(item)
        if not text:
            continue  # empty paragraphs are spacing, not content; they do not end a list
        heading_level = _heading_level(item)
        if heading_level:
            end_list()
            blocks.append(Block(HEADING, normalise(text.replace(_HARD_BREAK, " ")), heading_level))
            continue
        list_role = _list_role(item, list_formats)
        if list_role is None:
            end_list()
            blocks.append(Block(PARAGRAPH, text))
            continue
        depth, ordered = list_role
        depth = min(depth, list_depth + 1)  # a skipped level would turn into a code block
        list_depth = depth
        marker = "1." if ordered else "-"
        indent = "    " * depth
        body = text.replace("\n", "\n" + indent + " " * (len(marker) + 1))
        list_items.append(f"{indent}{marker} {body}")
    end_list()
    return blocks


def _style_names(paragraph: DocxParagraph) -> list[str]:
    """The paragraph's style and the styles it is based on, nearest first."""
    names = []
    style = paragraph.style
    while style is not None and len(names) < 10:
        names.append(style.name or "")
        style = style.base_style
    return names


def _heading_level(paragraph: DocxParagraph) -> int:
    for name in _style_names(paragraph):
        if name == "Title":
            return 1
        if name.startswith("Heading "):
            suffix = name.removeprefix("Heading ")
            if suffix.isdigit():
                return min(max(int(suffix), 1), MAX_HEADING_LEVEL)
    return 0


def _list_role(paragraph: DocxParagraph, list_formats: _ListFormats) -> tuple[int, bool] | None:
    """(depth, ordered) when the paragraph is a list item, else None."""
    numbering = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    style_name = next((n for n in _style_names(paragraph) if n.startswith("List")), None)
    if numbering is None and style_name is None:
        return None
    depth = 0
    ordered = bool(style_name and "Number" in style_name)
    if style_name and style_name[-1].isdigit():
        depth = int(style_name[-1]) - 1
    if numbering is not None:
        if numbering.ilvl is not None and numbering.ilvl.val is not None:
            depth = int(numbering.ilvl.val)
        if numbering.numId is not None and numbering.numId.val is not None:
            ordered = list_formats.is_ordered(int(numbering.numId.val), depth, default=ordered)
    return max(0, min(depth, 8)), ordered


class _ListFormats:
    """Whether a numbering definition is a bulleted or a numbered list, read from numbering.xml."""

    def __init__(self, document) -> None:
        try:
            self._root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            self._root = None

    def is_ordered(self, num_id: int, level: int, default: bool) -> bool:
        if self._root is None:
            return default
        abstract = self._root.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
        if not abstract:
            return default
        formats = self._root.xpath(
            f'./w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val'
        )
        if not formats:
            return default
        return formats[0] not in ("bullet", "none")


def _paragraph_markdown(paragraph: DocxParagraph) -> str:
    pieces: list[tuple[str, str, str | None]] = []  # (text, emphasis markers, link)
    for item in paragraph.iter_inner_content():
        if isinstance(item, Hyperlink):
            address = item.address if item.address and item.address.startswith(("http://", "https://")) else None
            for run in item.runs:
                pieces.append((run.text, _markers(run), address))
        else:
            pieces.append((item.text, _markers(item), None))
    merged: list[list] = []
    for text, markers, link in pieces:
        if merged and merged[-1][1] == markers and merged[-1][2] == link:
            merged[-1][0] += text
        elif text:
            merged.append([text, markers, link])
    markdown = "".join(_format_piece(text, markers, link) for text, markers, link in merged)
    return _escape_line_starts(markdown)


def _markers(run) -> str:
    markers = ""
    if run.bold:
        markers += "**"
    if run.italic:
        markers += "*"
    if run.font.strike:
        markers += "~~"
    return markers


def _escape_inline(text: str) -> str:
    text = text.replace("\t", " ")
    escaped = "".join("\\" + ch if ch in _INLINE_SPECIAL else ch for ch in text)
    return escaped.replace("\n", _HARD_BREAK)


def _format_piece(text: str, markers: str, link: str | None) -> str:
    core = text.strip()
    if not core:
        return " " if text else ""
    leading = " " if text[0].isspace() else ""
    trailing = " " if text[-1].isspace() else ""
    body = _escape_inline(core)
    if link:
        body = f"[{body}](<{link.replace('>', '%3E').replace(' ', '%20')}>)"
    return f"{leading}{markers}{body}{markers[::-1]}{trailing}"


def _escape_line_starts(markdown: str) -> str:
    """Stop plain text from turning into Markdown structure (headings, lists, code) at a line's start."""
    lines = []
    for line in markdown.split("\n"):
        line = line.strip(" ")
        if line[:1] in _LINE_START_SPECIAL:
            line = "\\" + line
        else:
            match = _ORDERED_MARKER.match(line)
            if match:
                line = f"{match.group(1)}\\{match.group(2)}{line[match.end():]}"
        lines.append(line)
    return "\n".join(lines).strip()


def _table_markdown(table: Table) -> str:
    rows = []
    for row in table.rows:
        rows.append([_cell_markdown(cell.text) for cell in row.cells])
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * width) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def _cell_markdown(text: str) -> str:
    return _escape_inline(normalise(text))
