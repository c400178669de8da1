"""One way to write tabular exports: neutralised cells, streamed CSV, constant-memory XLSX.

Every export goes through here so that no cell a participant wrote can run as
a formula in a spreadsheet (CSV injection), whatever the format.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

# A cell starting with one of these is read as a formula (or mangled) by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
UTF8_BOM = "\ufeff"
CSV_CHUNK_ROWS = 500
CSV_CHUNK_BYTES = 64 * 1024  # wide rows flush sooner, so a chunk stays small whatever the columns


def neutralise(value: Any) -> Any:
    """Make a text cell inert: prefix a quote to anything a spreadsheet would evaluate.

    Numbers, dates and booleans are data, not text, and pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, Decimal, int, float)):
        return str(value)
    return str(neutralise(str(value)))


FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
_WRITTEN_AS_IS = frozenset({int, float, Decimal})  # the csv module writes these (and None, as "") itself


def csv_cells(row: Sequence[Any]) -> list[Any]:
    """A row ready for csv.writer: text neutralised, dates and booleans spelled out; the same as `_csv_text`
    cell by cell, written inline because every exported cell passes here."""
    return [
        ("'" + cell if cell[:1] in FORMULA_STARTS else cell) if isinstance(cell, str)
        else cell if cell is None or cell.__class__ in _WRITTEN_AS_IS
        else _csv_text(cell)
        for cell in row
    ]


def csv_field(text: str) -> str:
    """One text cell as the csv module writes it (RFC 4180, QUOTE_MINIMAL): quoted when it holds a comma, a quote
    (doubled) or a line break."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def csv_line(cells: Sequence[Any]) -> str:
    """Cells as `csv_cells` makes them, joined as the csv module joins them (without the line end).

    Text is taken as plain `str` first: quoting a Markup would escape the quotes instead of adding them.
    """
    return ",".join(["" if cell is None else csv_field(str.__str__(cell)) if isinstance(cell, str) else str(cell)
                     for cell in cells])


def _csv_writer(buffer: io.StringIO):
    return csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def csv_header_line(header: Sequence[str]) -> str:
    """The header row of a CSV file, as `stream_csv` writes it."""
    buffer = io.StringIO()
    _csv_writer(buffer).writerow([_csv_text(cell) for cell in header])
    return buffer.getvalue()


def stream_csv_lines(header: Sequence[str], lines: Iterable[str]) -> Iterator[str]:
    """`stream_csv` for rows already written as lines (see `csv_line`), a chunk at a time."""
    chunk = [UTF8_BOM + csv_header_line(header)]
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if len(chunk) > CSV_CHUNK_ROWS or size >= CSV_CHUNK_BYTES:
            yield "".join(chunk)
            chunk.clear()
            size = 0
    yield "".join(chunk)


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark (Excel reads accents right) and RFC 4180 quoting, a chunk at a time."""
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    buffer.write(UTF8_BOM + csv_header_line(header))
    writerow = writer.writerow
    pending = 0
    for row in rows:
        writerow(csv_cells(row))
        pending += 1
        if pending >= CSV_CHUNK_ROWS or buffer.tell() >= CSV_CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


class XlsxBook:
    """An XLSX workbook written row by row to a temporary file (xlsxwriter's constant-memory mode).

    Text is always written as text (never interpreted as a formula or a number),
    headers are bold and frozen, columns get an autofilter and sensible widths.
    """

    MAX_WIDTH = 60

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(suffix=".xlsx", prefix="consult-export-")
        os.close(handle)
        self.workbook = xlsxwriter.Workbook(
            self.path,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
             "strings_to_urls": False, "remove_timezone": True},
        )
        self.header_format = self.workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.wrap_format = self.workbook.add_format({"text_wrap": True, "valign": "top"})
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"})

    def add_sheet(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                  widths: Sequence[int] | None = None) -> int:
        """Write one sheet; returns the number of data rows."""
        sheet = self.workbook.add_worksheet(_sheet_name(name))
        for column, title in enumerate(header):
            width = widths[column] if widths and column < len(widths) else min(max(len(title) + 4, 12), self.MAX_WIDTH)
            sheet.set_column(column, column, width)
            self.write_text(sheet, 0, column, str(title), self.header_format)
        sheet.freeze_panes(1, 0)
        count = 0
        # The commonest cells (plain text, whole and decimal numbers) take the short way; see `_write` for the rest.
        write_string, write_number, wrap = sheet.write_string, sheet.write_number, self.wrap_format
        for count, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                kind = value.__class__
                if kind is str and not value.startswith("<r>"):
                    write_string(count, column, value, wrap)
                elif kind is int or kind is float:
                    write_number(count, column, value)
                elif value is not None:
                    self._write(sheet, count, column, value)
        sheet.autofilter(0, 0, max(count, 1), max(len(header) - 1, 0))
        return count

    def _write(self, sheet, row: int, column: int, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, (int, float, Decimal)):
            sheet.write_number(row, column, float(value))
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value.replace(tzinfo=None), self.date_format)
        else:
            self.write_text(sheet, row, column, str(value), self.wrap_format)

    @staticmethod
    def write_text(sheet, row: int, column: int, text: str, cell_format=None) -> None:
        """Text as text: never evaluated (a leading "=" stays text), never copied into the file as markup.

        In constant-memory mode xlsxwriter copies a string shaped like "<r>…</r>" into the sheet unescaped, taking
        it for its own rich text: a participant could slip a formula into the cell that way. Such text is written
        as a rich string of three plain runs instead, which xlsxwriter escapes and a spreadsheet shows as one text.
        """
        if text.startswith("<r>") and text.endswith("</r>"):
            sheet.write_rich_string(row, column, text[:1], text[1:2], text[2:], cell_format)
        else:
            sheet.write_string(row, column, text, cell_format)

    def close(self) -> str:
        self.workbook.close()
        return self.path


def stream_file(path: str, chunk_size: int = 64 * 1024, delete: bool = True) -> Iterator[bytes]:
    """Send a finished file a chunk at a time, then remove it."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk
    finally:
        if delete:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


_FORBIDDEN_IN_SHEET_NAMES = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _sheet_name(name: str) -> str:
    cleaned = (name or "Sheet").translate(_FORBIDDEN_IN_SHEET_NAMES).strip().strip("'") or "Sheet"
    return cleaned[:31]
