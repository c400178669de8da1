"""Reading answers from form fields into the shared value shapes, and back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from consult.surveys import answering
from consult.surveys.validation import as_form_data, missing_parts, normalise_decimal, read_answers
from tests.surveys.test_answer_support import EVERY_TYPE, make_world


@pytest.fixture
def survey(app):
    world = make_world(app)
    with app.test_request_context("/"):
        yield answering.load_survey(world.consultation.slug, world.survey.id), world.q


def _read(survey, fields: dict):
    loaded, _ = survey
    return read_answers(loaded.ordered_questions(), MultiDict(fields))


def test_every_type_is_read_into_its_value_shape(survey):
    _, q = survey
    reading = _read(survey, {
        f"q{q['NAME']}": "  Douane   française ",
        f"q{q['VIEW']}": "Line one\r\nLine two",
        f"q{q['ROLE']}": "other", f"q{q['ROLE']}_other": " Police ",
        f"q{q['TOOLS']}": ["b", "a"],
        f"q{q['SEIZE']}": "no",
        f"q{q['RATE']}": "5",
        f"q{q['COUNT']}": "012",
        f"q{q['SINCE']}": "2020-02-29",
        f"q{q['PRIO']}_rank1": "z", f"q{q['PRIO']}_rank2": "x", f"q{q['PRIO']}_rank3": "y",
        f"q{q['GRID']}.r1": "never",
    })
    assert reading.errors == {}
    assert reading.values == {
        q["NAME"]: "Douane française",
        q["VIEW"]: "Line one\nLine two",
        q["ROLE"]: {"choice": "other", "other": "Police"},
        q["TOOLS"]: ["a", "b"],
        q["SEIZE"]: "no",
        q["RATE"]: 5,
        q["COUNT"]: "12",
        q["SINCE"]: "2020-02-29",
        q["PRIO"]: ["z", "x", "y"],
        q["GRID"]: {"r1": "never"},
    }


def test_empty_fields_are_no_answer(survey):
    reading = _read(survey, {})
    assert reading.values == {} and reading.errors == {}


@pytest.mark.parametrize(("entered", "stored"), [("12.50", "12.5"), ("12,5", "12.5"), ("-0", "0"), ("7", "7"),
                                                 ("0.000", "0"), ("1 000", "1000")])
def test_numbers_are_normalised(app, entered, stored):
    world = make_world(app, questions=[{"type": "number", "code": "N", "label": "N"}])
    with app.test_request_context("/"):
        loaded = answering.load_survey(world.consultation.slug, world.survey.id)
        reading = read_answers(loaded.ordered_questions(), MultiDict({f"q{world.q['N']}": entered}))
        assert reading.values == {world.q["N"]: stored}


def test_decimal_normalisation_keeps_the_value():
    assert normalise_decimal(Decimal("1E+3")) == "1000"
    assert normalise_decimal(Decimal("0.10")) == "0.1"


def test_the_final_submission_demands_complete_answers(survey):
    loaded, _ = survey
    by_code = {question.code: question for question in loaded.ordered_questions()}
    assert missing_parts(by_code["NAME"], None) == "Answer this question."
    assert missing_parts(by_code["VIEW"], None) is None
    assert missing_parts(by_code["GRID"], {"r1": "often"}) == "Answer every row: 1 row has no answer yet."
    assert missing_parts(by_code["GRID"], {"r1": "often", "r2": "never"}) is None
    assert missing_parts(by_code["ROLE"], {"choice": "other", "other": ""}) == "Please say what your other answer is."


# --- Round trip: a saved answer shown in the form reads back the same -------------------------------


def _value(spec: dict):
    kind = spec["type"]
    codes = [option[0] for option in spec.get("options", [])]
    if kind in ("short_text", "long_text"):
        return st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]),
                       min_size=1, max_size=40)
    if kind == "single_choice":
        return st.one_of(st.sampled_from(codes), st.builds(lambda t: {"choice": "other", "other": t},
                                                           st.sampled_from(["Police", "Ports"])))
    if kind == "multiple_choice":
        return st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True).map(
            lambda chosen: [code for code in codes if code in chosen])
    if kind == "yes_no":
        return st.sampled_from(["yes", "no"])
    if kind == "scale":
        return st.integers(min_value=1, max_value=5)
    if kind == "number":
        return st.integers(min_value=0, max_value=100000).map(str)
    if kind == "date":
        return st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)).map(lambda d: d.isoformat())
    if kind == "ranking":
        return st.permutations(codes).map(list)
    if kind == "matrix":
        return st.fixed_dictionaries({"r1": st.sampled_from(["never", "often"])},
                                     optional={"r2": st.sampled_from(["never", "often"])})
    return st.nothing()


ROUND_TRIP_SPECS = [spec for spec in EVERY_TYPE if spec["type"] != "file"]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({}, optional={spec["code"]: _value(spec) for spec in ROUND_TRIP_SPECS}))
def test_values_shown_in_the_form_read_back_unchanged(survey, values):
    loaded, q = survey
    by_id = {q[code]: value for code, value in values.items()}
    questions = loaded.ordered_questions()
    text_ids = {q["NAME"], q["VIEW"]}
    # Texts are stored trimmed (and short texts with single spaces): compare with what would have been stored.
    expected = {}
    for qid, value in by_id.items():
        if qid in text_ids:
            value = " ".join(value.split()) if qid == q["NAME"] else value.strip()
            if not value:
                continue
        expected[qid] = value
    reading = read_answers(questions, MultiDict(
        [(name, item) for name, items in as_form_data(questions, expected).items() for item in items]))
    assert reading.errors == {}
    assert reading.values == expected
