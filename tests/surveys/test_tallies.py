"""The survey tallies stay equal to a count made from scratch, whatever people do (SQLite and PostgreSQL)."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from consult.extensions import db
from consult.surveys.json_sql import json_sql_for
from consult.surveys.models import Answer, Response, SurveyRespondentTally, SurveyTally
from consult.surveys.tallies import (
    answer_contributions,
    ensure_tallies,
    rebuild_tallies,
    respondent_contributions,
    retally,
)
from tests.helpers import counted_queries, create_user
from tests.surveys.tallies_support import Story, tallies_built


def kept(survey_id: int) -> tuple[dict, dict]:
    answers = {(q, k, t): n for q, k, t, n in db.session.execute(
        select(SurveyTally.question_id, SurveyTally.key, SurveyTally.stakeholder_type, SurveyTally.count)
        .where(SurveyTally.survey_id == survey_id, SurveyTally.count != 0))}
    respondents = dict(db.session.execute(
        select(SurveyRespondentTally.stakeholder_type, SurveyRespondentTally.count)
        .where(SurveyRespondentTally.survey_id == survey_id, SurveyRespondentTally.count != 0)).all())
    return answers, respondents


def counted_now(survey_id: int) -> tuple[dict, dict]:
    condition = Response.survey_id == survey_id
    answers = {(q, k, t): n for _s, q, k, t, n in db.session.execute(
        answer_contributions(json_sql_for(db.session), condition))}
    respondents = {t: n for _s, t, n in db.session.execute(respondent_contributions(condition))}
    return answers, respondents


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_tallies_follow_every_change_people_make(app, seed):
    rng = random.Random(seed)
    with app.test_request_context():
        story = Story(rng)
        assert ensure_tallies([story.survey.id])
        for number in range(30):
            action = story.step(rng)
            if not tallies_built(story.survey.id):
                assert action == "bulk_withdraw"  # only a bulk statement forgets them…
                assert ensure_tallies([story.survey.id])  # …and the next report builds them again
            assert kept(story.survey.id) == counted_now(story.survey.id), (number, story.log)
        answers, respondents = kept(story.survey.id)
        assert respondents and any(key.startswith("m:") for _q, key, _t in answers)  # the story did count things


def test_saving_a_draft_costs_no_tally_query(app):
    rng = random.Random(5)
    with app.test_request_context():
        story = Story(rng)
        user_id = story.user_ids[0]
    with app.test_request_context(), counted_queries(app) as statements:
        from consult.directory.models import User
        from consult.surveys import answering

        survey = answering.load_survey(story.slug, story.survey.id)
        user = db.session.get(User, user_id)
        answering.save_draft(survey, user, None, answering.Cleaned(values=story._values(rng), errors={}), 0, "en")
    assert not [s for s in statements if "survey_tally" in s or "survey_respondent_tally" in s]


def test_rebuilding_counts_answers_written_behind_the_orm(app):
    """Rows written without the session (as a bulk COPY does) are counted once the tallies are rebuilt."""
    rng = random.Random(6)
    with app.test_request_context():
        story = Story(rng)
        ensure_tallies([story.survey.id])
        people = [create_user(organization_id=story.organization_ids[n % 5]) for n in range(4)]
        with db.engine.begin() as connection:  # outside the session: no hook sees these
            for number, person in enumerate(people):
                response_id = connection.execute(Response.__table__.insert().values(
                    survey_id=story.survey.id, owner_key=f"bulk:{number}", respondent_id=person.id,
                    organization_id=person.organization_id, status="submitted", version=1, language="en",
                    consent="named")).inserted_primary_key[0]
                connection.execute(Answer.__table__.insert(), [
                    {"response_id": response_id, "question_id": story.survey.question_ids[code], "value": value}
                    for code, value in (("SC", "air"), ("NB", "12"), ("MX", {"r1": "low", "r2": "high"}))])
        db.session.expire_all()
        assert kept(story.survey.id) != counted_now(story.survey.id)
        rebuild_tallies(story.survey.id)
        db.session.commit()
        assert kept(story.survey.id) == counted_now(story.survey.id)
        assert kept(story.survey.id)[1] == dict.fromkeys(("customs", "rights_holder", "intermediary", "other"), 1)


def test_the_retally_command_rebuilds(app):
    with app.test_request_context():
        story = Story(random.Random(7))
        for _ in range(4):
            story.submit(random.Random(8))
        db.session.execute(SurveyTally.__table__.delete())
        db.session.commit()
        assert kept(story.survey.id)[0] == {}
    runner = CliRunner()
    with app.app_context():
        result = runner.invoke(retally, ["--survey", str(story.survey.id)])
        assert result.exit_code == 0, result.output
        assert "1 survey" in result.output
        assert kept(story.survey.id) == counted_now(story.survey.id)
        assert runner.invoke(retally, ["--survey", "999999"]).exit_code != 0
        assert runner.invoke(retally, []).exit_code == 0


def _submitted_response(story: Story, user_id: int, answers: dict) -> Response:
    from consult.directory.models import User

    user = db.session.get(User, user_id)
    response = Response(survey_id=story.survey.id, owner_key=f"user:{user.id}", respondent_id=user.id,
                        organization_id=user.organization_id, status="submitted", consent="named")
    response.answers = [Answer(question_id=story.survey.question_ids[code], value=value)
                        for code, value in answers.items()]
    db.session.add(response)
    return response


def test_a_rolled_back_transaction_or_savepoint_leaves_no_count_behind(app):
    with app.test_request_context():
        story = Story(random.Random(9))
        assert ensure_tallies([story.survey.id])
        _submitted_response(story, story.user_ids[0], {"SC": "air", "NB": "4"})
        db.session.flush()
        db.session.rollback()
        assert kept(story.survey.id) == counted_now(story.survey.id) == ({}, {})

        kept_response = _submitted_response(story, story.user_ids[1], {"SC": "sea"})
        db.session.flush()
        try:
            with db.session.begin_nested():
                _submitted_response(story, story.user_ids[2], {"SC": "post", "YN": "yes"})
                db.session.flush()
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        with db.session.begin_nested():
            kept_response.answers[0].value = "post"
        db.session.commit()
        answers, respondents = kept(story.survey.id)
        assert answers == counted_now(story.survey.id)[0]
        assert sum(respondents.values()) == 1
        assert {key for _q, key, _t in answers} == {"answered", "o:post"}
