"""The report's figures for a small known data set, on whichever database the suite runs (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consult.consultations.queries import consultation_by_slug
from consult.exports.filters import ExportFilters
from consult.exports.report import build_report
from tests.exports.report_support import surveyed_consultation


@pytest.fixture
def data(app):
    with app.app_context():
        return surveyed_consultation()


def _report(app, slug, args=None):
    with app.test_request_context():
        consultation = consultation_by_slug(slug)
        filters, errors = ExportFilters.from_args(args or {})
        assert not errors
        report = build_report(consultation, filters)
        (survey,) = report.surveys
        return report, {q.question.code: q for q in survey.questions}, survey


def _counts(result):
    return {o.code: o.count for o in result.options}


def _shares(result):
    return {o.code: round(o.share, 4) for o in result.options}


def test_choice_counts_and_percentages(app, data):
    _, questions, survey = _report(app, data.slug)
    assert survey.respondents == 4  # the draft does not count
    one = questions["ONE"]
    assert one.answered == 4
    assert _counts(one) == {"a": 2, "b": 1, "c": 0, "other": 1}
    assert _shares(one) == {"a": 0.5, "b": 0.25, "c": 0.0, "other": 0.25}
    assert [o.label for o in one.options] == ["Alpha", "Bêta", "Gamma", "Other"]
    yes_no = questions["YN"]
    assert _counts(yes_no) == {"yes": 3, "no": 1}
    assert [o.label for o in yes_no.options] == ["Yes", "No"]


def test_multiple_choice_lists_are_expanded(app, data):
    _, questions, _survey = _report(app, data.slug)
    many = questions["MANY"]
    assert many.answered == 3
    assert _counts(many) == {"x": 2, "y": 2, "z": 0, "other": 1}
    assert _shares(many) == {"x": 0.6667, "y": 0.6667, "z": 0.0, "other": 0.3333}
    assert many.option_by_type["x"] == {"customs": 2}
    assert many.option_by_type["y"] == {"customs": 1, "rights_holder": 1}


def test_breakdown_by_stakeholder_type(app, data):
    _, questions, survey = _report(app, data.slug)
    assert survey.respondents_by_type == {"customs": 2, "rights_holder": 1, "intermediary": 1}
    assert survey.type_keys == ["customs", "rights_holder", "intermediary"]
    one = questions["ONE"]
    assert one.option_by_type == {"a": {"customs": 2}, "b": {"rights_holder": 1}, "other": {"intermediary": 1}}
    assert one.answered_by_type == {"customs": 2, "rights_holder": 1, "intermediary": 1}


def test_scale_and_number_average_and_median(app, data):
    _, questions, _survey = _report(app, data.slug)
    scale = questions["SCALE"]
    assert _counts(scale) == {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1}
    assert (scale.summary.count, scale.summary.average, scale.summary.median) == (4, Decimal("3.25"), Decimal("3.5"))
    assert (scale.summary.minimum, scale.summary.maximum) == (1, 5)
    assert scale.summary_by_type["customs"].average == Decimal("4.5")
    assert scale.summary_by_type["customs"].median == Decimal("4.5")
    assert scale.summary_by_type["intermediary"].median == 3
    number = questions["NUM"]
    # 10, 2.5, -1 and 4: the mean 3.875 shown to two places, the median between 2.5 and 4.
    assert (number.summary.count, number.summary.average, number.summary.median) == (4, Decimal("3.88"),
                                                                                     Decimal("3.25"))
    assert (number.summary.minimum, number.summary.maximum) == (-1, 10)


def test_filtered_medians_odd_and_even(app, data):
    _, questions, _survey = _report(app, data.slug, {"group": str(data.groups[0])})
    # Group One: A, B and C answered 10, 2.5 and -1 (scale 5, 4 and 1): the middle values.
    assert questions["NUM"].summary.count == 3
    assert questions["NUM"].summary.median == Decimal("2.5")
    assert questions["SCALE"].summary.median == 4
    _, questions, _survey = _report(app, data.slug, {"stakeholder_type": "customs"})
    assert questions["NUM"].summary.median == Decimal("6.25")  # between 2.5 and 10
    _, questions, _survey = _report(app, data.slug, {"country": "FR"})
    assert questions["SCALE"].summary.median == 3  # between 1 and 5


def test_rankings_matrices_and_dates(app, data):
    _, questions, _survey = _report(app, data.slug)
    ranking = {row.label: (row.average_place, row.first_places) for row in questions["RANK"].ranking}
    assert ranking == {"p": (Decimal("1.33"), 2), "q": (Decimal("2"), 1), "r": (Decimal("2.67"), 0)}
    assert [row.label for row in questions["RANK"].ranking] == ["p", "q", "r"]  # best average place first
    grid = questions["GRID"]
    assert grid.matrix_columns == ["c1", "c2"]
    assert grid.matrix_rows == [("r1", [2, 0]), ("r2", [1, 1])]
    assert (questions["WHEN"].earliest, questions["WHEN"].latest) == ("2026-01-05", "2026-01-05")


def test_free_text_respects_consent_but_counts_everyone(app, data):
    _, questions, _survey = _report(app, data.slug)
    text = questions["TEXT"]
    assert text.answered == 3  # "do not publish" still counts
    assert text.listable == 2
    assert [(t.text, t.stakeholder_type, t.country) for t in text.texts] == [
        ("Café au lait", "Customs administration", "France"),
        ("=1+1 anonymous", "Rights holder", "France"),
    ]
    others = questions["ONE"].texts
    assert [t.text for t in others] == ["Mixed"]
    assert [t.text for t in questions["MANY"].texts] == ["Drones"]


def test_participation_rates_and_days(app, data):
    report, _questions, _survey = _report(app, data.slug)
    taking_part = report.participation
    assert {t.label: (t.responses, t.comments) for t in taking_part.by_type} == {
        "Customs administration": (2, 1), "Rights holder": (1, 1), "Intermediary": (1, 0),
    }
    assert {t.label: (t.responses, t.comments) for t in taking_part.by_country} == {
        "France": (2, 2), "Spain": (1, 0), "Peru": (1, 0),
    }
    by_group = {t.label: (t.responses, t.comments) for t in taking_part.by_group}
    assert by_group["Group One"] == (3, 2)
    assert by_group["Group Two"] == (2, 1)
    rates = {r.label: (r.responded, r.organizations) for r in taking_part.rates}
    assert rates["Group One"] == (3, 3)
    assert rates["Group Two"] == (2, 3)  # E only has a draft
    assert sum(d.responses for d in taking_part.days) == 4
    assert sum(d.comments for d in taking_part.days) == 2  # the withdrawn comment does not count


def test_comments_per_document_general_discussion(app, data):
    report, _questions, _survey = _report(app, data.slug)
    general = report.documents[0]
    assert general.document is None
    assert general.total == 2
    assert general.by_type == [("General", 2)]
    assert general.by_stakeholder == [("Customs administration", 1), ("Rights holder", 1)]


def test_status_filter_counts_drafts_instead(app, data):
    _, questions, survey = _report(app, data.slug, {"status": "draft"})
    assert survey.respondents == 1
    assert _counts(questions["ONE"]) == {"a": 0, "b": 0, "c": 1, "other": 0}
