"""Bad input: a clear message next to the question, a 4xx, the person's input kept, nothing written."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from consult.extensions import db
from consult.surveys.models import Answer, Response, ResponseRevision
from tests.helpers import count
from tests.surveys.factories import create_survey
from tests.surveys.test_answer_support import (
    complete_answers,
    make_world,
    post_form,
    response_of,
    review_fields,
    submit_from_review,
)


def _rows(app) -> tuple[int, int, int]:
    with app.app_context():
        return count(Response), count(Answer), count(ResponseRevision)


@pytest.fixture
def world(app):
    return make_world(app)


BAD_ANSWERS = [
    ("ROLE", "x-not-an-option", "Choose one of the options offered."),
    ("TOOLS", ["a", "zzz"], "Choose one of the options offered."),
    ("TOOLS", ["a", "b", "g"], "Choose at most 2 options."),
    ("SEIZE", "maybe", "Answer yes or no."),
    ("RATE", "9", "Choose a value from 1 to 5."),
    ("RATE", "three", "Choose a value from 1 to 5."),
    ("COUNT", "abc", "Enter a number, for example 12 or 12.5."),
    ("COUNT", "1e5", "Enter a number, for example 12 or 12.5."),
    ("COUNT", "12.5", "Enter a whole number, without decimals."),
    ("COUNT", "-1", "Enter a number from 0 to 100000."),
    ("COUNT", "100001", "Enter a number from 0 to 100000."),
    ("SINCE", "2020-13-45", "Enter a real date as year-month-day, for example 2025-03-31."),
    ("SINCE", "31/12/2020", "Enter a real date as year-month-day, for example 2025-03-31."),
    ("SINCE", "1999-12-31", "Enter a date from January 1, 2000 to December 31, 2030."),
    ("VIEW", "x" * 201, "Write at most 200 characters (you wrote 201)."),
]


@pytest.mark.parametrize(("code", "value", "message"), BAD_ANSWERS)
def test_a_malformed_answer_is_refused_next_to_its_question_and_nothing_is_saved(
    app, participant_client, world, code, value, message
):
    before = _rows(app)
    fields = {f"q{world.q['NAME']}": "Kept input", f"q{world.q[code]}": value}
    refused = post_form(participant_client, world.url, fields)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f'id="q{world.q[code]}-error" class="invalid-feedback d-block">{message}</div>' in html
    assert "Please correct the following:" in html
    assert 'value="Kept input"' in html  # the rest of the input stays on the page
    assert _rows(app) == before


@pytest.mark.parametrize(
    ("ranks", "message"),
    [
        (["x", "x", "z"], "Each option can have only one rank: “Training” is ranked more than once."),
        (["x", "y", ""], "Give every option a rank: 1 option has no rank yet."),
        (["x", "", ""], "Give every option a rank: 2 options have no rank yet."),
        (["x", "y", "nope"], "Choose one of the options offered."),
    ],
)
def test_a_ranking_with_missing_or_repeated_options_is_refused(app, participant_client, world, ranks, message):
    before = _rows(app)
    name = f"q{world.q['PRIO']}"
    fields = {f"{name}_rank{position}": code for position, code in enumerate(ranks, start=1)}
    refused = post_form(participant_client, world.url, fields)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert message in html
    # The ranks chosen are still selected.
    assert f'<option value="{ranks[0]}" selected>' in html
    assert _rows(app) == before


def test_a_tampered_matrix_column_is_refused(app, participant_client, world):
    before = _rows(app)
    refused = post_form(participant_client, world.url, {f"q{world.q['GRID']}.r1": "always"})
    assert refused.status_code == 400
    assert "Choose one of the columns offered on each row." in refused.get_data(as_text=True)
    assert _rows(app) == before


def test_several_problems_are_all_reported_at_once(app, participant_client, world):
    fields = {f"q{world.q['ROLE']}": "hacked", f"q{world.q['COUNT']}": "-5", f"q{world.q['SEIZE']}": "perhaps"}
    refused = post_form(participant_client, world.url, fields)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    for code in ("ROLE", "COUNT", "SEIZE"):
        assert f'id="q{world.q[code]}-error"' in html
        assert f'href="#question-{world.q[code]}"' in html


def test_matrix_rows_left_unanswered_are_refused_on_submit(app, participant_client, world):
    fields = complete_answers(world.survey)
    del fields[f"q{world.q['GRID']}.r2"]
    post_form(participant_client, world.url, fields, action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert "Answer every row: 1 row has no answer yet." in page
    before = _rows(app)
    refused = submit_from_review(participant_client, world, review_page=page)
    assert refused.status_code == 400
    assert response_of(app, world.survey.id).status == "draft"
    assert _rows(app) == before


def test_too_few_choices_are_refused_on_submit(app, participant_client):
    world = make_world(app, questions=[
        {"type": "multiple_choice", "code": "M", "label": "Pick two", "options": ["a", "b", "c"],
         "settings": {"min_selections": 2}},
    ])
    post_form(participant_client, world.url, {f"q{world.q['M']}": ["a"]}, action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert "Choose at least 2 options." in page
    assert submit_from_review(participant_client, world, review_page=page).status_code == 400


def test_other_without_its_text_is_refused_on_submit(app, participant_client, world):
    fields = dict(complete_answers(world.survey), **{f"q{world.q['ROLE']}": "other"})
    post_form(participant_client, world.url, fields, action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert "Please say what your other answer is." in page
    fields[f"q{world.q['ROLE']}_other"] = "Police"
    post_form(participant_client, world.url, fields, action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert "Other: Police" in page
    assert submit_from_review(participant_client, world, review_page=page).status_code == 303
    assert response_of(app, world.survey.id).answers[world.q["ROLE"]] == {"choice": "other", "other": "Police"}


def test_answers_to_questions_of_another_survey_are_ignored(app, participant_client, world):
    with app.app_context():
        other = create_survey(world.consultation.id, questions=[{"type": "short_text", "code": "X", "label": "X"}])
    fields = {f"q{world.q['NAME']}": "Douane", f"q{other.question_ids['X']}": "Smuggled in"}
    saved = post_form(participant_client, world.url, fields)
    assert saved.status_code == 303
    assert response_of(app, world.survey.id).answers == {world.q["NAME"]: "Douane"}
    with app.app_context():
        assert count(Answer) == 1


def test_tampered_hidden_fields_on_the_review_page_are_checked_again(app, participant_client, world):
    post_form(participant_client, world.url, complete_answers(world.survey), action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    fields = [(name, "forged" if name == f"q{world.q['ROLE']}" else value) for name, value in review_fields(page)]
    before = _rows(app)
    refused = participant_client.post(world.url + "/submit", data=MultiDict([*fields, ("consent", "named")]))
    assert refused.status_code == 400
    assert "Choose one of the options offered." in refused.get_data(as_text=True)
    assert response_of(app, world.survey.id).status == "draft"
    assert _rows(app) == before


def test_a_form_without_its_csrf_token_is_refused(app, participant_client, world):
    refused = participant_client.post(world.url, data={"version": "0", f"q{world.q['NAME']}": "x"})
    assert refused.status_code == 400
    with app.app_context():
        assert count(Response) == 0


def test_a_garbled_version_is_treated_as_a_conflict_not_a_crash(app, participant_client, world):
    post_form(participant_client, world.url, {f"q{world.q['NAME']}": "First"})
    refused = post_form(participant_client, world.url, {f"q{world.q['NAME']}": "Second"}, version="banana")
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.get(Response, response_of(app, world.survey.id).id).version == 1


def test_control_characters_are_dropped_from_texts(app, participant_client, world):
    fields = {f"q{world.q['NAME']}": "Dou\x00ane\x07", f"q{world.q['VIEW']}": "Line one\r\nLine\x00 two\tend",
              f"q{world.q['ROLE']}": "other", f"q{world.q['ROLE']}_other": "Pol\x00ice"}
    assert post_form(participant_client, world.url, fields).status_code == 303
    answers = response_of(app, world.survey.id).answers
    assert answers[world.q["NAME"]] == "Douane"
    assert answers[world.q["VIEW"]] == "Line one\nLine two\tend"
    assert answers[world.q["ROLE"]] == {"choice": "other", "other": "Police"}


def test_a_version_number_too_large_for_the_database_is_a_conflict(app, participant_client, world):
    post_form(participant_client, world.url, {f"q{world.q['NAME']}": "First"})
    refused = post_form(participant_client, world.url, {f"q{world.q['NAME']}": "x"}, version="9" * 30)
    assert refused.status_code == 409
