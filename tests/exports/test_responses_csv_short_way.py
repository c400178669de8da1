"""The responses CSV takes a short way (cells converted once per label and per repeated answer, text neutralised
inline: ResponsesExport.csv_table); it writes the same bytes as the general way every other table takes (the typed
cells of ResponsesExport.sheets, which the XLSX writes, through csv_cells), for every kind of question, every shape
of answer, every label mode and language."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from consult.extensions import db
from consult.surveys.models import Response
from tests.exports.test_exports_support import make_answered_consultation
from tests.helpers import create_organization, create_user
from tests.surveys.test_responses_support import add_response

# Answers a person can write that are hard on a CSV writer: formulas, quotes, separators, line breaks, scripts.
AWKWARD = [
    '=1+2', '+33 1 23', '-minus', '@handle', '\tindent', '\rreturn', '\nnewline', "'quoted already",
    'comma, inside', 'say "hello"', 'line\nbreak', 'crlf\r\nbreak', ' padded ', '', 'عربى', '日本語 🎌',
    '\\.', 'semi; colon', '0', '-0', '007',
]


def _both_ways(app, data, **args) -> tuple[str, str]:
    from werkzeug.datastructures import MultiDict

    from consult.consultations.models import Consultation
    from consult.directory.models import User
    from consult.exports.export_files import ExportRequest, build_export, text_chunks
    from consult.exports.spreadsheet import stream_csv

    with app.test_request_context():
        staff = db.session.scalars(db.select(User).where(User.role == "staff")).first()
        consultation = db.session.get(Consultation, data.id)
        request, errors = ExportRequest.parse("responses", "csv", MultiDict(args), "en")
        assert not errors
        export, errors = build_export(request, consultation, staff)
        short_way = "".join(text_chunks(export, "csv"))
        ((_name, header, rows),) = list(export.sheets())
        general_way = "".join(stream_csv(header, rows))
    return short_way, general_way


def _add_awkward_responses(app, data) -> None:
    """One response per awkward text, in every question that takes text, and the other shapes answers come in."""
    with app.app_context():
        for number, text in enumerate(AWKWARD):
            organization = create_organization(
                name=text or f"Org {number}", country=("FR", "ES", "MX", "DE")[number % 4],
                stakeholder_type=("customs", "rights_holder", "intermediary")[number % 3])
            person = create_user(display_name=text or f"Person {number}", organization_id=organization.id)
            answers = {
                "Q1": text, "Q2": text, "Q8": text,
                "Q3": ("apple", "pear", {"choice": "other", "other": text}, "gone-option")[number % 4],
                "Q4": (["post", "sea"], [], {"choices": ["air"], "other": text}, ["unknown", "post"])[number % 4],
                "Q5": ("yes", "no", "maybe")[number % 3],
                "Q6": (1, 5, 3.5)[number % 3],
                "Q7": ("-3.5", "0", "120000", "1.25", text)[number % 5],
                "Q9": (["r3"], ["r1", "r2", "r3"], ["zz", "r1"])[number % 3],
                "Q10": ({"m1": "c2"}, {"m1": "c1", "m2": "c1"}, {"m2": "other"})[number % 3],
                "Q11": {"file_id": number, "filename": text or "file.pdf"},
            }
            if number % 7 == 6:
                answers = {"Q1": text}  # most questions unanswered
            response_id = add_response(data.survey_id, person.id, "submitted", answers,
                                       language=("en", "fr", "es")[number % 3])
            if number % 2:
                response = db.session.get(Response, response_id)
                response.submitted_at = datetime(2026, 3, 31, 14, 5, number, 123456 * (number % 3), tzinfo=UTC)
        db.session.commit()


@pytest.mark.parametrize("labels", ["text", "codes", "both"])
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_short_way_writes_the_same_csv_as_the_general_way(app, staff_client, labels, lang):
    data = make_answered_consultation(app)
    _add_awkward_responses(app, data)
    short_way, general_way = _both_ways(app, data, labels=labels, lang=lang, status="submitted")
    if short_way != general_way:  # the differing lines, not a character offset
        short_lines, general_lines = short_way.split("\r\n"), general_way.split("\r\n")
        assert [line for line in short_lines if line not in general_lines] == [
            line for line in general_lines if line not in short_lines]
    rows = list(csv.reader(io.StringIO(short_way.removeprefix("\ufeff"), newline="")))
    assert len(rows) == 1 + 2 + len(AWKWARD)  # header, the two submitted responses of the fixture, the awkward ones
    assert "'=1+2" in short_way and "'@handle" in short_way


def test_filters_and_drafts_are_the_same_both_ways(app, staff_client):
    data = make_answered_consultation(app)
    _add_awkward_responses(app, data)
    for args in ({}, {"stakeholder_type": "customs"}, {"country": "ES"}, {"language": "fr"}, {"status": "draft"}):
        short_way, general_way = _both_ways(app, data, **args)
        assert short_way == general_way, args
