"""Each worker keeps a survey's structure in memory; every change made in the builder reaches the answer page and
the answer checks at once, in every worker.

A second application on the same database stands for another worker process: it has its own cache and hears
nothing from this one, so it can only learn about an edit from the database.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from config import TestConfig
from consult import create_app
from consult.extensions import db
from consult.surveys import answering, structure
from consult.surveys.models import Condition, QuestionOption, Response, Survey
from tests.helpers import counted_queries, login
from tests.surveys.builder_questions_support import edit_question, question, question_data
from tests.surveys.builder_support import builder_env, post, text, url
from tests.surveys.factories import create_survey
from tests.surveys.test_answer_support import post_form, response_of, submit_from_review

QUESTIONS = [
    {"type": "yes_no", "code": "Q1", "label": "Do you inspect parcels?"},
    {"type": "single_choice", "code": "Q2", "label": "How often?", "options": [("d", "Daily"), ("w", "Weekly")]},
    {"type": "short_text", "code": "Q3", "label": "Anything else?"},
]


@pytest.fixture
def env(app, client_as):
    return builder_env(app, client_as)


@pytest.fixture
def world(app, env):
    with app.app_context():
        survey = create_survey(env.consultation_id, questions=QUESTIONS)
    return SimpleNamespace(id=survey.id, q=survey.question_ids, url=f"/consultations/{env.slug}/surveys/{survey.id}")


@pytest.fixture
def second_worker(database_url):
    application = create_app(type("SecondWorker", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def readers(client_as, second_worker):
    """One participant, signed in on both workers."""
    here = client_as("participant")
    there = second_worker.test_client()
    login(there, here.user.email, here.user.password)
    return here, there


def _page(client, world) -> str:
    response = client.get(world.url)
    assert response.status_code == 200
    return text(response)


def _warm(readers, world) -> None:
    for client in readers:
        _page(client, world)


def _edit_q2(app, env, world, **fields):
    stored = question(app, world.id, "Q2")
    ids = stored["option_ids"]
    options = [{"option_id": str(ids["d"]), "code": "d", "label_en": "Daily"},
               {"option_id": str(ids["w"]), "code": "w", "label_en": "Weekly"}]
    data = question_data("single_choice", code="Q2", label="How often?", options=options)
    data.update(fields)
    return data, stored


def test_a_reworded_question_is_shown_by_every_worker(app, env, world, readers):
    _warm(readers, world)
    stored = question(app, world.id, "Q3")

    edited = edit_question(env, world.id, stored["id"], question_data("short_text", code="Q3",
                                                                      label="Is there anything more to add?"))

    assert edited.status_code == 302, text(edited)
    for client in readers:
        page = _page(client, world)
        assert "Is there anything more to add?" in page and "Anything else?" not in page


def test_a_translation_added_in_the_builder_reaches_french_readers(app, env, world, readers):
    for client in readers:
        with client.session_transaction() as session:
            session["locale"] = "fr"
    _warm(readers, world)
    assert "This content is not available" not in _page(readers[1], world)  # the page is in French
    stored = question(app, world.id, "Q3")

    edit_question(env, world.id, stored["id"], question_data("short_text", code="Q3", label="Anything else?",
                                                             label_fr="Autre chose ?"))

    for client in readers:
        page = _page(client, world)
        assert "Autre chose ?" in page and "Anything else?" not in page


def test_an_option_added_in_the_builder_is_offered_and_accepted(app, env, world, readers):
    _warm(readers, world)
    data, stored = _edit_q2(app, env, world, **{"options-2-code": "m", "options-2-label_en": "Monthly"})

    assert edit_question(env, world.id, stored["id"], data).status_code == 302

    _here, there = readers
    assert "Monthly" in _page(there, world)
    saved = post_form(there, world.url, {f"q{world.q['Q2']}": "m"})
    assert saved.status_code == 303, text(saved)
    assert response_of(app, world.id).answers == {world.q["Q2"]: "m"}


def test_a_condition_added_in_the_builder_is_applied_by_the_answer_checks(app, env, world, readers):
    _warm(readers, world)
    here, there = readers
    target, source = question(app, world.id, "Q3"), question(app, world.id, "Q1")
    path = url(env, world.id, f"questions/{target['id']}/conditions/new")

    added = post(env, path, {"source": str(source["id"]), "operator": "equals", "value": "yes", "value_text": ""},
                 form_page=f"{path}?source={source['id']}")

    assert added.status_code == 302, text(added)
    assert "Answer this only if your answer to “Do you inspect parcels?” is “Yes”." in _page(there, world)
    post_form(there, world.url, {f"q{world.q['Q1']}": "no", f"q{world.q['Q3']}": "Nothing"})
    assert response_of(app, world.id).answers == {world.q["Q1"]: "no"}  # Q3 is hidden: its answer is not kept

    with app.app_context():
        condition_id = db.session.scalar(select(Condition.id))
    removed = post(env, url(env, world.id, f"questions/{target['id']}/conditions/{condition_id}/delete"))
    assert removed.status_code == 302, text(removed)
    assert "Answer this only if" not in _page(here, world)
    post_form(here, world.url, {f"q{world.q['Q1']}": "no", f"q{world.q['Q3']}": "Nothing"})
    assert response_of(app, world.id).answers == {world.q["Q1"]: "no", world.q["Q3"]: "Nothing"}


def test_a_section_renamed_and_a_survey_reintroduced_are_shown_by_every_worker(app, env, world, readers):
    _warm(readers, world)
    with app.app_context():
        section_id = db.session.get(Survey, world.id).sections[0].id

    renamed = post(env, url(env, world.id, f"sections/{section_id}/edit"),
                   {"title_en": "About parcels", "title_fr": "", "title_es": ""})

    assert renamed.status_code == 302, text(renamed)
    for client in readers:
        assert "About parcels" in _page(client, world)


def test_every_change_to_the_structure_moves_the_survey_on(app, world):
    """Whatever writes the change (here the ORM directly), the survey's updated_at moves, and with it the cache key."""
    changes = [
        lambda survey: setattr(survey.questions[1].options[0], "label", structure.LocalizedText({"en": "Each day"})),
        lambda survey: survey.questions[1].options.append(QuestionOption(kind="option", position=5, code="y",
                                                                          label=structure.LocalizedText({"en": "Y"}))),
        lambda survey: survey.questions[2].conditions.append(Condition(source_question_id=survey.questions[0].id,
                                                                       operator="answered", value="")),
        lambda survey: setattr(survey.questions[0], "required", True),
        lambda survey: setattr(survey.sections[0], "title", structure.LocalizedText({"en": "Part one"})),
    ]
    for change in changes:
        with app.app_context():
            before = db.session.get(Survey, world.id).updated_at
        with app.app_context():
            survey = db.session.get(Survey, world.id)
            change(survey)
            db.session.commit()
        with app.app_context():
            assert db.session.get(Survey, world.id).updated_at > before


