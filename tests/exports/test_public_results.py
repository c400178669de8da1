"""The public results page: anyone reads it once published, and it shows only what may be shown."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.comments.models import Comment
from consult.consultations.models import Consultation
from consult.exports.public import ORDINARY_READER
from consult.extensions import db
from consult.i18n import utcnow
from tests.exports.test_public_support import (
    add_file,
    add_respondents,
    add_response,
    build_scene,
    counted_queries,
    page_text,
    set_results_published,
)
from tests.factories import create_comment, create_consultation, create_document
from tests.helpers import login


@pytest.fixture
def scene(app, client_as):
    scene = build_scene(app, client_as)
    add_responses(app, scene)
    return scene


def add_responses(app, scene) -> None:
    """Named (Camille), anonymous (John), refused (Ana) and a draft (Dora), each with its own recognisable text."""
    survey = scene.survey.id
    scene.named_id = add_response(app, survey, scene.camille.id, {
        "Q1": "a", "Q2": ["x", "y"], "Q3": "yes", "Q4": 5, "Q5": "10", "Q6": "Named text: keep the threshold.",
    }, consent="named")
    scene.anonymous_id = add_response(app, survey, scene.john.id, {
        "Q1": "b", "Q2": ["x"], "Q3": "no", "Q4": 3, "Q5": "20", "Q6": "Anonymous text: <script>alert(1)</script>",
        "Q7": {"file_id": 1, "filename": "secret-plan.pdf"},
    }, consent="anonymous")
    add_file(app, scene.anonymous_id, scene.survey.question_ids["Q7"], "secret-plan.pdf")
    add_response(app, survey, scene.ana.id, {
        "Q1": "a", "Q2": ["z"], "Q3": "yes", "Q4": 4, "Q5": "60", "Q6": "Refused text: do not publish me.",
    }, consent="none")
    add_response(app, survey, scene.drafter.id, {
        "Q1": "c", "Q3": "no", "Q6": "Draft text: still thinking.",
    }, consent="named", status="draft")


def results_url(scene) -> str:
    return f"/consultations/{scene.consultation.slug}/results"


def table_rows(html: str, code: str) -> list[tuple[str, str, str]]:
    """(answer, count, share) rows of the chart table of question `code`."""
    caption = f"Answers to {code}: count and share of respondents</caption>"
    table = html[html.index(caption):]
    table = table[:table.index("</table>")]
    return re.findall(r'<tr><th scope="row">([^<]*)</th><td class="text-end">([^<]*)</td>'
                      r'<td class="text-end">([^<]*)</td></tr>', table)


# --- Who may read it --------------------------------------------------------------------------------


def test_nobody_reads_the_results_before_they_are_published(app, scene, staff_client, participant_client):
    for client in (app.test_client(), participant_client, scene.moderator, staff_client):
        assert client.get(results_url(scene)).status_code == 404
        assert client.get(results_url(scene) + "/comments").status_code == 404


def test_an_anonymous_visitor_reads_published_results_without_signing_in(app, scene):
    set_results_published(app, scene.consultation.id)
    visitor = app.test_client()

    page = visitor.get(results_url(scene))

    assert page.status_code == 200
    text = page_text(page)
    assert "<h1>Results</h1>" in text
    assert "Draft guidelines on small consignments" in text
    assert "A summary." in text
    assert "Sign in" in text  # still a visitor: nothing signed them in
    assert visitor.get("/consultations/" + scene.consultation.slug).status_code == 302  # the rest still needs login


def test_a_consultation_that_does_not_exist_is_not_found(app):
    assert app.test_client().get("/consultations/nothing-here/results").status_code == 404
    assert app.test_client().get("/consultations/" + "x" * 500 + "/results").status_code == 404


def test_results_disappear_while_a_consultation_is_open_again(app, scene):
    set_results_published(app, scene.consultation.id)
    with app.app_context():
        db.session.get(Consultation, scene.consultation.id).closes_at = utcnow() + timedelta(days=3)
        db.session.commit()
    assert app.test_client().get(results_url(scene)).status_code == 404


# --- What it shows ----------------------------------------------------------------------------------------


def test_counts_and_shares_cover_every_submitted_response_and_no_draft(app, scene):
    set_results_published(app, scene.consultation.id)
    html = page_text(app.test_client().get(results_url(scene)))

    assert "3 responses" in html
    assert table_rows(html, "Q1") == [("Option A", "2", "67%"), ("Option B", "1", "33%"), ("Option C", "0", "0%")]
    assert table_rows(html, "Q2") == [("Medicines", "2", "67%"), ("Toys", "1", "33%"), ("Spare parts", "1", "33%")]
    assert table_rows(html, "Q3") == [("Yes", "2", "67%"), ("No", "1", "33%")]
    assert table_rows(html, "Q4") == [("1", "0", "0%"), ("2", "0", "0%"), ("3", "1", "33%"), ("4", "1", "33%"),
                                      ("5", "1", "33%")]
    assert "Average: 4" in html
    numbers = html[html.index("Parcels per day"):]
    assert re.search(r"Average</dt><dd[^>]*>30</dd>.*Median</dt><dd[^>]*>20</dd>.*Lowest</dt><dd[^>]*>10</dd>"
                     r".*Highest</dt><dd[^>]*>60</dd>", numbers, re.S)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html


def test_consent_decides_who_is_named_and_what_is_shown(app, scene):
    set_results_published(app, scene.consultation.id)
    page = app.test_client().get(results_url(scene))
    html, text = page.get_data(as_text=True), page_text(page)

    # "named": name, organization and stakeholder type
    assert "Camille Martin — Maison Lumière · Rights holder" in text
    assert "Named text: keep the threshold." in text
    # "anonymous": stakeholder type only
    assert "Anonymous respondent · Intermediary" in text
    assert "Anonymous text:" in text
    for identifying in ("John Smith", "Rapid Courier", "john@example.org", "United Kingdom"):
        assert identifying not in text
    # "none": nothing of it beyond the counts; drafts: nothing at all
    for hidden in ("Ana Rojas", "Aduana Nacional", "Refused text", "Dora Draft", "Draft text",
                   "Customs administration"):
        assert hidden not in text
    # free text is text, never markup; files never
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "secret-plan.pdf" not in text and "Supporting file" not in text
    assert text.count('class="card mb-3 public-response"') == 2


def test_the_responses_are_paginated(app, scene):
    set_results_published(app, scene.consultation.id)
    add_respondents(app, scene.survey.id, [{"Q6": f"Opinion number {n}."} for n in range(30)], consent="anonymous")
    visitor = app.test_client()

    first = page_text(visitor.get(results_url(scene)))
    second = page_text(visitor.get(results_url(scene) + "?page=2"))

    assert first.count("public-response") + second.count("public-response") == 32
    assert "Page 1 of 2" in first
    assert visitor.get(results_url(scene) + "?page=3").status_code == 404


def test_the_page_runs_the_same_number_of_queries_whatever_the_number_of_responses(app, scene):
    set_results_published(app, scene.consultation.id)
    visitor = app.test_client()
    with counted_queries(app) as few:
        assert visitor.get(results_url(scene)).status_code == 200
    add_respondents(app, scene.survey.id, [{"Q1": "a", "Q2": ["y"], "Q5": str(n), "Q6": f"Text {n}."}
                                           for n in range(40)], consent="named")
    with counted_queries(app) as many:
        assert visitor.get(results_url(scene)).status_code == 200
    assert len(many) == len(few)


# --- Comments ---------------------------------------------------------------------------------------------


def plant_comments(app, scene) -> None:
    with app.app_context():
        document = create_document(scene.consultation.id, paragraphs=["Scope.", "Thresholds."], title="Guidelines")
        create_comment(scene.consultation.id, scene.camille.id, body="Visible **general** remark.")
        create_comment(scene.consultation.id, scene.john.id, body="Visible remark on thresholds.",
                       paragraph_id=document.paragraph_ids[1], proposed_wording="Raise it to 200 euros.")
        for status in ("pending", "hidden", "rejected", "withdrawn"):
            create_comment(scene.consultation.id, scene.ana.id, body=f"Invisible {status} remark.", status=status)
        create_comment(scene.consultation.id, scene.ana.id, body="Invisible confidential remark.",
                       visibility="confidential")


def test_a_public_consultation_publishes_only_its_published_audience_comments(app, scene):
    plant_comments(app, scene)
    set_results_published(app, scene.consultation.id)
    visitor = app.test_client()

    assert "Read the published comments" in page_text(visitor.get(results_url(scene)))
    page = visitor.get(results_url(scene) + "/comments")
    text = page_text(page)

    assert page.status_code == 200
    assert "Visible <strong>general</strong> remark." in text
    assert "Visible remark on thresholds." in text and "§2" in text and "Raise it to 200 euros." in text
    assert "Camille Martin — Maison Lumière" in text
    assert "Invisible" not in text


def test_a_restricted_consultation_publishes_no_comment(app, client_as):
    scene = build_scene(app, client_as, audience_mode="restricted")
    add_responses(app, scene)
    plant_comments(app, scene)
    set_results_published(app, scene.consultation.id)
    visitor = app.test_client()

    results = page_text(visitor.get(results_url(scene)))

    assert "Camille Martin — Maison Lumière" in results  # consenting responses are still published
    assert "Read the published comments" not in results and "Visible" not in results
    assert visitor.get(results_url(scene) + "/comments").status_code == 404
    participant = app.test_client()
    login(participant, scene.camille.email, scene.camille.password)
    assert participant.get(results_url(scene) + "/comments").status_code == 404
    assert scene.moderator.get(results_url(scene) + "/preview/comments").status_code == 404


def test_the_ordinary_reader_rule_and_its_filter_agree(app, client_as):
    public = build_scene(app, client_as)
    plant_comments(app, public)
    with app.app_context():
        restricted = create_consultation(group_id=public.group.id, state="closed", audience_mode="restricted",
                                         audience_group_ids=[public.group.id])
        create_comment(restricted.id, public.camille.id, body="Restricted audience remark.")
        comments = list(db.session.scalars(select(Comment)))
        by_rule = {c.id for c in comments if c.visible_to(ORDINARY_READER)}
        by_filter = set(db.session.scalars(select(Comment.id).where(Comment.visible_filter(ORDINARY_READER))))
        bodies = {c.body for c in comments if c.id in by_filter}
    assert by_rule == by_filter
    assert bodies == {"Visible **general** remark.", "Visible remark on thresholds."}
