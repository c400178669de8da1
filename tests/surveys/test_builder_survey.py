"""The survey builder: creating a survey, its details, sections, permissions and the builder page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.surveys.models import Survey, SurveySection
from tests.factories import create_consultation, create_group
from tests.helpers import count, csrf_token
from tests.surveys.builder_support import (
    add_response,
    audit_events,
    builder_env,
    counted_queries,
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


def survey_data(**overrides) -> dict:
    data = {
        "original_locale": "en",
        "title_en": "Border enforcement questionnaire",
        "title_fr": "Questionnaire sur les contrôles aux frontières",
        "title_es": "",
        "intro_en": "Please answer for your **administration**.",
        "intro_fr": "",
        "intro_es": "",
        "response_policy": "organization",
        "allow_edit_after_submit": "y",
    }
    data.update(overrides)
    return data


def make_survey(app, env, **kwargs) -> int:
    with app.app_context():
        return create_survey(env.consultation_id, **kwargs).id


# --- Creating a survey ---------------------------------------------------------------


def test_moderator_creates_a_survey_in_three_languages(app, env):
    page = env.client.get(url(env, suffix="new"))
    assert page.status_code == 200
    assert "Title in French" in text(page)

    response = post(env, url(env, suffix="new"), survey_data())

    assert response.status_code == 302
    [survey_id] = survey_ids(app)
    assert response.headers["Location"].endswith(f"/surveys/{survey_id}/edit")
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.title.texts == {
            "en": "Border enforcement questionnaire",
            "fr": "Questionnaire sur les contrôles aux frontières",
        }
        assert survey.title.original == "en"
        assert survey.intro.texts == {"en": "Please answer for your **administration**."}
        assert survey.response_policy == "organization"
        assert survey.allow_edit_after_submit is True
        assert survey.published_at is None
    [event] = audit_events(app, "survey_created")
    assert event.target_id == survey_id and event.target_type == "Survey"


def test_a_survey_needs_its_title_in_the_original_language(app, env):
    response = post(env, url(env, suffix="new"), survey_data(original_locale="fr", title_fr=""))

    assert response.status_code == 400
    page = text(response)
    assert "Enter it in French, the survey's original language." in page
    assert "Border enforcement questionnaire" in response.get_data(as_text=True)  # the input is kept
    assert survey_ids(app) == []


def test_an_unknown_policy_or_language_is_refused(app, env):
    response = post(env, url(env, suffix="new"), survey_data(response_policy="everyone", original_locale="de"))

    assert response.status_code == 400
    page = text(response)
    assert "Choose who answers" in page
    assert "Choose the language the survey is first written in." in page
    assert survey_ids(app) == []


def test_edit_details_and_audit_the_wording(app, env):
    survey_id = make_survey(app, env, published=False)

    page = env.client.get(url(env, survey_id, "edit/details"))
    assert page.status_code == 200
    assert 'value="Questionnaire"' in page.get_data(as_text=True)

    response = post(env, url(env, survey_id, "edit/details"),
                    survey_data(title_en="Annual questionnaire", response_policy="person", allow_edit_after_submit=""))

    assert response.status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.title.texts["en"] == "Annual questionnaire"
        assert survey.allow_edit_after_submit is False
    [wording] = audit_events(app, "survey_wording_changed")
    assert wording.data["before"]["title"] == {"en": "Questionnaire"}
    assert wording.data["after"]["title"]["en"] == "Annual questionnaire"
    [settings] = audit_events(app, "survey_updated")
    assert settings.data["changes"]["allow_edit_after_submit"] == [True, False]


def test_changing_the_original_language_relabels_every_text(app, env):
    survey_id = make_survey(app, env, published=False)

    response = post(env, url(env, survey_id, "edit/details"),
                    survey_data(original_locale="fr", title_fr="Questionnaire annuel", response_policy="person"))

    assert response.status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.title.original == "fr"
        assert {q.label.original for q in survey.questions} == {"fr"}
        assert {s.title.original for s in survey.sections} == {"fr"}


def test_who_answers_cannot_change_once_answering_started(app, env):
    survey_id = make_survey(app, env, policy="person")
    add_response(app, survey_id)

    response = post(env, url(env, survey_id, "edit/details"), survey_data(response_policy="organization"))

    assert response.status_code == 400
    assert "who answers can no longer change" in text(response)
    with app.app_context():
        assert db.session.get(Survey, survey_id).response_policy == "person"


# --- Permissions -----------------------------------------------------------------------


def test_only_managers_build(app, env, client_as, client):
    survey_id = make_survey(app, env, published=False)
    published_id = make_survey(app, env, published=True)
    participant = client_as("participant")
    other_moderator = client_as("moderator")
    staff = client_as("staff")

    assert participant.get(url(env, suffix="new")).status_code == 403  # sees the consultation, may not build
    assert other_moderator.get(url(env, suffix="new")).status_code == 403
    assert participant.get(url(env, survey_id)).status_code == 404  # an unpublished survey is not visible
    assert participant.get(url(env, published_id)).status_code == 403
    assert participant.get(url(env, published_id, "definition.json")).status_code == 403
    assert participant.get(url(env, published_id, "preview?lang=fr")).status_code == 403
    assert staff.get(url(env, survey_id)).status_code == 200
    assert client.get(url(env, survey_id)).status_code == 302  # anonymous: sign in first

    token = csrf_token(participant, "/")
    for path in ("publish", "duplicate", "delete", "unpublish", "sections/new"):
        assert participant.post(url(env, published_id, path), data={"csrf_token": token}).status_code == 403
        assert participant.post(url(env, survey_id, path), data={"csrf_token": token}).status_code == 404
    assert len(survey_ids(app)) == 2
    with app.app_context():
        assert db.session.get(Survey, published_id).published_at is not None


def test_a_draft_consultation_is_invisible_to_others(app, env, client_as):
    with app.app_context():
        draft = create_consultation(group_id=create_group().id, state="draft")
    participant = client_as("participant")
    assert participant.get(f"/consultations/{draft.slug}/surveys/new").status_code == 404
    assert env.client.get(f"/consultations/{draft.slug}/surveys/new").status_code == 404  # not their group
    assert env.client.get("/consultations/no-such-thing/surveys/new").status_code == 404


def test_missing_or_foreign_surveys_are_not_found(app, env):
    with app.app_context():
        elsewhere = create_consultation(group_id=create_group().id)
        foreign = create_survey(elsewhere.id).id
    assert env.client.get(url(env, foreign)).status_code == 404  # another consultation's survey
    assert env.client.get(url(env, 999_999)).status_code == 404
    assert env.client.get(url(env, 2**40)).status_code == 404


# --- Sections ----------------------------------------------------------------------------


def test_sections_are_added_edited_moved_and_deleted(app, env):
    survey_id = make_survey(app, env, published=False, sections=2,
                            questions=[{"type": "short_text", "code": "Q1", "section": 0}])
    new = post(env, url(env, survey_id, "sections/new"),
               {"title_en": "Costs", "title_fr": "Coûts", "title_es": "", "intro_en": "About money.",
                "intro_fr": "", "intro_es": ""})
    assert new.status_code == 302
    with app.app_context():
        sections = db.session.scalars(
            select(SurveySection).where(SurveySection.survey_id == survey_id).order_by(SurveySection.position)
        ).all()
        assert [s.title.texts.get("en") for s in sections] == ["Section 1", "Section 2", "Costs"]
        costs, first = sections[2].id, sections[0].id
    assert audit_events(app, "survey_section_added")

    edit = post(env, url(env, survey_id, f"sections/{costs}/edit"),
                {"title_en": "Costs and fees", "title_fr": "Coûts", "title_es": "Costes"})
    assert edit.status_code == 302
    [wording] = audit_events(app, "survey_wording_changed")
    assert wording.data["section"] == 3
    assert wording.data["before"] == {"title": {"en": "Costs", "fr": "Coûts"}, "intro": {"en": "About money."}}
    assert wording.data["after"] == {"title": {"en": "Costs and fees", "fr": "Coûts", "es": "Costes"}, "intro": {}}
    assert post(env, url(env, survey_id, f"sections/{costs}/move"), {"direction": "up"}).status_code == 302

    with app.app_context():
        ordered = db.session.scalars(
            select(SurveySection).where(SurveySection.survey_id == survey_id).order_by(SurveySection.position)
        ).all()
        assert [s.title.texts.get("en") for s in ordered] == ["Section 1", "Costs and fees", "Section 2"]
        assert ordered[1].title.texts["es"] == "Costes"

    refused = post(env, url(env, survey_id, f"sections/{first}/delete"))
    assert refused.status_code == 400
    assert "This section still has questions" in text(refused)
    assert post(env, url(env, survey_id, f"sections/{costs}/delete")).status_code == 302
    with app.app_context():
        positions = db.session.scalars(
            select(SurveySection.position).where(SurveySection.survey_id == survey_id).order_by(SurveySection.position)
        ).all()
        assert positions == [0, 1]
        assert count(SurveySection) == 2


def test_a_section_needs_a_title_in_the_original_language(app, env):
    survey_id = make_survey(app, env, published=False)
    response = post(env, url(env, survey_id, "sections/new"), {"title_en": "", "title_fr": "Coûts"})
    assert response.status_code == 400
    assert "Enter it in English, the survey's original language." in text(response)
    assert 'value="Coûts"' in response.get_data(as_text=True)
    with app.app_context():
        assert count(SurveySection) == 1


def test_a_bad_move_direction_is_a_bad_request(app, env):
    survey_id = make_survey(app, env, published=False, sections=2)
    with app.app_context():
        section_id = db.session.scalars(select(SurveySection.id).where(SurveySection.survey_id == survey_id)).first()
    assert post(env, url(env, survey_id, f"sections/{section_id}/move"), {"direction": "sideways"}).status_code == 400
    assert post(env, url(env, survey_id, "sections/999999/move"), {"direction": "up"}).status_code == 404


# --- The builder page ------------------------------------------------------------------------


def test_the_builder_page_lists_questions_with_conditions_in_words(app, env):
    survey_id = make_survey(app, env, published=False, sections=2, questions=[
        {"type": "yes_no", "code": "Q1", "label": "Do you inspect parcels?", "required": True},
        {"type": "single_choice", "code": "Q2", "label": "How often?", "options": [("o1", "Daily"), ("o2", "Weekly")],
         "conditions": [("Q1", "equals", "no")]},
        {"type": "long_text", "code": "Q3", "label": "Why?", "section": 1,
         "conditions": [("Q2", "equals", "o2"), ("Q1", "answered", "")]},
    ])

    page = env.client.get(url(env, survey_id))

    assert page.status_code == 200
    body = text(page)
    assert "Do you inspect parcels?" in body and "Yes or no" in body and "Single choice" in body
    assert body.index("Q1") < body.index("Q2") < body.index("Q3")
    assert "Shown when Q1 is “No”" in body
    assert "Shown when Q2 is “Weekly”" in body
    assert "Shown when Q1 is answered" in body
    assert "Always shown" in body


def test_translation_completeness_counts_every_text(app, env):
    survey_id = make_survey(app, env, published=False, questions=[
        {"type": "single_choice", "code": "Q1", "label": {"en": "Which?", "fr": "Lequel ?"},
         "options": [("o1", {"en": "One", "fr": "Un"}), ("o2", {"en": "Two", "es": "Dos"})]},
        {"type": "scale", "code": "Q2", "label": "Rate", "settings": {"min": 1, "max": 5,
         "min_label": {"en": "Bad", "fr": "Mauvais", "es": "Malo"}, "max_label": {"en": "Good"}}},
    ])
    # Texts written: survey title, intro, section title, Q1 label, o1, o2, Q2 label, min label, max label = 9.
    body = text(env.client.get(url(env, survey_id)))
    assert "English 9 of 9 complete" in body
    assert "Français 3 of 9" in body  # Q1 label, o1, min label
    assert "Español 2 of 9" in body  # o2, min label


def test_the_builder_page_needs_a_bounded_number_of_queries(app, env):
    def questions(n):
        specs = [{"type": "single_choice", "code": "Q1", "options": ["a", "b"]}]
        specs += [{"type": "short_text", "code": f"Q{i}", "section": i % 3, "conditions": [("Q1", "equals", "a")]}
                  for i in range(2, n + 1)]
        return specs

    small = make_survey(app, env, published=False, sections=3, questions=questions(5))
    large = make_survey(app, env, published=False, sections=3, questions=questions(40))
    env.client.get(url(env, small))  # warm up the session and caches

    with counted_queries(app) as few:
        assert env.client.get(url(env, small)).status_code == 200
    with counted_queries(app) as many:
        assert env.client.get(url(env, large)).status_code == 200

    assert len(many) == len(few)
    assert len(many) <= 20


def test_delete_a_survey_nobody_answered(app, env):
    kept = make_survey(app, env, published=False)
    gone = make_survey(app, env, published=False, questions=[
        {"type": "yes_no", "code": "Q1"}, {"type": "short_text", "code": "Q2", "conditions": [("Q1", "equals", "yes")]},
    ])
    answered = make_survey(app, env, published=True)
    add_response(app, answered)

    assert post(env, url(env, gone, "delete")).status_code == 302
    refused = post(env, url(env, answered, "delete"))

    assert refused.status_code == 400
    assert "it cannot be deleted" in text(refused)
    assert survey_ids(app) == [kept, answered]
    assert audit_events(app, "survey_deleted")[0].target_id == gone


def test_state_never_changes_on_get(app, env):
    survey_id = make_survey(app, env, published=False)
    before = definition_of(app, survey_id)
    for suffix in ("publish", "duplicate", "delete", "unpublish"):
        assert env.client.get(url(env, survey_id, suffix)).status_code == 405
    assert definition_of(app, survey_id) == before
    assert survey_ids(app) == [survey_id]


def test_posts_without_a_csrf_token_are_refused(app, env):
    survey_id = make_survey(app, env, published=False)
    response = env.client.post(url(env, survey_id, "publish"))
    assert response.status_code == 400
    response = env.client.post(url(env, suffix="new"), data={"title_en": "x", "original_locale": "en"})
    assert response.status_code == 400
    assert survey_ids(app) == [survey_id]
    with app.app_context():
        assert db.session.get(Survey, survey_id).published_at is None