def test_the_cache_holds_a_bounded_number_of_surveys(app):
    cache = structure.StructureCache(size=2)
    with app.app_context():
        for survey_id in (1, 2, 3):
            cache.put(structure.Structure(survey_id, None, structure.LocalizedText(), (), (), {}))
    assert len(cache) == 2 and cache.get(1, None) is None and cache.get(3, None) is not None


# --- Queries --------------------------------------------------------------------------------------------


def test_the_answer_page_reads_the_structure_only_after_a_change(app, env, world, readers):
    here, _there = readers
    _page(here, world)
    with counted_queries(app) as warm:
        _page(here, world)
    with counted_queries(app) as again:
        _page(here, world)
    assert len(again) == len(warm)
    assert not any("FROM survey_option" in statement for statement in warm)

    data, stored = _edit_q2(app, env, world, label_en="How often, roughly?")
    edit_question(env, world.id, stored["id"], data)
    with counted_queries(app) as after_edit:
        assert "How often, roughly?" in _page(here, world)
    with counted_queries(app) as settled:
        _page(here, world)
    assert len(after_edit) == len(warm) + 4  # sections, options, conditions, questions: once
    assert len(settled) == len(warm)


def test_a_submission_lets_the_database_check_the_receipt_number(app, world, client_as, monkeypatch):
    """No query looks for the number beforehand; a number already given is drawn again, inside a savepoint."""
    first, second = client_as("participant"), client_as("participant")
    post_form(first, world.url, {f"q{world.q['Q1']}": "yes"}, action="review")
    submit_from_review(first, world)
    taken = response_of(app, world.id).receipt_number
    draws = iter([taken, "7K-QH3M-X9TF"])
    monkeypatch.setattr(answering, "receipt_number", lambda: next(draws))
    post_form(second, world.url, {f"q{world.q['Q1']}": "no"}, action="review")

    with counted_queries(app) as statements:
        submitted = submit_from_review(second, world)

    assert submitted.status_code == 303
    assert not any(statement.lstrip().startswith("SELECT") and "receipt_number =" in statement
                   for statement in statements)
    with app.app_context():
        assert sorted(db.session.scalars(select(Response.receipt_number))) == sorted([taken, "7K-QH3M-X9TF"])
    assert "Your receipt number is 7K-QH3M-X9TF." in text(second.get(world.url + "/receipt"))
