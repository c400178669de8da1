"""Conditions, tested on random surveys: hidden questions never keep answers, required means visible and required.

The graphs are random but legal: a condition only points to an earlier question.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.surveys import answering
from consult.surveys.conditions import Rule, clean, holds, is_answered, missing_required, visible
from consult.surveys.models import OptionKind, QuestionType

OPTION_CODES = ["a", "b", "c"]
KINDS = ["single_choice", "multiple_choice", "yes_no", "short_text", "number", "ranking", "matrix"]
OPERATORS_BY_KIND = {  # what the builder lets a condition test (consult/surveys/builder_rules.py)
    "single_choice": ["equals", "not_equals", "answered"],
    "yes_no": ["equals", "not_equals", "answered"],
    "multiple_choice": ["equals", "not_equals", "contains", "answered"],
    "short_text": ["equals", "not_equals", "contains", "answered"],
    "number": ["answered"],
    "ranking": ["answered"],
    "matrix": ["answered"],
}

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


def _answer_for(kind: str):
    if kind == "single_choice":
        return st.one_of(st.sampled_from(OPTION_CODES), st.just({"choice": "c", "other": "Something"}))
    if kind == "multiple_choice":
        return st.lists(st.sampled_from(OPTION_CODES), min_size=1, max_size=3, unique=True)
    if kind == "yes_no":
        return st.sampled_from(["yes", "no"])
    if kind == "short_text":
        return st.sampled_from(["a", "B", "abc", "  a ", "Customs office"])
    if kind == "number":
        return st.sampled_from(["0", "12", "12.5", "-3"])
    if kind == "ranking":
        return st.permutations(OPTION_CODES).map(list)
    return st.dictionaries(st.sampled_from(["r1", "r2"]), st.sampled_from(["x", "y"]), min_size=1)


def _value_for(kind: str):
    if kind == "yes_no":
        return st.sampled_from(["yes", "no"])
    if kind == "short_text":
        return st.sampled_from(["a", "abc", "customs"])
    return st.sampled_from(OPTION_CODES)


@st.composite
def surveys(draw, max_questions: int = 9):
    """(order, kinds, rules, required, answers) of a random survey and a random set of answers."""
    size = draw(st.integers(min_value=1, max_value=max_questions))
    order = list(range(1, size + 1))
    kinds = {key: draw(st.sampled_from(KINDS)) for key in order}
    rules: dict[int, list[Rule]] = {}
    for position, key in enumerate(order):
        if position == 0:
            continue
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            source = draw(st.sampled_from(order[:position]))
            operator = draw(st.sampled_from(OPERATORS_BY_KIND[kinds[source]]))
            value = "" if operator == "answered" else draw(_value_for(kinds[source]))
            rules.setdefault(key, []).append(Rule(source, operator, value))
    required = {key for key in order if draw(st.booleans())}
    answers = {}
    for key in order:
        if draw(st.booleans()):
            answers[key] = draw(_answer_for(kinds[key]))
    return order, kinds, rules, required, answers


@PROPERTY_SETTINGS
@given(surveys())
def test_a_hidden_question_never_keeps_an_answer(survey):
    order, _kinds, rules, _required, answers = survey
    kept = clean(order, rules, answers)
    shown_before = visible(order, rules, answers)
    shown_after = visible(order, rules, kept)
    assert set(kept) <= shown_before
    assert set(kept) <= shown_after
    # Whatever is dropped was hidden (or not an answer at all): nothing visible is lost.
    for key, value in answers.items():
        if key in shown_before and is_answered(value):
            assert kept[key] == value


@PROPERTY_SETTINGS
@given(surveys())
def test_cleaning_is_idempotent(survey):
    order, _kinds, rules, _required, answers = survey
    once = clean(order, rules, answers)
    assert clean(order, rules, once) == once
    assert visible(order, rules, once) == visible(order, rules, answers)


@PROPERTY_SETTINGS
@given(surveys(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_answers_arrive_in(survey, rnd):
    order, _kinds, rules, required, answers = survey
    items = list(answers.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    assert visible(order, rules, shuffled) == visible(order, rules, answers)
    assert clean(order, rules, shuffled) == clean(order, rules, answers)
    assert missing_required(order, rules, required, shuffled) == missing_required(order, rules, required, answers)


@PROPERTY_SETTINGS
@given(surveys())
def test_a_question_whose_source_is_hidden_is_hidden(survey):
    order, _kinds, rules, _required, answers = survey
    shown = visible(order, rules, answers)
    for key in shown:
        for rule in rules.get(key, []):
            assert rule.source in shown
            assert holds(rule, answers.get(rule.source))


@PROPERTY_SETTINGS
@given(surveys())
def test_every_visible_required_question_is_demanded_and_no_hidden_one(survey):
    order, _kinds, rules, required, answers = survey
    kept = clean(order, rules, answers)
    missing = missing_required(order, rules, required, kept)
    shown = visible(order, rules, kept)
    for key in order:
        if key in required and key in shown and key not in kept:
            assert key in missing
    for key in missing:
        assert key in shown and key in required and key not in kept


# --- The same properties through the submission check the server uses ------------------------------


def _fake_question(key: int, kind: str, required: bool, rules: list[Rule]):
    """An object shaped like consult.surveys.models.Question, without a database."""
    options = []
    if kind in ("single_choice", "multiple_choice", "ranking"):
        options = [SimpleNamespace(kind="option", code=code, label=code, is_other=(code == "c" and kind !=
                                                                                    "ranking"))
                   for code in OPTION_CODES]
    if kind == "matrix":
        options = [SimpleNamespace(kind="row", code=c, label=c, is_other=False) for c in ("r1", "r2")] + [
            SimpleNamespace(kind="column", code=c, label=c, is_other=False) for c in ("x", "y")]
    return SimpleNamespace(
        id=key,
        kind=QuestionType(kind),
        required=required,
        settings={},
        conditions=[SimpleNamespace(source_question_id=r.source, operator=r.operator, value=r.value) for r in rules],
        options_of=lambda option_kind=OptionKind.OPTION, _options=options: [
            o for o in _options if o.kind == option_kind.value
        ],
    )


@pytest.fixture
def request_context(app):
    with app.test_request_context("/"):
        yield


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(surveys())
def test_the_submission_check_demands_exactly_the_visible_required_questions(request_context, survey):
    order, kinds, rules, required, answers = survey
    questions = [_fake_question(key, kinds[key], key in required, rules.get(key, [])) for key in order]
    kept = clean(order, rules, answers)
    problems = answering.problems_for(questions, kept)
    shown = visible(order, rules, kept)
    assert set(problems) <= shown
    for key in missing_required(order, rules, required, kept):
        assert key in problems
    # Shuffling the answers changes nothing; checking the cleaned answers again changes nothing.
    shuffled = dict(random.Random(len(order)).sample(list(kept.items()), len(kept)))
    assert answering.problems_for(questions, shuffled) == problems


# --- The operators, by example ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "answer", "expected"),
    [
        ("equals", "yes", "yes", True),
        ("equals", "yes", "no", False),
        ("equals", "Customs", "  customs ", True),
        ("equals", "a", ["a"], True),
        ("equals", "a", ["a", "b"], False),
        ("equals", "c", {"choice": "c", "other": "Police"}, True),
        ("not_equals", "yes", "no", True),
        ("not_equals", "yes", "yes", False),
        ("not_equals", "yes", None, False),  # an unanswered question satisfies no condition
        ("contains", "b", ["a", "b"], True),
        ("contains", "c", {"choices": ["a", "c"], "other": "x"}, True),
        ("contains", "port", "Seaport authority", True),
        ("contains", "air", "Seaport authority", False),
        ("answered", "", "", False),
        ("answered", "", [], False),
        ("answered", "", 0, True),
        ("answered", "", {"r1": "x"}, True),
        ("equals", "12", "12.0", True),
    ],
)
def test_each_operator(operator, value, answer, expected):
    assert holds(Rule(1, operator, value), answer) is expected


def test_a_condition_pointing_to_a_later_question_never_holds():
    order = [1, 2]
    rules = {1: [Rule(2, "answered")]}
    assert visible(order, rules, {1: "x", 2: "y"}) == {2}
    assert clean(order, rules, {1: "x", 2: "y"}) == {2: "y"}


def test_a_chain_of_conditions_hides_everything_after_the_first_unmet_one():
    order = [1, 2, 3]
    rules = {2: [Rule(1, "equals", "yes")], 3: [Rule(2, "answered")]}
    assert clean(order, rules, {1: "no", 2: "Kept?", 3: "And this?"}) == {1: "no"}
    assert clean(order, rules, {1: "yes", 2: "Kept", 3: "This too"}) == {1: "yes", 2: "Kept", 3: "This too"}
    assert missing_required(order, rules, {2, 3}, {1: "no"}) == []
    assert missing_required(order, rules, {2, 3}, {1: "yes"}) == [2]
