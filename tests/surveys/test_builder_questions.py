"""Building questions: every type with its settings, codes, option lists, bad input, moving and deleting."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from consult.extensions import db
from consult.surveys import builder_questions
from consult.surveys.models import Question
from tests.surveys.builder_questions_support import (
    edit_question,
    first_section,
    new_question,
    order,
    question,
    question_count,
    question_data,
)
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


MB = 1024 * 1024


def empty_survey(app, env, **kwargs) -> int:
    """A survey with one section and no question (the factory's default question is deleted)."""
    with app.app_context():
        survey_id = create_survey(env.consultation_id, published=False, **kwargs).id
        db.session.execute(delete(Question).where(Question.survey_id == survey_id))
        db.session.commit()
        return survey_id


def make_survey(app, env, questions, **kwargs) -> int:
    with app.app_context():
        return create_survey(env.consultation_id, published=False, questions=questions, **kwargs).id


TYPES = [
    ("short_text", {"max_length": "200"}, {}, {"max_length": 200}),
    ("long_text", {}, {}, {"max_length": 5000}),
    ("single_choice", {"display": "dropdown"}, {"options": ["yes", "no"]}, {"display": "dropdown"}),
    ("multiple_choice", {"min_selections": "1", "max_selections": "2"}, {"options": ["air", "sea", "road"]},
     {"min_selections": 1, "max_selections": 2}),
    ("yes_no", {}, {}, {}),
    ("scale", {"scale_max": "10", "min_label_en": "Not at all", "max_label_fr": "Tout à fait"}, {},
     {"min": 1, "max": 10, "min_label": {"en": "Not at all"}, "max_label": {"fr": "Tout à fait"}}),
    ("number", {"number_min": "0", "number_max": "12.50"}, {}, {"min": "0", "max": "12.5", "integer_only": False}),
    ("date", {"date_min": "2024-01-01", "date_max": "2024-12-31"}, {}, {"min": "2024-01-01", "max": "2024-12-31"}),
    ("ranking", {}, {"options": ["price", "speed", "safety"]}, {}),
    ("matrix", {}, {"rows": ["imports", "exports"], "columns": ["low", "medium", "high"]}, {}),
    ("file", {"max_megabytes": "5"}, {}, {"max_bytes": 5 * MB}),
]


@pytest.mark.parametrize(("kind", "fields", "lists", "settings"), TYPES, ids=[t[0] for t in TYPES])
def test_each_question_type_with_its_settings(app, env, kind, fields, lists, settings):
    survey_id = empty_survey(app, env)
    section_id = first_section(app, survey_id)
    page = env.client.get(url(env, survey_id, f"sections/{section_id}/questions/new?type={kind}"))
    assert page.status_code == 200
    assert f'<option selected value="{kind}">' in page.get_data(as_text=True)

    response = new_question(env, survey_id, section_id, question_data(
        kind, code="Q7", label="What do you think?", label_fr="Qu'en pensez-vous ?", required="y", **fields, **lists,
    ))

    assert response.status_code == 302, text(response)
    stored = question(app, survey_id, "Q7")
    assert stored["type"] == kind
    assert stored["settings"] == settings
    assert stored["label"] == {"en": "What do you think?", "fr": "Qu'en pensez-vous ?"}
    assert stored["required"] is True
    assert [code for code, _label, _other in stored["options"]] == lists.get("options", [])
    assert [code for code, _label in stored["rows"]] == lists.get("rows", [])
    assert [code for code, _label in stored["columns"]] == lists.get("columns", [])
    [event] = audit_events(app, "survey_question_added")
    assert event.data == {"question": "Q7", "type": kind}


def test_each_type_shows_its_own_settings(app, env):
    survey_id = empty_survey(app, env)
    section_id = first_section(app, survey_id)
    scale = text(env.client.get(url(env, survey_id, f"sections/{section_id}/questions/new?type=scale")))
    assert "Label of 1 in French" in scale and "Largest value" not in scale and "Choices" not in scale
    number = text(env.client.get(url(env, survey_id, f"sections/{section_id}/questions/new?type=number")))
    assert "Largest value" in number and "Whole numbers only" in number
    matrix = text(env.client.get(url(env, survey_id, f"sections/{section_id}/questions/new?type=matrix")))
    assert "Rows" in matrix and "Columns" in matrix


def test_codes_are_given_when_left_empty(app, env):
    survey_id = make_survey(app, env, [{"type": "short_text", "code": "Q1"}])
    section_id = first_section(app, survey_id)

    response = new_question(env, survey_id, section_id, question_data(
        "single_choice", options=[("", "Air"), ("", "Sea"), ("o1", "Road")], allow_other="y"))
    matrix = new_question(env, survey_id, section_id, question_data(
        "matrix", rows=[("", "Imports"), ("", "Exports")], columns=[("", "Low"), ("", "High")]))

    assert response.status_code == 302 and matrix.status_code == 302
    assert order(app, survey_id) == ["Q1", "Q2", "Q3"]
    stored = question(app, survey_id, "Q2")
    assert [(code, other) for code, _label, other in stored["options"]] == [
        ("o2", False), ("o3", False), ("o1", False), ("other", True)
    ]
    assert stored["options"][3][1]["en"] == "Other, please specify"
    assert [code for code, _label in question(app, survey_id, "Q3")["rows"]] == ["r1", "r2"]
    assert [code for code, _label in question(app, survey_id, "Q3")["columns"]] == ["c1", "c2"]


BAD_INPUT = [
    ({"code": "Q 1"}, "A code has 1 to 32 letters, digits, hyphens or underscores"),
    ({"code": "Q1"}, "Another question of this survey already has the code Q1."),
    ({"code": "x" * 33}, "A code has 1 to 32 letters"),
    ({"label_en": "", "label_fr": "Votre avis ?"}, "Enter it in English, the survey's original language."),
    ({"question_type": "essay"}, "Choose a question type from the list."),
    ({"question_type": "single_choice", "options": ["one"]}, "Give at least two choices."),
    ({"question_type": "single_choice", "options": ["a", "a"]}, "The code a is used twice in this list."),
    ({"question_type": "single_choice", "options": ["a", "bad code"]}, "A code has 1 to 64 letters"),
    ({"question_type": "single_choice", "options": ["a", "other"]}, "The code “other” is kept"),
    ({"question_type": "single_choice", "options": ["a", {"code": "b", "label_en": "", "label_fr": "Bé"}]},
     "Enter it in English"),
    ({"question_type": "single_choice", "options": ["a", "b"], "display": "carousel"},
     "Choose radio buttons or a drop-down list."),
    ({"question_type": "multiple_choice", "options": ["a", "b"], "max_selections": "3"}, "There are only 2 choices."),
    ({"question_type": "multiple_choice", "options": ["a", "b"], "min_selections": "2", "max_selections": "1"},
     "The largest number of choices cannot be below the smallest."),
    ({"question_type": "matrix", "rows": ["r"], "columns": ["c"]}, "Give at least two columns."),
    ({"question_type": "matrix", "columns": ["c", "d"]}, "Give at least one row."),
    ({"question_type": "ranking", "options": ["a"]}, "Give at least two choices."),
    ({"question_type": "scale", "scale_max": "7"}, "A scale goes from 1 to 5 or from 1 to 10."),
    ({"question_type": "scale", "min_label_en": "x" * 101}, "at most 100 characters"),
    ({"question_type": "number", "number_min": "10", "number_max": "2"},
     "The largest value cannot be below the smallest."),
    ({"question_type": "number", "number_min": "ten"}, "Enter a number, such as 12 or 12.5."),
    ({"question_type": "number", "number_max": "1e9"}, "Enter a number, such as 12 or 12.5."),
    ({"question_type": "number", "number_min": "1.5", "integer_only": "y"}, "Whole numbers only"),
    ({"question_type": "date", "date_min": "2024-02-30"}, "Enter a date as YYYY-MM-DD."),
    ({"question_type": "date", "date_min": "2024-05-01", "date_max": "2024-01-01"},
     "The latest date cannot be before the earliest."),
    ({"max_length": "0"}, "Enter a whole number from 1 to 1000."),
    ({"max_length": "many"}, "Not a valid integer value."),
    ({"question_type": "long_text", "max_length": "100000"}, "Enter a whole number from 1 to 50000."),
    ({"question_type": "file", "max_megabytes": "100"}, "Number must be between 1 and 15."),
    ({"label_en": "x" * 1001}, "at most 1000 characters"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_INPUT, ids=[m for _f, m in BAD_INPUT])
def test_bad_question_input_is_refused_and_kept(app, env, fields, message):
    survey_id = make_survey(app, env, [{"type": "short_text", "code": "Q1"}])
    section_id = first_section(app, survey_id)
    before = definition_of(app, survey_id)
    data = {"code": "Q9", "label_en": "Keep me, please"}
    data.update(fields)
    kind = data.pop("question_type", "short_text")

    response = new_question(env, survey_id, section_id, question_data(kind, **data))

    assert response.status_code == 400
    assert message in text(response)
    if fields.get("label_en", "Keep me") == "Keep me, please" or "label_en" not in fields:
        assert "Keep me, please" in response.get_data(as_text=True)
    assert definition_of(app, survey_id) == before
    assert audit_events(app, "survey_question_added") == []


def test_more_rows_and_switching_type_save_nothing(app, env):
    survey_id = empty_survey(app, env)
    section_id = first_section(app, survey_id)
    data = question_data("single_choice", code="Q5", options=["a", "b", "c", "d"])

    more = new_question(env, survey_id, section_id, {**data, "more": "options"})
    refresh = new_question(env, survey_id, section_id, {**data, "question_type": "matrix", "refresh": "1"})

    assert more.status_code == 200
    assert 'name="options-6-code"' in more.get_data(as_text=True)  # four filled rows and three blank ones
    assert 'value="Q5"' in more.get_data(as_text=True)
    assert refresh.status_code == 200 and "Rows" in text(refresh)
    assert question_count(app, survey_id) == 0


def test_a_question_is_edited_with_its_options(app, env):
    survey_id = make_survey(app, env, [
        {"type": "single_choice", "code": "Q1", "label": "Transport?", "options": [("a", "Air"), ("b", "Boat")]},
    ])
    stored = question(app, survey_id, "Q1")
    ids = stored["option_ids"]

    response = edit_question(env, survey_id, stored["id"], question_data(
        "single_choice", code="Q1", label="Main transport?", label_es="¿Transporte principal?",
        options=[
            {"option_id": str(ids["b"]), "code": "a", "label_en": "Boat"},  # codes swapped
            {"option_id": str(ids["a"]), "code": "b", "label_en": "Air", "label_fr": "Avion"},
            {"code": "", "label_en": "Rail"},
        ],
        allow_other="y",
    ))

    assert response.status_code == 302, text(response)
    after = question(app, survey_id, "Q1")
    assert after["label"] == {"en": "Main transport?", "es": "¿Transporte principal?"}
    assert [(code, label.get("en"), other) for code, label, other in after["options"]] == [
        ("a", "Boat", False), ("b", "Air", False), ("o1", "Rail", False), ("other", "Other, please specify", True),
    ]
    assert after["option_ids"]["a"] == ids["b"]  # the same stored rows, renamed
    [wording] = audit_events(app, "survey_wording_changed")
    assert wording.data["before"]["label"] == {"en": "Transport?"}
    assert wording.data["after"]["label"]["es"] == "¿Transporte principal?"
    [structure] = audit_events(app, "survey_question_updated")
    assert structure.data["changes"]["choices"][1] == ["options:a", "options:b", "options:o1", "options:other"]


def test_options_are_removed_and_other_unticked(app, env):
    survey_id = make_survey(app, env, [
        {"type": "multiple_choice", "code": "Q1", "options": ["a", "b", "c"], "other": True},
    ])
    stored = question(app, survey_id, "Q1")
    ids = stored["option_ids"]
    page = env.client.get(url(env, survey_id, f"questions/{stored['id']}/edit"))
    assert 'id="allow_other" name="allow_other" type="checkbox" value="y" checked' in page.get_data(as_text=True) or \
        "checked" in page.get_data(as_text=True)

    response = edit_question(env, survey_id, stored["id"], question_data(
        "multiple_choice", code="Q1", options=[
            {"option_id": str(ids["a"]), "code": "a", "label_en": "A"},
            {"option_id": str(ids["b"]), "code": "b", "label_en": "B", "remove": "y"},
            {"option_id": str(ids["c"]), "code": "c", "label_en": "C"},
        ],
    ))

    assert response.status_code == 302
    assert [code for code, _label, _other in question(app, survey_id, "Q1")["options"]] == ["a", "c"]


def test_an_option_of_another_question_cannot_be_smuggled_in(app, env):
    survey_id = make_survey(app, env, [
        {"type": "single_choice", "code": "Q1", "options": ["a", "b"]},
        {"type": "single_choice", "code": "Q2", "options": ["x", "y"]},
    ])
    q1, q2 = question(app, survey_id, "Q1"), question(app, survey_id, "Q2")
    before = definition_of(app, survey_id)

    response = edit_question(env, survey_id, q1["id"], question_data("single_choice", code="Q1", options=[
        {"option_id": str(q1["option_ids"]["a"]), "code": "a", "label_en": "A"},
        {"option_id": str(q2["option_ids"]["x"]), "code": "x", "label_en": "X"},
    ]))

    assert response.status_code == 400
    assert "This entry no longer exists; reload the page." in text(response)

    twice = edit_question(env, survey_id, q1["id"], question_data("single_choice", code="Q1", options=[
        {"option_id": str(q1["option_ids"]["a"]), "code": "a", "label_en": "A"},
        {"option_id": str(q1["option_ids"]["a"]), "code": "c", "label_en": "C"},
    ]))
    assert twice.status_code == 400
    assert "This entry no longer exists; reload the page." in text(twice)
    assert definition_of(app, survey_id) == before


def test_questions_move_within_and_across_sections(app, env):
    survey_id = make_survey(app, env, sections=2, questions=[
        {"type": "short_text", "code": "Q1"}, {"type": "short_text", "code": "Q2"},
        {"type": "short_text", "code": "Q3", "section": 1},
    ])
    q1, q2 = question(app, survey_id, "Q1"), question(app, survey_id, "Q2")
    assert post(env, url(env, survey_id, f"questions/{q1['id']}/move"), {"direction": "down"}).status_code == 302
    assert order(app, survey_id) == ["Q2", "Q1", "Q3"]
    second = question(app, survey_id, "Q3")
    with env.app.app_context():
        section_two = db.session.get(Question, second["id"]).section_id

    response = post(env, url(env, survey_id, f"questions/{q2['id']}/move"), {"section_id": str(section_two)})

    assert response.status_code == 302
    assert order(app, survey_id) == ["Q1", "Q3", "Q2"]
    assert question(app, survey_id, "Q1")["position"] == 0
    assert len(audit_events(app, "survey_question_moved")) == 2
    assert post(env, url(env, survey_id, f"questions/{q2['id']}/move"), {"section_id": "999999"}).status_code == 404
    assert post(env, url(env, survey_id, f"questions/{q2['id']}/move"), {}).status_code == 400


def test_a_question_is_deleted_and_the_rest_renumbered(app, env):
    survey_id = make_survey(app, env, [
        {"type": "short_text", "code": code} for code in ("Q1", "Q2", "Q3")
    ])
    q2 = question(app, survey_id, "Q2")

    response = post(env, url(env, survey_id, f"questions/{q2['id']}/delete"))

    assert response.status_code == 302
    assert order(app, survey_id) == ["Q1", "Q3"]
    assert question(app, survey_id, "Q3")["position"] == 1
    assert audit_events(app, "survey_question_deleted")[0].data["question"] == "Q2"
    assert post(env, url(env, survey_id, f"questions/{q2['id']}/delete")).status_code == 404


def test_a_code_taken_at_the_same_moment_is_a_field_error(app, env, monkeypatch):
    """Two moderators saving the same new code at once: the database's unique code wins, politely."""
    survey_id = make_survey(app, env, [{"type": "short_text", "code": "Q1"}])
    section_id = first_section(app, survey_id)
    before = definition_of(app, survey_id)

    original_check = builder_questions.check_question
    monkeypatch.setattr(builder_questions, "check_question",
                        lambda spec, original, taken: original_check(spec, original, set()))

    response = new_question(env, survey_id, section_id, question_data("short_text", code="Q1", label="Again"))

    assert response.status_code == 400
    assert "Someone else has just used this code. Choose another one." in text(response)
    assert definition_of(app, survey_id) == before
