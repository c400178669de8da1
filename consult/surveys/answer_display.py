"""Answers and conditions as a reader sees them, in the reader's language.

Used by the review page, the receipt and its printable copy, the read-only
view of a closed draft and the side-by-side view of a conflicting save.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.i18n import LocalizedText
from consult.surveys.conditions import is_answered
from consult.surveys.models import ConditionOperator, OptionKind, Question, QuestionType
from consult.surveys.validation import scale_bounds


@dataclass
class Shown:
    """One answer ready for a template: `kind` says how to lay it out."""

    kind: str  # "none", "text", "long_text", "list", "ranking", "matrix", "file"
    text: str = ""
    items: list[Any] = field(default_factory=list)
    file_id: int | None = None

    @property
    def answered(self) -> bool:
        return self.kind != "none"

    def as_plain_text(self) -> str:
        """One string, for emails and for comparing two versions."""
        if self.kind == "none":
            return _("Not answered")
        if self.kind in ("list", "ranking"):
            return "; ".join(self.items) + (f" — {self.text}" if self.text else "")
        if self.kind == "matrix":
            return "; ".join(f"{row}: {column}" for row, column in self.items)
        return self.text


def _label(question: Question, code: str, kind: OptionKind = OptionKind.OPTION) -> str:
    for option in question.options_of(kind):
        if option.code == code:
            return str(option.label)
    return code


def yes_no_text(value: str) -> str:
    if value == "yes":
        return _("Yes")
    return _("No") if value == "no" else value


def show_answer(question: Question, value: Any) -> Shown:
    if not is_answered(value):
        return Shown("none")
    kind = question.kind
    try:
        if kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            return Shown("long_text" if kind is QuestionType.LONG_TEXT else "text", text=str(value))
        if kind is QuestionType.SINGLE_CHOICE:
            if isinstance(value, dict):
                return Shown("text", text=_other_text(question, value.get("choice", ""), value.get("other", "")))
            return Shown("text", text=_label(question, value))
        if kind is QuestionType.MULTIPLE_CHOICE:
            codes = value.get("choices", []) if isinstance(value, dict) else value
            other = value.get("other", "") if isinstance(value, dict) else ""
            items = [_other_text(question, c, other) if _is_other(question, c) else _label(question, c) for c in codes]
            return Shown("list", items=items)
        if kind is QuestionType.YES_NO:
            return Shown("text", text=yes_no_text(value))
        if kind is QuestionType.SCALE:
            low, high = scale_bounds(question)
            return Shown("text", text=_("%(value)s on a scale from %(min)s to %(max)s", value=value, min=low, max=high))
        if kind is QuestionType.NUMBER:
            return Shown("text", text=format_decimal(Decimal(str(value))))
        if kind is QuestionType.DATE:
            return Shown("text", text=format_date(date.fromisoformat(value), "long"))
        if kind is QuestionType.RANKING:
            return Shown("ranking", items=[_label(question, code) for code in value])
        if kind is QuestionType.MATRIX:
            rows = [(row.code, str(row.label)) for row in question.options_of(OptionKind.ROW)]
            items = [(label, _label(question, value[code], OptionKind.COLUMN)) for code, label in rows if code in value]
            return Shown("matrix", items=items)
        if kind is QuestionType.FILE:
            return Shown("file", text=str(value.get("filename", "")), file_id=value.get("file_id"))
    except (AttributeError, KeyError, TypeError, ValueError, InvalidOperation):
        pass
    return Shown("text", text=str(value))


def _is_other(question: Question, code: str) -> bool:
    return any(o.code == code and o.is_other for o in question.options_of(OptionKind.OPTION))


def _other_text(question: Question, code: str, other: str) -> str:
    label = _label(question, code)
    return _("%(option)s: %(text)s", option=label, text=other) if other else label


def _condition_value(source: Question, value: str) -> str:
    kind = source.kind
    if kind is QuestionType.YES_NO:
        return yes_no_text(value)
    if kind is QuestionType.MATRIX and ":" in value:
        row, column = value.split(":", 1)
        return _("%(row)s: %(column)s", row=_label(source, row, OptionKind.ROW),
                 column=_label(source, column, OptionKind.COLUMN))
    if kind.has_options:
        return _label(source, value)
    return value


def condition_notes(question: Question, questions_by_id: dict[int, Question]) -> list[str]:
    """One sentence per condition, for readers without JavaScript: all of them must apply."""
    notes = []
    for condition in question.conditions:
        source = questions_by_id.get(condition.source_question_id)
        if source is None:
            continue
        label = str(source.label)
        value = _condition_value(source, condition.value)
        operator = condition.operator
        if operator == ConditionOperator.EQUALS.value:
            notes.append(_("Answer this only if your answer to “%(question)s” is “%(value)s”.",
                           question=label, value=value))
        elif operator == ConditionOperator.NOT_EQUALS.value:
            notes.append(_("Answer this only if you answered “%(question)s” with something other than “%(value)s”.",
                           question=label, value=value))
        elif operator == ConditionOperator.CONTAINS.value:
            notes.append(_("Answer this only if your answer to “%(question)s” includes “%(value)s”.",
                           question=label, value=value))
        else:
            notes.append(_("Answer this only if you answered “%(question)s”.", question=label))
    return notes


# --- The answer form -----------------------------------------------------------------------


QUESTION_FIELD = re.compile(r"q(\d+)(?:$|[_.])")


class FormState:
    """The form fields to show: what the person sent, or what is saved."""

    def __init__(self, data):
        self.data = data if isinstance(data, MultiDict) else MultiDict(
            [(name, value) for name, values in data.items() for value in values]
        )

    def value(self, name: str) -> str:
        return self.data.get(name, "")

    def has(self, name: str, value: Any) -> bool:
        return str(value) in self.data.getlist(name)

    def values(self, name: str) -> list[str]:
        """Every value sent under `name` (the options chosen)."""
        return self.data.getlist(name)

    def question_ids(self) -> set[int]:
        """The questions something was entered for (fields q12, q12_other, q12_rank1, q12.row…)."""
        found = (QUESTION_FIELD.match(name) for name in self.data)
        return {int(match.group(1)) for match in found if match}

    def items(self) -> list[tuple[str, str]]:
        return list(self.data.items(multi=True))


def end_label(question, key: str) -> str:
    """A scale's end label ({locale: text} in the settings) in the reader's language, or the original."""
    texts = (question.settings or {}).get(key)
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict):
        return ""
    return LocalizedText({k: v for k, v in texts.items() if isinstance(v, str)}, question.label.original).render().text


def show_if(question) -> list[dict]:
    """The question's conditions for the script that hides and shows questions as people answer."""
    return [
        {"source": f"q{c.source_question_id}", "operator": c.operator, "value": c.value}
        for c in question.conditions
    ]
