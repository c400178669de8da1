"""Conditions enforced by the server on every save and submit, whatever the browser sends."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.surveys.conditions import Rule, clean, missing_required
from tests.surveys.test_answer_support import make_world, post_form, response_of, submit_from_review

QUESTIONS = [
    {"type": "yes_no", "code": "Q1", "label": "Do you seize goods?"},
    {"type": "short_text", "code": "Q2", "label": "Which office?", "required": True,
     "conditions": [("Q1", "equals", "yes")]},
    {"type": "multiple_choice", "code": "Q3", "label": "Which goods?", "options": ["a", "b", "c"],
     "conditions": [("Q2", "answered", "")]},
    {"type": "long_text", "code": "Q4", "label": "Tell us about b", "required": True,
     "conditions": [("Q3", "contains", "b")]},
    {"type": "number", "code": "Q5", "label": "Why not?", "conditions": [("Q1", "not_equals", "yes")]},
]
ORDER = ["Q1", "Q2", "Q3", "Q4", "Q5"]
RULES = {
    "Q2": [Rule("Q1", "equals", "yes")],
    "Q3": [Rule("Q2", "answered")],
    "Q4": [Rule("Q3", "contains", "b")],
    "Q5": [Rule("Q1", "not_equals", "yes")],
}
REQUIRED = {"Q2", "Q4"}

answer_sets = st.fixed_dictionaries(
    {},
    optional={
        "Q1": st.sampled_from(["yes", "no"]),
        "Q2": st.sampled_from(["Le Havre", "Rotterdam"]),
        "Q3": st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True).map(sorted),
        "Q4": st.sampled_from(["Because.", "Counterfeit watches."]),
        "Q5": st.sampled_from(["3", "12.5"]),
    },
)


def _fields(world, answers: dict) -> dict:
    return {f"q{world.q[code]}": value for code, value in answers.items()}


def _stored_by_code(app, world) -> dict:
    response = response_of(app, world.survey.id)
    codes = {question_id: code for code, question_id in world.q.items()}
    return {codes[qid]: value for qid, value in (response.answers if response else {}).items()}


@pytest.fixture
def world(app):
    return make_world(app, questions=QUESTIONS)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=answer_sets)
def test_saved_drafts_never_keep_answers_to_hidden_questions(app, participant_client, world, answers):
    saved = post_form(participant_client, world.url, _fields(world, answers))
    assert saved.status_code == 303
    stored = _stored_by_code(app, world)
    assert stored == clean(ORDER, RULES, answers)
    assert clean(ORDER, RULES, stored) == stored


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=answer_sets)
def test_the_review_demands_exactly_the_visible_required_questions(app, participant_client, world, answers):
    post_form(participant_client, world.url, _fields(world, answers), action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    missing = missing_required(ORDER, RULES, REQUIRED, clean(ORDER, RULES, answers))
    for code in ORDER:
        demanded = f'id="problem-{world.q[code]}"' in page
        assert demanded == (code in missing), (code, answers)


def test_an_answer_to_a_hidden_question_is_discarded_not_an_error(app, participant_client, world):
    saved = post_form(participant_client, world.url, _fields(world, {"Q1": "no", "Q2": "Le Havre", "Q4": "x"}))
    assert saved.status_code == 303
    assert _stored_by_code(app, world) == {"Q1": "no"}


def test_malformed_answers_to_hidden_questions_are_discarded_too(app, participant_client, world):
    saved = post_form(participant_client, world.url, _fields(world, {"Q1": "yes", "Q5": "not a number"}))
    assert saved.status_code == 303
    assert _stored_by_code(app, world) == {"Q1": "yes"}


def test_a_hidden_required_question_is_not_required_on_submit(app, participant_client, world):
    post_form(participant_client, world.url, _fields(world, {"Q1": "no"}), action="review")
    submitted = submit_from_review(participant_client, world)
    assert submitted.status_code == 303
    response = response_of(app, world.survey.id)
    assert response.status == "submitted"


def test_a_visible_required_question_is_demanded_on_submit(app, participant_client, world):
    post_form(participant_client, world.url, _fields(world, {"Q1": "yes", "Q2": "Le Havre", "Q3": ["b"]}),
              action="review")
    page = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert f'id="problem-{world.q["Q4"]}"' in page
    refused = submit_from_review(participant_client, world, review_page=page)
    assert refused.status_code == 400
    assert response_of(app, world.survey.id).status == "draft"


def test_changing_an_earlier_answer_drops_the_answers_it_hid(app, participant_client, world):
    post_form(participant_client, world.url, _fields(world, {"Q1": "yes", "Q2": "Le Havre", "Q3": ["b"], "Q4": "x"}))
    assert set(_stored_by_code(app, world)) == {"Q1", "Q2", "Q3", "Q4"}
    post_form(participant_client, world.url, _fields(world, {"Q1": "no", "Q2": "Le Havre", "Q3": ["b"], "Q4": "x"}))
    assert _stored_by_code(app, world) == {"Q1": "no"}
