"""Publishing (with the missing-translation warning), previewing in each language, and duplicating."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select

from consult.extensions import db
from consult.surveys.models import Condition, Question, Survey
from tests.surveys.builder_support import (
    audit_events,
    builder_env,
    definition_of,
    post,
    survey_ids,
    text,
    url,
)
from tests.surveys.factories import create_survey


@pytest.fixture
def env(app, client_as):
    return builder_env(app, client_as)


ALL = {"en": "Questionnaire", "fr": "Questionnaire", "es": "Cuestionario"}


def make(app, env, **kwargs) -> int:
    kwargs.setdefault("published", False)
    with app.app_context():
        return create_survey(env.consultation_id, **kwargs).id


def complete_survey(app, env) -> int:
    """Every text written in all three languages."""
    survey_id = make(app, env, title=ALL, questions=[
        {"type": "yes_no", "code": "Q1", "label": {"en": "Agree?", "fr": "D'accord ?", "es": "¿De acuerdo?"}},
    ])
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        survey.intro = survey.intro.__class__({"en": "Hi", "fr": "Bonjour", "es": "Hola"}, "en")
        section = survey.sections[0]
        section.title = section.title.__class__({"en": "Part", "fr": "Partie", "es": "Parte"}, "en")
        db.session.commit()
    return survey_id


def published(app, survey_id: int) -> bool:
    with app.app_context():
        return db.session.get(Survey, survey_id).published_at is not None


def test_a_survey_without_questions_cannot_be_published(app, env):
    survey_id = make(app, env)
    with app.app_context():
        db.session.execute(delete(Question).where(Question.survey_id == survey_id))
        db.session.commit()

    response = post(env, url(env, survey_id, "publish"), {"confirm": "yes"})

    assert response.status_code == 400
    assert "Add at least one question before publishing the survey." in text(response)
    assert not published(app, survey_id)


def test_missing_translations_are_listed_before_publishing(app, env):
    survey_id = make(app, env, questions=[
        {"type": "single_choice", "code": "Q1", "label": {"en": "Which?", "fr": "Lequel ?"},
         "options": [("a", {"en": "A", "fr": "A", "es": "A"}), ("b", "B")]},
    ])

    warning = post(env, url(env, survey_id, "publish"))

    assert warning.status_code == 200
    body = text(warning)
    assert "Publish with missing translations?" in body
    assert "Missing in French: 4 of 6 texts" in body
    assert "Missing in Spanish: 5 of 6 texts" in body
    assert "Q1: choice b" in body and "Survey title" in body and "Section 1: title" in body
    assert "Missing in English" not in body
    assert not published(app, survey_id)

    confirmed = post(env, url(env, survey_id, "publish"), {"confirm": "yes"})

    assert confirmed.status_code == 302
    assert published(app, survey_id)
    [event] = audit_events(app, "survey_published")
    assert event.data["missing_translations"] == {"fr": 4, "es": 5}


def test_a_fully_translated_survey_is_published_at_once(app, env):
    survey_id = complete_survey(app, env)
    assert "Español 4 of 4 complete" in text(env.client.get(url(env, survey_id)))
    assert post(env, url(env, survey_id, "publish")).status_code == 302
    assert published(app, survey_id)


def test_unpublish_while_nobody_answered(app, env):
    survey_id = make(app, env, published=True)
    assert post(env, url(env, survey_id, "unpublish")).status_code == 302
    assert not published(app, survey_id)
    assert audit_events(app, "survey_unpublished")[0].target_id == survey_id


# --- Preview ----------------------------------------------------------------------------------


def preview_survey(app, env) -> int:
    return make(app, env, title={"en": "Border survey", "fr": "Enquête aux frontières"}, questions=[
        {"type": "yes_no", "code": "Q1",
         "label": {"en": "Do you inspect parcels?", "fr": "Inspectez-vous les colis ?"}},
        {"type": "single_choice", "code": "Q2", "label": "How often?",
         "options": [("d", {"en": "Daily", "fr": "Chaque jour"})],
         "conditions": [("Q1", "equals", "yes")]},
        {"type": "scale", "code": "Q3", "label": {"en": "Risk", "fr": "Risque"},
         "settings": {"min": 1, "max": 10, "min_label": {"en": "Low", "fr": "Faible"}, "max_label": {"en": "High"}}},
        {"type": "matrix", "code": "Q4", "label": "Matrix", "rows": ["r1"], "columns": ["c1", "c2"]},
        {"type": "ranking", "code": "Q5", "options": ["a", "b"]},
        {"type": "file", "code": "Q6", "settings": {"max_bytes": 5 * 1024 * 1024}},
        {"type": "number", "code": "Q7", "settings": {"min": "0", "max": "10", "integer_only": True}},
        {"type": "date", "code": "Q8", "settings": {"min": "2024-01-01", "max": None}},
        {"type": "multiple_choice", "code": "Q9", "options": ["x", "y"], "other": True,
         "settings": {"min_selections": 1, "max_selections": 2}},
        {"type": "long_text", "code": "Q10", "settings": {"max_length": 300}},
        {"type": "short_text", "code": "Q11", "settings": {"max_length": 30}},
        {"type": "single_choice", "code": "Q12", "options": ["p", "q"], "settings": {"display": "dropdown"}},
    ])


def test_preview_in_french_shows_french_texts_and_the_fallback_notice(app, env):
    survey_id = preview_survey(app, env)

    response = env.client.get(url(env, survey_id, "preview?lang=fr"))

    assert response.status_code == 200
    body = text(response)
    assert "Enquête aux frontières" in body
    assert "Inspectez-vous les colis ?" in body
    assert "Chaque jour" in body and "Faible" in body
    assert "How often?" in body  # no French text: the original, with the notice in French
    assert "Ce contenu n’est pas disponible en français et est affiché en anglais." in body
    assert "Oui" in body and "Non" in body  # the page chrome of the block is French too
    html = response.get_data(as_text=True)
    assert 'lang="fr" class="survey-preview"' in html
    assert html.count("<h1") == 1


def test_preview_can_save_nothing(app, env):
    survey_id = preview_survey(app, env)
    html = env.client.get(url(env, survey_id, "preview?lang=es")).get_data(as_text=True)
    preview = html[html.index('class="survey-preview"'):]
    assert "<form" not in preview
    assert "<button" not in preview
    inputs = re.findall(r"<(?:input|select|textarea)\b[^>]*>", preview)
    assert inputs and all("disabled" in tag for tag in inputs)


def test_preview_in_english_has_no_notice_and_unknown_languages_are_not_found(app, env):
    survey_id = preview_survey(app, env)
    english = text(env.client.get(url(env, survey_id, "preview?lang=en")))
    assert "Do you inspect parcels?" in english
    assert "not available" not in english
    assert env.client.get(url(env, survey_id, "preview?lang=de")).status_code == 404


# --- Duplicate ---------------------------------------------------------------------------------


def test_duplicate_is_a_deep_unpublished_copy_with_conditions_remapped(app, env):
    original = make(app, env, published=True, sections=2,
                    title={"en": "Border survey", "fr": "Enquête", "es": "Encuesta"}, questions=[
                        {"type": "yes_no", "code": "Q1"},
                        {"type": "single_choice", "code": "Q2", "options": ["a", "b"], "other": True,
                         "conditions": [("Q1", "equals", "yes")]},
                        {"type": "matrix", "code": "Q3", "section": 1, "rows": ["r"], "columns": ["c", "d"],
                         "conditions": [("Q2", "equals", "b"), ("Q1", "answered", "")]},
                    ])

    response = post(env, url(env, original, "duplicate"))

    assert response.status_code == 302
    [_, copy] = survey_ids(app)
    assert response.headers["Location"].endswith(f"/surveys/{copy}/edit")
    source, duplicate = definition_of(app, original), definition_of(app, copy)
    assert duplicate["published"] is False
    assert duplicate["title"]["en"] == "Border survey (copy)"
    assert duplicate["title"]["fr"].startswith("Enquête (") and duplicate["title"]["es"].startswith("Encuesta (")
    for key in ("title", "published"):
        source.pop(key), duplicate.pop(key)
    assert duplicate == source
    with app.app_context():
        copy_ids = set(db.session.scalars(select(Question.id).where(Question.survey_id == copy)))
        pairs = db.session.execute(
            select(Condition.question_id, Condition.source_question_id)
            .join(Question, Condition.question_id == Question.id)
            .where(Question.survey_id == copy)
        ).all()
        assert len(pairs) == 3
        assert all(q in copy_ids and s in copy_ids for q, s in pairs)  # pointing to the copied questions
    [event] = audit_events(app, "survey_duplicated")
    assert event.target_id == copy and event.data["source"] == original
