"""A stored response made readable: which questions its respondent was shown, and each answer in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from consult.surveys.conditions import Rule, is_answered, visible
from consult.surveys.models import (
    OptionKind,
    Question,
    QuestionType,
    UploadedFile,
)


def shown_question_ids(questions: list[Question], values: dict[int, Any]) -> set[int]:
    """The questions the respondent was shown, by the one rule answering applies (consult/surveys/conditions.py)."""
    rules = {
        q.id: [Rule(c.source_question_id, c.operator, c.value) for c in q.conditions] for q in questions
    }
    return set(visible([q.id for q in questions], rules, values))


# --- Answers in words -------------------------------------------------------


@dataclass
class ShownAnswer:
    """What the page shows for one question: `kind` picks the way, the rest fills it."""

    question: Question
    kind: str  # hidden | none | text | lines | list | ordered | matrix | file
    text: str = ""
    items: list[Any] = field(default_factory=list)
    file: UploadedFile | None = None


def _label_of(question: Question, code: Any, kind: OptionKind = OptionKind.OPTION) -> str:
    for option in question.options_of(kind):
        if option.code == code:
            return str(option.label)
    return str(code)  # a code no longer among the options: shown as stored rather than lost


def _with_other(question: Question, code: str, other: str | None) -> str:
    label = _label_of(question, code)
    if other:
        return _("%(option)s: %(text)s", option=label, text=other)
    return label


def _date(value: str) -> str:
    try:
        return format_date(date.fromisoformat(value), "long")
    except (TypeError, ValueError):
        return str(value)


_SHAPES = {
    QuestionType.MULTIPLE_CHOICE: (list, dict),
    QuestionType.RANKING: (list,),
    QuestionType.MATRIX: (dict,),
    QuestionType.FILE: (dict,),
    QuestionType.SINGLE_CHOICE: (str, dict),
}


def _has_shape(kind: QuestionType, value: Any) -> bool:
    return isinstance(value, _SHAPES.get(kind, (object,)))


def describe(question: Question, value: Any, shown: bool, files: dict[int, UploadedFile]) -> ShownAnswer:
    if not shown:
        return ShownAnswer(question, "hidden")
    if not is_answered(value):
        return ShownAnswer(question, "none")
    kind = question.kind
    if not _has_shape(kind, value):  # a value of an unexpected shape is shown as stored rather than lost
        return ShownAnswer(question, "text", text=str(value))
    if kind is QuestionType.LONG_TEXT:
        return ShownAnswer(question, "lines", items=str(value).splitlines())
    if kind is QuestionType.SINGLE_CHOICE:
        if isinstance(value, dict):
            return ShownAnswer(question, "text", text=_with_other(question, value.get("choice"), value.get("other")))
        return ShownAnswer(question, "text", text=_label_of(question, value))
    if kind is QuestionType.MULTIPLE_CHOICE:
        codes, other = (value.get("choices", []), value.get("other")) if isinstance(value, dict) else (value, None)
        items = [_with_other(question, code, other if code == "other" else None) for code in codes]
        return ShownAnswer(question, "list", items=items)
    if kind is QuestionType.YES_NO:
        return ShownAnswer(question, "text", text=_("Yes") if value == "yes" else _("No"))
    if kind is QuestionType.SCALE:
        settings = question.settings or {}
        text = _("%(value)s on a scale from %(min)s to %(max)s", value=value,
                 min=settings.get("min", 1), max=settings.get("max", 5))
        return ShownAnswer(question, "text", text=text)
    if kind is QuestionType.DATE:
        return ShownAnswer(question, "text", text=_date(value))
    if kind is QuestionType.RANKING:
        return ShownAnswer(question, "ordered", items=[_label_of(question, code) for code in value])
    if kind is QuestionType.MATRIX:
        rows = [
            (str(row.label), _label_of(question, value.get(row.code), OptionKind.COLUMN) if value.get(row.code) else "")
            for row in question.options_of(OptionKind.ROW)
        ]
        return ShownAnswer(question, "matrix", items=rows)
    if kind is QuestionType.FILE:
        stored = files.get(value.get("file_id"))
        name = stored.filename if stored else str(value.get("filename", ""))
        return ShownAnswer(question, "file", text=name, file=stored)
    return ShownAnswer(question, "text", text=str(value))


def describe_all(questions: list[Question], values: dict[int, Any], files: dict[int, UploadedFile]
                 ) -> dict[int, ShownAnswer]:
    shown = shown_question_ids(questions, values)
    return {q.id: describe(q, values.get(q.id), q.id in shown, files) for q in questions}
