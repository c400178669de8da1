"""The JSON helper reads answers in SQL the same way on SQLite and PostgreSQL (the suite runs on both)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, true

from consult.extensions import db
from consult.surveys.json_sql import JsonSql, json_sql_for
from consult.surveys.models import Answer
from tests.factories import create_consultation
from tests.helpers import create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response

QUESTIONS = [
    {"type": "short_text", "code": "TEXT"},
    {"type": "single_choice", "code": "ONE", "options": ["a", "b"], "other": True},
    {"type": "multiple_choice", "code": "MANY", "options": ["a", "b", "c"], "other": True},
    {"type": "scale", "code": "SCALE"},
    {"type": "number", "code": "NUMBER"},
    {"type": "ranking", "code": "RANK", "options": ["x", "y", "z"]},
    {"type": "matrix", "code": "GRID", "rows": ["r1", "r2"], "columns": ["c1", "c2"]},
]


@pytest.fixture
def answers(app):
    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id, QUESTIONS)
        first, second = create_user().id, create_user().id
        add_response(survey.id, first, "submitted", {
            "TEXT": "Café = 1+1", "ONE": "a", "MANY": ["a", "c"], "SCALE": 4, "NUMBER": "12.5",
            "RANK": ["y", "x", "z"], "GRID": {"r1": "c2", "r2": "c1"},
        })
        add_response(survey.id, second, "submitted", {
            "TEXT": "Ñandú", "ONE": {"choice": "other", "other": "Something else"},
            "MANY": {"choices": ["b", "other"], "other": "Mine"}, "SCALE": 2, "NUMBER": "-3",
            "RANK": ["x", "z", "y"], "GRID": {"r1": "c2", "r2": "c2"},
        })
        return survey.question_ids


def _rows(statement):
    return sorted(tuple(row) for row in db.session.execute(statement).all())


def test_scalars_choices_and_numbers(app, answers):
    with app.app_context():
        sql = json_sql_for(db.session)

        def of(code, expression):
            return sorted(db.session.scalars(select(expression).where(Answer.question_id == answers[code])).all(),
                          key=str)

        assert of("TEXT", sql.scalar_text(Answer.value)) == ["Café = 1+1", "Ñandú"]
        assert of("ONE", sql.choice_code(Answer.value)) == ["a", "other"]
        assert of("SCALE", sql.scalar_text(Answer.value)) == ["2", "4"]
        assert [Decimal(str(v)) for v in of("NUMBER", sql.number(Answer.value))] == [Decimal("-3"), Decimal("12.5")]
        # Lists and objects are not scalars: no text, no number.
        assert of("MANY", sql.scalar_text(Answer.value)) == [None, None]
        assert of("GRID", sql.number(Answer.value)) == [None, None]
        assert of("ONE", sql.field_text(Answer.value, "other")) == [None, "Something else"]


def test_lists_expand_into_rows_with_their_place(app, answers):
    with app.app_context():
        sql = json_sql_for(db.session)
        many = sql.array_elements(Answer.value, "choices")
        assert _rows(
            select(many.item).select_from(Answer).join(many.table, true()).where(Answer.question_id == answers["MANY"])
        ) == [("a",), ("b",), ("c",), ("other",)]
        rank = sql.array_elements(Answer.value)
        assert _rows(
            select(rank.item, rank.place).select_from(Answer).join(rank.table, true())
            .where(Answer.question_id == answers["RANK"])
        ) == [("x", 1), ("x", 2), ("y", 1), ("y", 3), ("z", 2), ("z", 3)]


def test_objects_expand_into_entries(app, answers):
    with app.app_context():
        sql = json_sql_for(db.session)
        grid = sql.object_entries(Answer.value)
        assert _rows(
            select(grid.key, grid.item).select_from(Answer).join(grid.table, true())
            .where(Answer.question_id == answers["GRID"])
        ) == [("r1", "c2"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")]


def test_values_of_another_shape_expand_to_nothing(app, answers):
    """A text answer is neither a list nor an object: no rows and, on PostgreSQL, no error either."""
    with app.app_context():
        sql = json_sql_for(db.session)
        items = sql.array_elements(Answer.value, "choices")
        entries = sql.object_entries(Answer.value)
        for expansion in (items, entries):
            statement = (select(Answer.id).select_from(Answer).join(expansion.table, true())
                         .where(Answer.question_id.in_([answers["TEXT"], answers["SCALE"], answers["NUMBER"]])))
            assert db.session.execute(statement).all() == []


def test_unknown_dialect_is_refused():
    with pytest.raises(ValueError):
        JsonSql("mysql")
