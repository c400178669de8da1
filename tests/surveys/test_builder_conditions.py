"""Conditions in the builder: only on earlier questions, valid values, and no edit or move that breaks one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.surveys.models import Condition, SurveySection
from tests.surveys.builder_questions_support import edit_question, order, question, question_data
from tests.surveys.builder_support import (
    audit_events,
    builder_env,
    definition_of,
    post,
    text,
    url,
)
from tests.surveys.factories import create_survey


@pytest.fixture
def env(app, client_as):
    return builder_env(app, client_as)


QUESTIONS = [
    {"type": "yes_no", "code": "Q1", "label": "Do you inspect parcels?"},
    {"type": "single_choice", "code": "Q2", "label": "How often?", "options": [("d", "Daily"), ("w", "Weekly")],
     "other": True},
    {"type": "multiple_choice", "code": "Q3", "options": [("air", "Air"), ("sea", "Sea")]},
    {"type": "short_text", "code": "Q4"},
    {"type": "scale", "code": "Q5", "settings": {"min": 1, "max": 5, "min_label": {}, "max_label": {}}},
    {"type": "long_text", "code": "Q6"},
]


@pytest.fixture
def survey_id(app, env):
    with app.app_context():
        return create_survey(env.consultation_id, published=False, questions=QUESTIONS).id


def add(env, survey_id, target: dict, source: dict, operator: str, value: str = "", value_text: str = ""):
    path = url(env, survey_id, f"questions/{target['id']}/conditions/new")
    return post(env, path, {"source": str(source["id"]), "operator": operator, "value": value,
                            "value_text": value_text}, form_page=f"{path}?source={source['id']}")


def conditions(app) -> list[tuple[int, int, str, str]]:
    with app.app_context():
        return [(c.question_id, c.source_question_id, c.operator, c.value)
                for c in db.session.scalars(select(Condition).order_by(Condition.id))]


VALID = [
    ("Q1", "equals", "no", "", "Shown when Q1 is “No”"),
    ("Q1", "not_equals", "yes", "", "Shown when Q1 is not “Yes”"),
    ("Q2", "equals", "w", "", "Shown when Q2 is “Weekly”"),
    ("Q2", "equals", "other", "", "Shown when Q2 is “Other”"),
    ("Q3", "contains", "sea", "", "Shown when Q3 includes “Sea”"),
    ("Q4", "contains", "", "fraud", "Shown when Q4 includes “fraud”"),
    ("Q4", "equals", "", "None", "Shown when Q4 is “None”"),
    ("Q5", "answered", "", "", "Shown when Q5 is answered"),
]


@pytest.mark.parametrize(("source", "operator", "value", "value_text", "words"), VALID, ids=[v[4] for v in VALID])
def test_conditions_on_earlier_questions(app, env, survey_id, source, operator, value, value_text, words):
    target = question(app, survey_id, "Q6")
    page = env.client.get(url(env, survey_id, f"questions/{target['id']}/conditions/new"))
    assert page.status_code == 200
    assert all(code in text(page) for code in ("Q1 —", "Q5 —"))

    response = add(env, survey_id, target, question(app, survey_id, source), operator, value, value_text)

    assert response.status_code == 302, text(response)
    stored_value = value or value_text
    assert conditions(app) == [(target["id"], question(app, survey_id, source)["id"], operator, stored_value)]
    assert words in text(env.client.get(url(env, survey_id)))
    assert words in text(env.client.get(url(env, survey_id, f"questions/{target['id']}/edit")))
    [event] = audit_events(app, "survey_condition_added")
    assert event.data["question"] == "Q6" and event.data["source"] == source


INVALID = [
    ("Q1", "Q2", "equals", "d", "", "Q2 does not come before Q1"),  # a later question
    ("Q2", "Q2", "equals", "d", "", "does not come before Q2"),  # itself
    ("Q6", "Q2", "equals", "monthly", "", "Choose one of the answers of the question: d, w, other."),
    ("Q6", "Q1", "equals", "maybe", "", "Choose one of the answers of the question: yes, no."),
    ("Q6", "Q2", "contains", "d", "", "cannot be compared with “includes”"),
    ("Q6", "Q5", "equals", "3", "", "cannot be compared with “is”"),
    ("Q6", "Q4", "equals", "", "   ", "Enter the text to compare the answer with."),
    ("Q6", "Q4", "contains", "", "x" * 201, "at most 200 characters"),
    ("Q6", "Q1", "matches", "yes", "", "Choose how the answer is compared."),
]


@pytest.mark.parametrize(("target", "source", "operator", "value", "value_text", "message"), INVALID,
                         ids=[v[5] for v in INVALID])
def test_bad_conditions_are_refused(app, env, survey_id, target, source, operator, value, value_text, message):
    response = add(env, survey_id, question(app, survey_id, target), question(app, survey_id, source),
                   operator, value, value_text)

    assert response.status_code == 400
    assert message in text(response)
    assert conditions(app) == []


def test_the_condition_page_offers_only_earlier_questions(app, env, survey_id):
    target = question(app, survey_id, "Q3")
    body = text(env.client.get(url(env, survey_id, f"questions/{target['id']}/conditions/new")))
    assert "Q1 —" in body and "Q2 —" in body and "Q4 —" not in body
    first = question(app, survey_id, "Q1")
    body = text(env.client.get(url(env, survey_id, f"questions/{first['id']}/conditions/new")))
    assert "No question comes before this one" in body


def test_a_condition_from_another_survey_is_refused(app, env, survey_id):
    with app.app_context():
        other = create_survey(env.consultation_id, published=False, questions=[{"type": "yes_no", "code": "Z1"}])
    target = question(app, survey_id, "Q6")
    response = add(env, survey_id, target, {"id": other.question_ids["Z1"]}, "equals", "yes")
    assert response.status_code == 400
    assert "Choose a question of this survey." in text(response)
    assert conditions(app) == []


def test_the_same_condition_twice_is_refused_and_one_is_removed(app, env, survey_id):
    target, source = question(app, survey_id, "Q6"), question(app, survey_id, "Q1")
    assert add(env, survey_id, target, source, "equals", "yes").status_code == 302
    again = add(env, survey_id, target, source, "equals", "yes")
    assert again.status_code == 400 and "already has this condition" in text(again)

    [(_q, _s, _op, _v)] = conditions(app)
    with app.app_context():
        condition_id = db.session.scalar(select(Condition.id))
    removed = post(env, url(env, survey_id, f"questions/{target['id']}/conditions/{condition_id}/delete"))
    assert removed.status_code == 302
    assert conditions(app) == []
    assert audit_events(app, "survey_condition_removed")[0].data["source"] == "Q1"
    again = post(env, url(env, survey_id, f"questions/{target['id']}/conditions/{condition_id}/delete"))
    assert again.status_code == 404


# --- What conditions protect ----------------------------------------------------------------

DEPENDENT = [
    {"type": "yes_no", "code": "Q1"},
    {"type": "single_choice", "code": "Q2", "options": [("d", "Daily"), ("w", "Weekly")]},
    {"type": "short_text", "code": "Q3", "conditions": [("Q1", "equals", "no"), ("Q2", "equals", "w")]},
    {"type": "short_text", "code": "Q4", "section": 1, "conditions": [("Q2", "not_equals", "d")]},
]


@pytest.fixture
def dependent_survey(app, env):
    with app.app_context():
        return create_survey(env.consultation_id, published=False, sections=2, questions=DEPENDENT).id


def test_a_question_others_depend_on_cannot_be_deleted(app, env, dependent_survey):
    before = definition_of(app, dependent_survey)
    source = question(app, dependent_survey, "Q2")

    response = post(env, url(env, dependent_survey, f"questions/{source['id']}/delete"))

    assert response.status_code == 400
    assert "Q2 cannot be deleted: the conditions of Q3, Q4 look at its answer." in text(response)
    assert definition_of(app, dependent_survey) == before


def test_no_move_makes_a_condition_look_forward(app, env, dependent_survey):
    before = definition_of(app, dependent_survey)
    q3, q1 = question(app, dependent_survey, "Q3"), question(app, dependent_survey, "Q1")
    with app.app_context():
        first, second = db.session.scalars(
            select(SurveySection.id).where(SurveySection.survey_id == dependent_survey).order_by(SurveySection.position)
        ).all()

    up = post(env, url(env, dependent_survey, f"questions/{q3['id']}/move"), {"direction": "up"})
    assert up.status_code == 400
    assert "Moving Q3 would make conditions look at later questions: Q3 depends on Q2." in text(up)

    down = post(env, url(env, dependent_survey, f"questions/{q1['id']}/move"), {"section_id": str(second)})
    assert down.status_code == 400
    assert "Q3 depends on Q1" in text(down)

    section = post(env, url(env, dependent_survey, f"sections/{second}/move"), {"direction": "up"})
    assert section.status_code == 400
    assert "Moving this section would make conditions look at later questions: Q4 depends on Q2." in text(section)
    assert post(env, url(env, dependent_survey, f"sections/{first}/move"), {"direction": "down"}).status_code == 400

    assert definition_of(app, dependent_survey) == before
    assert order(app, dependent_survey) == ["Q1", "Q2", "Q3", "Q4"]
    assert audit_events(app, "survey_question_moved") == []


def test_a_move_that_keeps_conditions_pointing_back_is_fine(app, env, dependent_survey):
    q1 = question(app, dependent_survey, "Q1")
    assert post(env, url(env, dependent_survey, f"questions/{q1['id']}/move"), {"direction": "down"}).status_code == 302
    assert order(app, dependent_survey) == ["Q2", "Q1", "Q3", "Q4"]


def test_a_source_cannot_lose_the_option_a_condition_needs(app, env, dependent_survey):
    before = definition_of(app, dependent_survey)
    source = question(app, dependent_survey, "Q2")
    ids = source["option_ids"]

    response = edit_question(env, dependent_survey, source["id"], question_data("single_choice", code="Q2", options=[
        {"option_id": str(ids["d"]), "code": "d", "label_en": "Daily"},
        {"option_id": str(ids["w"]), "code": "weekly", "label_en": "Weekly"},
    ]))

    assert response.status_code == 400
    body = text(response)
    assert "Conditions of other questions need what you changed" in body
    assert "Q3 (Shown when Q2 is “Weekly”)" in body
    assert 'value="weekly"' in response.get_data(as_text=True)  # the input is kept
    assert definition_of(app, dependent_survey) == before


def test_a_source_cannot_change_to_a_type_its_conditions_do_not_fit(app, env, dependent_survey):
    before = definition_of(app, dependent_survey)
    source = question(app, dependent_survey, "Q1")

    response = edit_question(env, dependent_survey, source["id"], question_data("scale", code="Q1"))

    assert response.status_code == 400
    assert "Q3 (Shown when Q1 is “No”)" in text(response)
    assert definition_of(app, dependent_survey) == before


def test_rewording_a_source_keeps_its_conditions(app, env, dependent_survey):
    source = question(app, dependent_survey, "Q2")
    ids = source["option_ids"]
    response = edit_question(env, dependent_survey, source["id"], question_data("single_choice", code="Q2", options=[
        {"option_id": str(ids["d"]), "code": "d", "label_en": "Every day", "label_fr": "Tous les jours"},
        {"option_id": str(ids["w"]), "code": "w", "label_en": "Every week"},
    ]))
    assert response.status_code == 302
    assert "Shown when Q2 is “Every week”" in text(env.client.get(url(env, dependent_survey)))
