"""The shared exporter: formulas are inert in every format, text comes back exactly."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from openpyxl import load_workbook

from consult.exports.spreadsheet import XlsxBook, csv_cells, csv_line, neutralise, stream_csv, stream_csv_lines

DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\nx", "=HYPERLINK(\"http://evil\")"]
AWKWARD = ["Café, «naïve»", "שלום עולם", "\u202eevil", "emoji 🎉", 'quote "inside"', "multi\nline"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_cells_a_spreadsheet_would_evaluate_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_numbers_and_plain_text_are_left_alone():
    assert neutralise(-2) == -2
    assert neutralise("Customs") == "Customs"


def test_csv_has_bom_rfc4180_quoting_and_inert_formulas():
    rows = [[v] for v in DANGEROUS + AWKWARD] + [[datetime(2026, 1, 2, 3, 4, tzinfo=UTC)], [None], [12]]
    text = "".join(stream_csv(["value"], rows))
    assert text.startswith("\ufeffvalue\r\n")
    parsed = [row[0] for row in csv.reader(io.StringIO(text[1:]))][1:]
    assert parsed[: len(DANGEROUS)] == ["'" + v for v in DANGEROUS]
    assert parsed[len(DANGEROUS): len(DANGEROUS) + len(AWKWARD)] == AWKWARD
    assert parsed[-3:] == ["2026-01-02T03:04:00+00:00", "", "12"]


CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.decimals(allow_nan=False),
    st.text(), st.sampled_from(DANGEROUS + AWKWARD), st.datetimes(timezones=st.just(UTC)), st.dates(),
    st.builds(Markup, st.sampled_from(DANGEROUS)),
)


def _one_cell_at_a_time(cell) -> str:
    """What a cell must read as in the CSV, spelled out case by case."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.isoformat()
    if isinstance(cell, (date, Decimal, int, float)):
        return str(cell)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else str(cell)


@given(st.lists(CELLS, min_size=1, max_size=8))
def test_every_kind_of_cell_reads_back_as_expected(row):
    text = "".join(stream_csv(["c"] * len(row), [row]))
    parsed = list(csv.reader(io.StringIO(text[1:], newline="")))[1]
    assert parsed == [_one_cell_at_a_time(cell) for cell in row]


@given(st.lists(st.lists(CELLS, min_size=2, max_size=8), min_size=1, max_size=5))
def test_lines_joined_by_hand_are_what_the_csv_module_writes(rows):
    """The responses CSV joins its lines itself (csv_line); the file is the same as csv.writer's."""
    by_hand = "".join(stream_csv_lines(["c"] * 8, (csv_line(csv_cells(row)) + "\r\n" for row in rows)))
    assert by_hand == "".join(stream_csv(["c"] * 8, rows))


def test_csv_streams_in_chunks():
    chunks = list(stream_csv(["n"], ([i] for i in range(2000))))
    assert len(chunks) > 3


def test_xlsx_writes_text_as_text_with_frozen_filtered_header(tmp_path):
    book = XlsxBook()
    count = book.add_sheet("Comments: [draft]/1", ["value", "number"],
                           [[v, 1.5] for v in DANGEROUS + AWKWARD])
    path = book.close()
    workbook = load_workbook(path)
    os.unlink(path)
    sheet = workbook.worksheets[0]
    assert count == len(DANGEROUS + AWKWARD)
    assert sheet.title == "Comments   draft  1"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref
    # OOXML stores a carriage return as the escape _x000D_; Excel shows it as the character.
    values = [sheet.cell(row=i + 2, column=1).value.replace("_x000D_", "\r") for i in range(count)]
    assert values == DANGEROUS + AWKWARD
    assert all(sheet.cell(row=i + 2, column=1).data_type == "s" for i in range(count))
    assert sheet.cell(row=2, column=2).value == 1.5


MARKUP_SHAPED = [
    '<r><t>x</t></r></is><f>HYPERLINK("http://evil.example","click")</f><is><r><t>y</t></r>',
    "<r>plain</r>",
    "<r></r>",
    "<r><t>=1+1</t></r>",
]


def test_xlsx_text_shaped_like_markup_is_written_as_text_not_copied_into_the_file():
    """xlsxwriter's constant-memory mode copies "<r>…</r>" strings unescaped; a formula must not get in that way."""
    book = XlsxBook()
    book.add_sheet("Answers", ["value"], [[value] for value in MARKUP_SHAPED])
    path = book.close()
    try:
        with zipfile.ZipFile(path) as archive:
            sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        sheet = load_workbook(path).worksheets[0]
    finally:
        os.unlink(path)
    assert "<f>" not in sheet_xml
    assert [sheet.cell(row=i + 2, column=1).value for i in range(len(MARKUP_SHAPED))] == MARKUP_SHAPED
    assert all(sheet.cell(row=i + 2, column=1).data_type == "s" for i in range(len(MARKUP_SHAPED)))
