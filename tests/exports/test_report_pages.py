"""The summary report as the secretariat reads it: printable page with charts, XLSX with native charts."""

from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import load_workbook

from tests.exports.report_support import (
    SURVEY_QUESTIONS,
    make_moderator_of,
    organization,
    person,
    surveyed_consultation,
)
from tests.factories import create_consultation
from tests.helpers import counted_queries
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response

REPORT = "/consultations/{slug}/report"
WORKBOOK = "/consultations/{slug}/report.xlsx"


@pytest.fixture
def data(app):
    with app.app_context():
        return surveyed_consultation()


def _page(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return html.unescape(response.get_data(as_text=True))


def test_report_shows_charts_with_their_tables(staff_client, data):
    page = _page(staff_client.get(REPORT.format(slug=data.slug)))
    assert page.count("<h1>") == 1 and "Summary report" in page
    assert 'href="/static/report.css' in page
    # Each chart is an image named by its title, followed by the same figures as a table.
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^"]+)"', page)
    assert "question-" in " ".join(charts)
    for labelled_by in charts:
        for element_id in labelled_by.split():
            assert f'id="{element_id}"' in page
    assert "<title id=" in page
    assert '<caption>Preferred approach</caption>' in page
    assert re.search(r'<th scope="row">Alpha</th><td class="text-end">2</td><td class="text-end">50%</td>', page)
    assert "Several answers could be chosen" in page  # the multiple-choice chart says why shares exceed 100%
    # No inline style or script: the Content-Security-Policy would block them.
    assert 'style="' not in page and "<script>" not in page


def test_report_figures_stakeholder_breakdown_and_consent(staff_client, data):
    page = _page(staff_client.get(REPORT.format(slug=data.slug)))
    assert "4 responses counted" in page
    assert "Customs administration" in page and "Intermediary" in page
    assert "3.25" in page and "3.5" in page  # the scale's average and median
    assert "Café au lait" in page and "=1+1 anonymous" in page
    assert "Secret text" not in page  # its respondent chose not to publish
    assert "1 answer is not listed" in page
    assert "Draft words" not in page  # drafts are not counted
    assert "Respondent " not in page  # never a respondent's name
    assert "Response rate by group" in page and "66.7%" in page


def test_campaigns_part_links_to_members(staff_client, data, app):
    text = "We ask the secretariat to withdraw paragraph twelve of the draft resolution entirely."
    with app.app_context():
        for number in range(3):
            add_response(data.survey.id, person(organization(f"Campaign {number}", "BR", "other")), "submitted",
                         {"TEXT": text}, consent="named")
    page = _page(staff_client.get(REPORT.format(slug=data.slug)))
    assert 'id="campaigns-heading"' in page
    assert f'href="/consultations/{data.slug}/campaigns/1"' in page
    assert text in page


def test_filters_narrow_the_report_and_bad_values_are_explained(staff_client, data):
    page = _page(staff_client.get(REPORT.format(slug=data.slug) + "?stakeholder_type=customs"))
    assert "2 responses counted" in page
    response = staff_client.get(REPORT.format(slug=data.slug) + "?stakeholder_type=pirates&date_from=2026-13-45")
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Choose a stakeholder type from the list." in page
    assert 'id="stakeholder_type-error"' in page and 'id="date_from-error"' in page
    assert "responses counted" not in page


def test_managers_only(client, participant_client, moderator_client, data, app):
    path = REPORT.format(slug=data.slug)
    assert client.get(path).status_code == 302
    assert participant_client.get(path).status_code == 403
    assert participant_client.get(WORKBOOK.format(slug=data.slug)).status_code == 403
    assert moderator_client.get(path).status_code == 403
    with app.app_context():
        make_moderator_of(data.group_id, moderator_client.user.id)
    assert moderator_client.get(path).status_code == 200
    with app.app_context():
        draft = create_consultation(state="draft")
    assert participant_client.get(REPORT.format(slug=draft.slug)).status_code == 404
    assert participant_client.get(REPORT.format(slug="nothing-here")).status_code == 404


def test_workbook_has_a_native_chart_per_choice_question(staff_client, data):
    response = staff_client.get(WORKBOOK.format(slug=data.slug))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:3] == ["Summary", "By stakeholder type", "Free-text answers"]
    assert "Campaigns" in book.sheetnames
    summary = book["Summary"]
    # ONE, YN, MANY, SCALE and RANK.
    assert len(summary._charts) == 5
    cells = list(summary.iter_rows(values_only=True))
    assert ("Alpha", 2, 0.5) in [row[:3] for row in cells]
    texts = list(book["Free-text answers"].iter_rows(values_only=True))
    assert [row[5] for row in texts[1:]] == ["Mixed", "Drones", "Café au lait", "=1+1 anonymous"]
    formula_cell = book["Free-text answers"].cell(row=5, column=6)
    assert formula_cell.value == "=1+1 anonymous" and formula_cell.data_type == "s"
    rates = {row[0]: row[1:] for row in book["Response rate"].iter_rows(min_row=2, values_only=True)}
    assert rates["Group Two"] == (3, 2, 0.6667)


