"""The compilation of comments as DOCX and XLSX: what the secretariat opens before the meeting."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from openpyxl import load_workbook

from consult.exports.compilation import markdown_to_text
from tests.exports.report_support import commented_consultation, make_moderator_of
from tests.factories import create_comment, create_consultation, create_document
from tests.helpers import counted_queries, create_user

DOCX = "/consultations/{slug}/export/compilation.docx"
XLSX = "/consultations/{slug}/export/compilation.xlsx"


@pytest.fixture
def data(app):
    with app.app_context():
        return commented_consultation()


def _docx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "attachment" in response.headers["Content-Disposition"]
    return Document(io.BytesIO(response.data))


def _table_rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def _headings(document):
    return [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def test_docx_is_landscape_with_one_table_per_section_in_paragraph_order(staff_client, data):
    document = _docx(staff_client.get(DOCX.format(slug=data.slug) + "?lang=en"))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    assert _headings(document) == ["Compilation of comments", "General comments", "Draft résolution", "Annex"]
    assert any(p.text == "CPG 17th meeting" for p in document.paragraphs)
    assert any(p.text == "No comments." for p in document.paragraphs)  # the annex has none

    general, draft = document.tables
    header, *rows = _table_rows(general)
    assert header == ["§", "Member / organization", "Type of comment", "Comment", "Proposed change",
                      "Secretariat observation"]
    assert len(rows) == 1
    assert rows[0][1] == "Jean Dupont\nDouane française (France)"
    assert rows[0][3] == "A general remark about the whole programme."

    header, *rows = _table_rows(draft)
    # §1 first (confidential at 40 min, pending at 45, the late one at 50), then §2 in the order written.
    assert [row[0] for row in rows] == ["§1", "§1", "§1", "§2", "§2", "§2"]
    assert [row[3] for row in rows] == [
        "Confidential remark.", "Pending remark.", "Late on §1: see our note (https://example.org/note).",
        "=1+1 naïve café", "Second on §2.", "Hidden remark.",
    ]
    first_p2 = rows[3]
    assert first_p2[1] == "Pauline Délégué\nMaison Lefèvre Parfums (France)"
    assert first_p2[2] == "Technical\nOppose"
    assert first_p2[4] == "Replace «goods» by articles"
    assert first_p2[5] == "Partially accepted\nWe keep goods; see =SUM(A1)."
    # Marks say what the audience does not see.
    assert rows[0][2] == "General\nConfidential"
    assert rows[1][2] == "General\nAwaiting moderation"
    assert rows[5][2] == "General\nHidden by a moderator"
    # Withdrawn and rejected comments are left out by default.
    text = "\n".join(cell for row in rows for cell in row)
    assert "Withdrawn remark." not in text and "Rejected remark." not in text


def test_docx_header_rows_repeat_and_text_is_never_a_field(staff_client, data):
    document = _docx(staff_client.get(DOCX.format(slug=data.slug)))
    for table in document.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
    body = document.element.body.xml
    assert "fldSimple" not in body and "instrText" not in body
    assert "=1+1 naïve café" in body


def test_include_all_adds_withdrawn_and_rejected_comments_marked(staff_client, data):
    document = _docx(staff_client.get(DOCX.format(slug=data.slug) + "?include=all"))
    rows = _table_rows(document.tables[1])[1:]
    by_text = {row[3]: row for row in rows}
    assert by_text["Withdrawn remark."][2] == "General\nWithdrawn by its author"
    assert by_text["Rejected remark."][2] == "General\nRejected"


def test_chosen_language_for_headings_and_labels(staff_client, data):
    document = _docx(staff_client.get(DOCX.format(slug=data.slug) + "?lang=fr"))
    assert "Projet de résolution" in _headings(document)
    header, *rows = _table_rows(document.tables[1])
    assert header[2] == "Type de commentaire"
    assert "Technique" in [row[2].split("\n")[0] for row in rows]


def test_filters_narrow_the_compilation(staff_client, data):
    document = _docx(staff_client.get(DOCX.format(slug=data.slug) + "?stakeholder_type=customs"))
    rows = [row for table in document.tables for row in _table_rows(table)[1:]]
    assert {row[1].split("\n")[0] for row in rows} == {"Jean Dupont"}
    document = _docx(staff_client.get(DOCX.format(slug=data.slug) + "?status=withdrawn"))
    rows = [row for table in document.tables for row in _table_rows(table)[1:]]
    assert [row[3] for row in rows] == ["Withdrawn remark."]


def test_xlsx_has_a_sheet_per_document_with_text_kept_as_text(staff_client, data):
    response = staff_client.get(XLSX.format(slug=data.slug))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["General comments", "1. Draft résolution", "2. Annex"]
    sheet = book["1. Draft résolution"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("§", "Member / organization", "Type of comment", "Position", "Comment", "Proposed change")
    assert [row[0] for row in rows[1:]] == [1, 1, 1, 2, 2, 2]
    formula_row = rows[4]
    assert formula_row[4] == "=1+1 naïve café"
    assert sheet.cell(row=5, column=5).data_type == "s"  # a string, not a formula
    assert formula_row[6:8] == ("Partially accepted", "We keep goods; see =SUM(A1).")
    assert rows[1][8] == "Confidential"
    assert sheet.freeze_panes == "A2"
    assert list(book["2. Annex"].iter_rows(values_only=True))[1:] == []


def test_managers_only(client, participant_client, moderator_client, make_user, data, app):
    assert client.get(DOCX.format(slug=data.slug)).status_code == 302  # to the sign-in page
    assert participant_client.get(DOCX.format(slug=data.slug)).status_code == 403  # sees it, does not manage it
    assert moderator_client.get(XLSX.format(slug=data.slug)).status_code == 403  # moderates another group
    with app.app_context():
        make_moderator_of(data.group_id, moderator_client.user.id)
    assert moderator_client.get(XLSX.format(slug=data.slug)).status_code == 200
    assert participant_client.get(DOCX.format(slug="no-such-consultation")).status_code == 404


def test_hidden_consultation_is_not_found(participant_client, app):
    with app.app_context():
        draft = create_consultation(state="draft")
    assert participant_client.get(DOCX.format(slug=draft.slug)).status_code == 404


@pytest.mark.parametrize("query", ["lang=de", "include=everything", "stakeholder_type=spy", "date_from=31/12/2025",
                                   "group=abc", "status=lost"])
def test_bad_parameters_get_a_clear_400(staff_client, data, query):
    response = staff_client.get(DOCX.format(slug=data.slug) + "?" + query)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "could not be used" in response.get_data(as_text=True)


def test_unknown_format_is_not_found(staff_client, data):
    assert staff_client.get(f"/consultations/{data.slug}/export/compilation.pdf").status_code == 404


def test_markdown_becomes_plain_text():
    assert markdown_to_text("**Bold** and _it_ with `code`") == "Bold and it with code"
    assert markdown_to_text("- one\n- two\n\n1. first\n2. second") == "• one\n• two\n1. first\n2. second"
    assert markdown_to_text("<script>alert(1)</script> & more") == "<script>alert(1)</script> & more"
    assert markdown_to_text("# Title\n\nLine one\nline two") == "Title\nLine one\nline two"
    assert markdown_to_text("[https://x.org](https://x.org)") == "https://x.org"
    assert markdown_to_text("=HYPERLINK(\"http://evil\")") == "=HYPERLINK(\"http://evil\")"
    assert markdown_to_text("") == "" and markdown_to_text(None) == ""


def test_control_characters_and_bidi_text_open_cleanly(staff_client, data, app):
    with app.app_context():
        create_comment(data.id, data.people.jean, "bell\x07 שלום 🎉 \u202etext",
                       paragraph_id=data.draft.paragraph_ids[2])
    document = _docx(staff_client.get(DOCX.format(slug=data.slug)))
    rows = _table_rows(document.tables[1])[1:]
    assert rows[-1][3] == "bell שלום 🎉 \u202etext"
    book = load_workbook(io.BytesIO(staff_client.get(XLSX.format(slug=data.slug)).data))
    assert "שלום 🎉" in list(book["1. Draft résolution"].iter_rows(values_only=True))[-1][4]


def test_bad_values_are_named_in_the_persons_language(staff_client, data):
    response = staff_client.get(DOCX.format(slug=data.slug) + "?lang=de&country=XX")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Language of the headings" in page and "Choose a country from the list." in page


def test_query_count_does_not_grow_with_comments(staff_client, app):
    slugs = []
    with app.app_context():
        for size in (5, 50):
            consultation = create_consultation()
            document = create_document(consultation.id, ["One.", "Two."])
            author = create_user().id
            for number in range(size):
                create_comment(consultation.id, author, f"Comment {number}",
                               paragraph_id=document.paragraph_ids[number % 2])
            slugs.append(consultation.slug)
    counts = []
    for slug in slugs:
        for path in (DOCX, XLSX):
            with counted_queries(app) as statements:
                assert staff_client.get(path.format(slug=slug)).status_code == 200
            counts.append(len(statements))
    assert counts[:2] == counts[2:], counts
