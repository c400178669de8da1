"""Which questions a participant is shown, given the answers so far.

Pure functions over plain data (no database, no Flask), so the rules can be
tested on random surveys. Questions are identified by any hashable key.

- A question with conditions is shown only when ALL its conditions hold.
- A condition holds only when its source question is itself shown (so a
  question whose source is hidden is hidden too) and answered in the way the
  condition asks. An unanswered source satisfies no condition, not even
  "is not".
- Conditions point to earlier questions; one that points to a later question
  (or to a question that does not exist) never holds.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

EQUALS = "equals"
NOT_EQUALS = "not_equals"
CONTAINS = "contains"
ANSWERED = "answered"


@dataclass(frozen=True)
class Rule:
    """Show a question only when `source`'s answer satisfies `operator` with `value`."""

    source: Hashable
    operator: str
    value: str = ""


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return True


def _scalar(value: Any) -> str | None:
    """The one comparable text of a single-valued answer (None for list-like answers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, dict):
        if "choice" in value:
            return str(value["choice"])
        if "filename" in value:
            return str(value["filename"])
    return None


def _items(value: Any) -> list[str] | None:
    """The parts of a list-like answer: chosen codes, ranked codes, matrix "row:column" pairs."""
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    if isinstance(value, dict):
        if "choices" in value and isinstance(value["choices"], (list, tuple)):
            return [str(item) for item in value["choices"]]
        if not ({"choice", "filename", "file_id", "other"} & value.keys()):
            return [f"{row}:{column}" for row, column in value.items()]
    return None


def _same(left: str, right: str) -> bool:
    left, right = left.strip(), right.strip()
    if left.casefold() == right.casefold():
        return True
    try:
        return Decimal(left) == Decimal(right)
    except (InvalidOperation, ValueError):
        return False


def _equals(answer: Any, expected: str) -> bool:
    items = _items(answer)
    if items is not None:
        return len(items) == 1 and _same(items[0], expected)
    scalar = _scalar(answer)
    return scalar is not None and _same(scalar, expected)


def _contains(answer: Any, expected: str) -> bool:
    items = _items(answer)
    if items is not None:
        return any(_same(item, expected) for item in items)
    scalar = _scalar(answer)
    if scalar is None or not expected.strip():
        return False
    return expected.strip().casefold() in scalar.casefold()


def holds(rule: Rule, answer: Any) -> bool:
    """Whether `answer` (the source's answer) satisfies `rule`."""
    if not is_answered(answer):
        return False
    if rule.operator == ANSWERED:
        return True
    if rule.operator == EQUALS:
        return _equals(answer, rule.value)
    if rule.operator == NOT_EQUALS:
        return not _equals(answer, rule.value)
    if rule.operator == CONTAINS:
        return _contains(answer, rule.value)
    return False


def visible(order: Sequence[Hashable], rules: Mapping[Hashable, Sequence[Rule]], answers: Mapping[Hashable, Any]):
    """The set of questions shown, walking the survey in order."""
    shown: set[Hashable] = set()
    for key in order:
        if all(rule.source in shown and holds(rule, answers.get(rule.source)) for rule in rules.get(key, ())):
            shown.add(key)
    return shown


def clean(
    order: Sequence[Hashable], rules: Mapping[Hashable, Sequence[Rule]], answers: Mapping[Hashable, Any]
) -> dict[Hashable, Any]:
    """The answers worth keeping: to shown questions of this survey, and actually answered.

    Idempotent: cleaning the result again changes nothing, because a question
    is shown only through the answers of shown questions, which are all kept.
    """
    shown = visible(order, rules, answers)
    return {key: answers[key] for key in order if key in shown and key in answers and is_answered(answers[key])}


def missing_required(
    order: Sequence[Hashable],
    rules: Mapping[Hashable, Sequence[Rule]],
    required: set[Hashable] | frozenset[Hashable],
    answers: Mapping[Hashable, Any],
) -> list[Hashable]:
    """Shown, required questions without an answer, in survey order."""
    shown = visible(order, rules, answers)
    return [key for key in order if key in required and key in shown and not is_answered(answers.get(key))]