def test_bad_filters_on_the_workbook_get_a_page_not_a_file(staff_client, data):
    response = staff_client.get(WORKBOOK.format(slug=data.slug) + "?language=xx")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Choose a language from the list." in html.unescape(response.get_data(as_text=True))


def _consultation_with_responses(count: int) -> str:
    consultation = create_consultation()
    survey = create_survey(consultation.id, SURVEY_QUESTIONS)
    for number in range(count):
        user = person(organization(f"Org {count}-{number}", "FR", ("customs", "intermediary")[number % 2]))
        add_response(survey.id, user, "submitted", {
            "ONE": "a", "MANY": ["x", "z"], "SCALE": number % 5 + 1, "NUM": str(number), "TEXT": f"Text {number}",
            "RANK": ["p", "q", "r"], "GRID": {"r1": "c1", "r2": "c2"}, "WHEN": "2026-01-05",
        }, consent="named")
    return consultation.slug


def test_query_count_does_not_grow_with_responses(staff_client, app):
    with app.app_context():
        small, large = _consultation_with_responses(5), _consultation_with_responses(50)
    for slug in (small, large):  # warm up the session and caches (campaign groups are kept between requests)
        staff_client.get(REPORT.format(slug=slug))
    counts = []
    for slug in (small, large):
        with counted_queries(app) as statements:
            assert staff_client.get(REPORT.format(slug=slug)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    with counted_queries(app) as statements:
        assert staff_client.get(WORKBOOK.format(slug=large)).status_code == 200
    assert len(statements) <= counts[1] + 5


def test_consultation_page_links_managers_to_the_report(staff_client, participant_client, data):
    page = _page(staff_client.get(f"/consultations/{data.slug}"))
    assert f'href="/consultations/{data.slug}/report"' in page
    assert f'href="/consultations/{data.slug}/export/compilation.docx"' in page
    page = _page(participant_client.get(f"/consultations/{data.slug}"))
    assert "/report" not in page and "compilation.docx" not in page


def test_report_of_an_empty_consultation(staff_client, app):
    with app.app_context():
        empty = create_consultation()
    page = _page(staff_client.get(REPORT.format(slug=empty.slug)))
    assert "Nothing to count yet." in page and "0 comments" in page
    book = load_workbook(io.BytesIO(staff_client.get(WORKBOOK.format(slug=empty.slug)).data))
    assert "This consultation has no published questionnaire." in [c.value for c in book["Summary"]["A"]]


def test_formula_like_labels_stay_text_in_the_workbook(staff_client, app):
    from consult.exports.report_xlsx import chart_title

    assert chart_title("=cmd|' /C calc'!A0") == "\u200b=cmd|' /C calc'!A0"
    assert chart_title("Plain") == "Plain"
    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id, [{"type": "single_choice", "code": "Q1", "label": "=1+1",
                                                  "options": [("a", "@SUM(A1)"), ("b", "+33 Ñ")]}])
        add_response(survey.id, person(organization("Org =", "FR", "customs")), "submitted", {"Q1": "a"})
    book = load_workbook(io.BytesIO(staff_client.get(WORKBOOK.format(slug=consultation.slug)).data))
    summary = book["Summary"]
    assert len(summary._charts) == 1
    values = {cell.value: cell.data_type for row in summary.iter_rows() for cell in row if cell.value is not None}
    assert values["@SUM(A1)"] == "s" and values["+33 Ñ"] == "s" and values["Q1. =1+1"] == "s"
