"""The exports page: the filters as a form, the files to download with them, and a button for background exports."""

from __future__ import annotations

import html
import re

import pytest

from tests.exports.test_exports_support import export_url, make_answered_consultation
from tests.factories import create_consultation
from tests.surveys.factories import create_survey


@pytest.fixture
def data(app):
    return make_answered_consultation(app)


def links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+/export/[^"]+)"', page)]


def test_the_page_offers_every_format_with_the_chosen_filters(staff_client, data):
    response = staff_client.get(export_url(data, "", country="FR", labels="codes", lang="es"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1") == 1
    assert "<caption" in page and 'scope="col"' in page
    assert 'style="' not in page and "<script>" not in page
    found = links(page)
    for name in ("responses.csv", "responses.xlsx", "responses.json", "comments.csv", "comments.xlsx",
                 "comments.json"):
        link = next(link for link in found if f"/export/{name}?" in link)
        assert "country=FR" in link and "labels=codes" in link and "lang=es" in link
    # The chosen values are shown again in the form.
    assert re.search(r'<option selected value="FR">', page)
    assert re.search(r'<input checked [^>]*value="codes"', page)
    # The background form carries the same choices.
    assert '<input type="hidden" name="country" value="FR">' in page
    assert f'action="/consultations/{data.slug}/export/jobs"' in page


def test_every_link_on_the_page_downloads(staff_client, data):
    page = staff_client.get(export_url(data, "", status="submitted")).get_data(as_text=True)
    for link in links(page):
        if "/export/jobs" in link:
            continue
        response = staff_client.get(link)
        assert response.status_code == 200, link
        assert response.get_data(), link


def test_with_several_surveys_a_csv_link_per_survey(app, staff_client, data):
    with app.app_context():
        second = create_survey(data.id, [{"type": "short_text", "code": "S1"}], title="Second questionnaire")
    page = staff_client.get(export_url(data, "")).get_data(as_text=True)
    csv_links = [link for link in links(page) if "/responses.csv" in link]
    assert len(csv_links) == 2
    assert any(f"survey={second.id}" in link for link in csv_links)
    assert "Second questionnaire" in html.unescape(page)

    chosen = staff_client.get(export_url(data, "", survey=second.id)).get_data(as_text=True)
    assert [link for link in links(chosen) if "/responses.csv" in link] == [
        next(link for link in links(chosen) if "/responses.csv" in link)
    ]


def test_bad_filters_come_back_next_to_their_field(staff_client, data):
    response = staff_client.get(export_url(data, "", country="ZZ", date_from="yesterday", survey="7777"))
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert re.search(r'id="country-error"[^>]*>\s*<span>Choose a country from the list.', page)
    assert re.search(r'id="date_from-error"[^>]*>\s*<span>Enter a date as YYYY-MM-DD', page)
    assert re.search(r'id="survey-error"[^>]*>\s*<span>Choose a questionnaire of this consultation.', page)
    assert 'value="yesterday"' in page
    assert not [link for link in links(page) if "/export/responses" in link or "/export/comments" in link]


def test_a_consultation_without_survey_offers_comments_only(app, staff_client):
    with app.app_context():
        consultation = create_consultation()
    page = staff_client.get(f"/consultations/{consultation.slug}/export/").get_data(as_text=True)
    assert "This consultation has no questionnaire." in page
    assert not [link for link in links(page) if "/export/responses" in link]
    assert [link for link in links(page) if "/export/comments" in link]
