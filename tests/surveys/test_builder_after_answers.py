"""Once someone has started answering, the builder refuses what would orphan answers and records rewording."""

from __future__ import annotations

import pytest

from tests.surveys.builder_questions_support import edit_question, first_section, new_question, question, question_data
from tests.surveys.builder_support import (
    add_response,
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
    {"type": "single_choice", "code": "Q1", "label": "How often?",
     "options": [("d", "Daily"), ("w", "Weekly"), ("y", "Yearly")]},
    {"type": "matrix", "code": "Q2", "label": "Risk", "rows": [("im", "Imports")],
     "columns": [("lo", "Low"), ("hi", "High")]},
    {"type": "short_text", "code": "Q3", "label": "Comments"},
]


@pytest.fixture(params=["draft", "submitted"])
def answered(request, app, env):
    with app.app_context():
        survey_id = create_survey(env.consultation_id, published=True, questions=QUESTIONS).id
    add_response(app, survey_id, status=request.param)
    return survey_id


def choice_rows(stored: dict, labels: dict | None = None) -> list[dict]:
    labels = labels or {}
    return [{"option_id": str(stored["option_ids"][code]), "code": code, "label_en": labels.get(code, label["en"])}
            for code, label, _other in stored["options"]]


def test_removing_a_question_is_refused(app, env, answered):
    before = definition_of(app, answered)
    q3 = question(app, answered, "Q3")
    response = post(env, url(env, answered, f"questions/{q3['id']}/delete"))
    assert response.status_code == 400
    assert "People have started answering: questions can no longer be deleted." in text(response)
    assert definition_of(app, answered) == before


def test_changing_the_type_or_code_is_refused(app, env, answered):
    before = definition_of(app, answered)
    q3 = question(app, answered, "Q3")
    response = edit_question(env, answered, q3["id"], question_data("long_text", code="Q3b", label="Comments"))
    assert response.status_code == 400
    body = text(response)
    assert "the type of a question can no longer change" in body
    assert "the code of a question can no longer change" in body
    assert definition_of(app, answered) == before


def test_removing_or_recoding_an_option_is_refused(app, env, answered):
    before = definition_of(app, answered)
    q1 = question(app, answered, "Q1")
    rows = choice_rows(q1)
    rows[1]["remove"] = "y"
    removed = edit_question(env, answered, q1["id"], question_data("single_choice", code="Q1", label="How often?",
                                                                    options=rows))
    assert removed.status_code == 400
    assert "People have started answering: w cannot be removed." in text(removed)

    rows = choice_rows(q1)
    rows[0]["code"] = "daily"
    recoded = edit_question(env, answered, q1["id"], question_data("single_choice", code="Q1", label="How often?",
                                                                    options=rows))
    assert recoded.status_code == 400
    assert "the code d can no longer change" in text(recoded)
    assert definition_of(app, answered) == before


def test_removing_a_matrix_row_is_refused(app, env, answered):
    before = definition_of(app, answered)
    q2 = question(app, answered, "Q2")
    response = edit_question(env, answered, q2["id"], question_data(
        "matrix", code="Q2", label="Risk", rows=[("ex", "Exports")],
        columns=[{"option_id": str(q2["option_ids"][c]), "code": c, "label_en": c} for c in ("lo", "hi")],
    ))
    assert response.status_code == 400
    assert "im cannot be removed" in text(response)
    assert definition_of(app, answered) == before


def test_a_new_choice_goes_only_at_the_end(app, env, answered):
    before = definition_of(app, answered)
    q1 = question(app, answered, "Q1")
    response = edit_question(env, answered, q1["id"], question_data(
        "single_choice", code="Q1", label="How often?",
        options=[{"code": "m", "label_en": "Monthly"}, *choice_rows(q1)],
    ))
    assert response.status_code == 400
    assert "new entries can only go at the end" in text(response)
    assert definition_of(app, answered) == before


def test_rewording_and_adding_at_the_end_are_allowed_and_recorded(app, env, answered):
    q1 = question(app, answered, "Q1")
    response = edit_question(env, answered, q1["id"], question_data(
        "single_choice", code="Q1", label="How often do you inspect?", label_fr="À quelle fréquence ?",
        options=[*choice_rows(q1, {"d": "Every day"}), {"code": "m", "label_en": "Monthly"}], allow_other="y",
    ))

    assert response.status_code == 302, text(response)
    after = question(app, answered, "Q1")
    assert after["label"] == {"en": "How often do you inspect?", "fr": "À quelle fréquence ?"}
    assert [(code, label["en"]) for code, label, _other in after["options"]] == [
        ("d", "Every day"), ("w", "Weekly"), ("y", "Yearly"), ("m", "Monthly"), ("other", "Other, please specify"),
    ]
    [event] = audit_events(app, "survey_wording_changed")
    assert event.data["question"] == "Q1"
    assert event.data["before"]["label"] == {"en": "How often?"}
    assert event.data["after"]["label"] == {"en": "How often do you inspect?", "fr": "À quelle fréquence ?"}
    assert event.data["before"]["choices"]["options:d"] == {"en": "Daily"}
    assert event.data["after"]["choices"]["options:d"] == {"en": "Every day"}


def test_a_question_may_still_be_added_but_no_condition(app, env, answered):
    section_id = first_section(app, answered)
    added = new_question(env, answered, section_id, question_data("yes_no", code="Q4", label="Anything else?"))
    assert added.status_code == 302

    q3, q1 = question(app, answered, "Q3"), question(app, answered, "Q1")
    path = url(env, answered, f"questions/{q3['id']}/conditions/new")
    response = post(env, path, {"source": str(q1["id"]), "operator": "equals", "value": "d"},
                    form_page=f"{path}?source={q1['id']}")
    assert response.status_code == 400
    assert "a new condition could hide questions already answered" in text(response)
    assert definition_of(app, answered)["sections"][0]["questions"][2]["conditions"] == []


def test_an_answered_survey_stays_published(app, env, answered):
    response = post(env, url(env, answered, "unpublish"))
    assert response.status_code == 400
    assert "it stays published" in text(response)
    assert definition_of(app, answered)["published"] is True
