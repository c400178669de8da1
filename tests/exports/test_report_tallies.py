"""The report read from the survey tallies says exactly what counting every answer says (SQLite and PostgreSQL).

Without filters the report reads the tallies (consult/surveys/tallies.py); with any filter it counts the
answers. Both ways are compared after every step of random stories of submissions, resubmissions,
drafts, withdrawals, deletions and organization changes.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from consult.consultations.queries import consultation_by_slug
from consult.exports.filters import ExportFilters
from consult.exports.report import Scope, build_report, report_surveys
from consult.exports.report_questions import SurveyCounter
from consult.extensions import db
from consult.surveys.json_sql import json_sql_for
from consult.surveys.models import Answer, Response, SurveyTallyState
from consult.surveys.tallies import ensure_tallies
from tests.helpers import counted_queries, create_user
from tests.surveys.tallies_support import Story


def _as_dict(result) -> dict:
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != "question"}


def both_ways(slug: str) -> tuple[list, list]:
    """Every survey's results (comparable form) from the tallies and from the answers."""
    consultation = consultation_by_slug(slug)
    surveys = report_surveys(consultation)
    assert ensure_tallies(s.id for s in surveys)
    scope = Scope(consultation, ExportFilters()).responses()
    sql = json_sql_for(db.session)
    ways = []
    for tallied in (True, False):
        results = [SurveyCounter(s, scope, sql, tallied=tallied).count() for s in surveys]
        ways.append([(r.respondents, r.respondents_by_type, [_as_dict(q) for q in r.questions]) for r in results])
    return ways[0], ways[1]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_tallies_give_the_same_report_as_the_answers(app, seed):
    rng = random.Random(seed)
    with app.test_request_context():
        story = Story(rng)
        for number in range(25):
            story.step(rng)
            from_tallies, from_answers = both_ways(story.slug)
            assert from_tallies == from_answers, (number, story.log)
        assert from_tallies[0][0] > 0  # someone's submission counted at the end


def test_the_report_without_filters_reads_the_tallies(app):
    """The tallies and the scan agree, and the unfiltered report is the one that reads the tallies."""
    rng = random.Random(21)
    with app.test_request_context():
        story = Story(rng)
        for _ in range(6):
            story.submit(rng)
        assert ensure_tallies([story.survey.id])  # what the first report does
    with app.test_request_context(), counted_queries(app) as statements:
        report = build_report(consultation_by_slug(story.slug), ExportFilters())
    assert any("survey_tally" in s for s in statements)
    assert not any("json_each" in s or "jsonb_each" in s for s in statements)  # no answer was expanded
    with app.test_request_context():
        filtered, errors = ExportFilters.from_args({"language": "en"})
        assert not errors
        scanned = build_report(consultation_by_slug(story.slug), filtered)
    assert [_as_dict(q) for q in report.surveys[0].questions] == [_as_dict(q) for q in scanned.surveys[0].questions]


def _report_queries(app, slug: str) -> int:
    with app.test_request_context(), counted_queries(app) as statements:
        build_report(consultation_by_slug(slug), ExportFilters())
    return len(statements)


def test_the_report_needs_the_same_number_of_queries_for_more_responses(app):
    rng = random.Random(31)
    with app.test_request_context():
        story = Story(rng)
        story.submit(rng)
    _report_queries(app, story.slug)  # the first report builds the tallies
    few = _report_queries(app, story.slug)
    with app.test_request_context():
        for _ in range(25):
            story.submit(rng)
    _report_queries(app, story.slug)  # new texts: the campaign groups are worked out again, once
    many = _report_queries(app, story.slug)
    assert few == many


def test_a_survey_loaded_in_bulk_is_counted_on_its_first_report(app):
    """Answers written behind the session's back (a bulk COPY): the first report builds the tallies from them."""
    rng = random.Random(41)
    with app.test_request_context():
        story = Story(rng)
        people = [create_user(organization_id=story.organization_ids[n % 5]) for n in range(6)]
        with db.engine.begin() as connection:
            for number, person in enumerate(people):
                response_id = connection.execute(Response.__table__.insert().values(
                    survey_id=story.survey.id, owner_key=f"bulk:{number}", respondent_id=person.id,
                    organization_id=person.organization_id, status="submitted", version=1, language="en",
                    consent="anonymous")).inserted_primary_key[0]
                values = {"ST": f"Text {number}", "SC": ("air", "sea")[number % 2], "MC": ["post", "air"],
                          "SL": number % 5 + 1, "NB": str(number * 3), "DT": f"2026-02-{number + 1:02d}",
                          "RK": ["risk", "speed", "cost"], "MX": {"r1": "low", "r2": "mid"}}
                connection.execute(Answer.__table__.insert(), [
                    {"response_id": response_id, "question_id": story.survey.question_ids[code], "value": value}
                    for code, value in values.items()])
        assert db.session.get(SurveyTallyState, story.survey.id) is None
        report = build_report(consultation_by_slug(story.slug), ExportFilters())
        assert db.session.get(SurveyTallyState, story.survey.id) is not None
        results = {q.question.code: q for q in report.surveys[0].questions}
        assert report.surveys[0].respondents == 6
        assert results["SC"].answered == 6 and {o.code: o.count for o in results["SC"].options}["air"] == 3
        assert str(results["NB"].summary.median) == "7.50"
        assert (results["DT"].earliest, results["DT"].latest) == ("2026-02-01", "2026-02-06")
        assert [r.label for r in results["RK"].ranking] == ["risk", "speed", "cost"]
        assert results["MX"].matrix_rows == [("r1", [6, 0, 0]), ("r2", [0, 6, 0])]
        assert len(results["ST"].texts) == 6 and results["ST"].listable == 6
        from_tallies, from_answers = both_ways(story.slug)
        assert from_tallies == from_answers
