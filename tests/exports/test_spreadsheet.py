"""The shared exporter: formulas are inert in every format, text comes back exactly."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from consult.exports.spreadsheet import XlsxBook, neutralise, stream_csv

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
