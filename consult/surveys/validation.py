"""Reading answers from a submitted form and checking them, question by question.

The answer form names every field after its question's id: `q12` (texts,
choices, scale, number, date, file input), `q12_other` (the "please specify"
text), `q12_rank1`…`q12_rankN` (ranking), `q12.<row code>` (matrix rows),
`q12_file` (the file already given) and `q12_remove`.

`read_answers` turns the fields into the answer value shapes shared by the whole
application and reports malformed values (a tampered option code, a number out
of range, too many choices…). `missing_parts` adds what only a final
submission demands: the answer is complete. `as_form_data` goes the other way,
so a saved answer can be shown in the form again, or carried in hidden fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.surveys.conditions import is_answered
from consult.surveys.files import CheckedUpload, UploadRefused, check_upload, max_bytes_of
from consult.surveys.models import OptionKind, Question, QuestionType

SHORT_TEXT_LIMIT = 1000
LONG_TEXT_LIMIT = 20000
NUMBER_PATTERN = re.compile(r"^[+-]?\d{1,20}([.,]\d{1,10})?$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YES_NO = ("yes", "no")
# Unicode category Cc (C0 and C1 controls), except tab and line feed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class AnswerProblem(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Reading:
    """Well-formed answers (by question id), a message per malformed answer, and new files to store."""

    values: dict[int, Any] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    uploads: dict[int, CheckedUpload] = field(default_factory=dict)


def field_name(question: Question) -> str:
    return f"q{question.id}"


# --- Settings, read defensively (the builder validates them; old data may not be) ----


def _int_setting(settings: Mapping, key: str, default: int | None) -> int | None:
    value = settings.get(key)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def _decimal_setting(settings: Mapping, key: str) -> Decimal | None:
    value = settings.get(key)
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date_setting(settings: Mapping, key: str) -> date | None:
    value = settings.get(key)
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def text_limit(question: Question) -> int:
    default = LONG_TEXT_LIMIT if question.kind is QuestionType.LONG_TEXT else SHORT_TEXT_LIMIT
    limit = _int_setting(question.settings or {}, "max_length", default)
    return limit if limit and limit > 0 else default


def scale_bounds(question: Question) -> tuple[int, int]:
    settings = question.settings or {}
    low = _int_setting(settings, "min", 1)
    high = _int_setting(settings, "max", 5)
    if low is None or high is None or low >= high:
        return 1, 5
    return low, high


def number_bounds(question: Question) -> tuple[Decimal | None, Decimal | None]:
    settings = question.settings or {}
    return _decimal_setting(settings, "min"), _decimal_setting(settings, "max")


def integer_only(question: Question) -> bool:
    return bool((question.settings or {}).get("integer_only"))


def date_bounds(question: Question) -> tuple[date | None, date | None]:
    settings = question.settings or {}
    return _date_setting(settings, "min"), _date_setting(settings, "max")


def selection_bounds(question: Question) -> tuple[int | None, int | None]:
    settings = question.settings or {}
    return _int_setting(settings, "min_selections", None), _int_setting(settings, "max_selections", None)


def normalise_decimal(number: Decimal) -> str:
    """12.50 -> "12.5", 12.0 -> "12", -0 -> "0"."""
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


# --- Reading one question ------------------------------------------------------


def _codes(question: Question, kind: OptionKind = OptionKind.OPTION) -> list[str]:
    return [option.code for option in question.options_of(kind)]


def _other_code(question: Question) -> str | None:
    return next((o.code for o in question.options_of(OptionKind.OPTION) if o.is_other), None)


def _tampered() -> AnswerProblem:
    return AnswerProblem(_("Choose one of the options offered."))


def _printable(text: str) -> str:
    """Without control characters (PostgreSQL refuses NUL in JSON), keeping line breaks and tabs."""
    return CONTROL_CHARACTERS.sub("", text)


def _read_text(question: Question, form) -> str | None:
    text = _printable((form.get(field_name(question)) or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if question.kind is QuestionType.SHORT_TEXT:
        text = " ".join(text.split())
    if not text:
        return None
    limit = text_limit(question)
    if len(text) > limit:
        raise AnswerProblem(
            _("Write at most %(limit)d characters (you wrote %(count)d).", limit=limit, count=len(text))
        )
    return text


def _other_text(question: Question, form) -> str:
    return " ".join(_printable(form.get(f"{field_name(question)}_other") or "").split())[:SHORT_TEXT_LIMIT]


def _read_single(question: Question, form) -> Any:
    code = form.get(field_name(question)) or ""
    if not code:
        return None
    if code not in _codes(question):
        raise _tampered()
    if code == _other_code(question):
        return {"choice": code, "other": _other_text(question, form)}
    return code


def _read_multiple(question: Question, form) -> Any:
    chosen = set(form.getlist(field_name(question)))
    chosen.discard("")
    if not chosen:
        return None
    codes = _codes(question)
    if not chosen <= set(codes):
        raise _tampered()
    _, most = selection_bounds(question)
    if most is not None and len(chosen) > most:
        raise AnswerProblem(
            ngettext("Choose at most %(num)d option.", "Choose at most %(num)d options.", most)
        )
    ordered = [code for code in codes if code in chosen]
    other = _other_code(question)
    if other is not None and other in chosen:
        return {"choices": ordered, "other": _other_text(question, form)}
    return ordered


def _read_yes_no(question: Question, form) -> str | None:
    answer = form.get(field_name(question)) or ""
    if not answer:
        return None
    if answer not in YES_NO:
        raise AnswerProblem(_("Answer yes or no."))
    return answer


def _read_scale(question: Question, form) -> int | None:
    answer = (form.get(field_name(question)) or "").strip()
    if not answer:
        return None
    low, high = scale_bounds(question)
    if not re.fullmatch(r"-?\d{1,4}", answer) or not low <= int(answer) <= high:
        raise AnswerProblem(_("Choose a value from %(min)d to %(max)d.", min=low, max=high))
    return int(answer)


def _read_number(question: Question, form) -> str | None:
    answer = (form.get(field_name(question)) or "").strip().replace(" ", "").replace("\u00a0", "")
    if not answer:
        return None
    if not NUMBER_PATTERN.match(answer):
        raise AnswerProblem(_("Enter a number, for example 12 or 12.5."))
    number = Decimal(answer.replace(",", "."))
    if integer_only(question) and number != number.to_integral_value():
        raise AnswerProblem(_("Enter a whole number, without decimals."))
    low, high = number_bounds(question)
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            message = _("Enter a number from %(min)s to %(max)s.",
                        min=normalise_decimal(low), max=normalise_decimal(high))
        elif low is not None:
            message = _("Enter a number of at least %(min)s.", min=normalise_decimal(low))
        else:
            message = _("Enter a number of at most %(max)s.", max=normalise_decimal(high))
        raise AnswerProblem(message)
    return normalise_decimal(number)


def _read_date(question: Question, form) -> str | None:
    answer = (form.get(field_name(question)) or "").strip()
    if not answer:
        return None
    try:
        if not DATE_PATTERN.match(answer):
            raise ValueError(answer)
        chosen = date.fromisoformat(answer)
    except ValueError:
        raise AnswerProblem(_("Enter a real date as year-month-day, for example 2025-03-31.")) from None
    low, high = date_bounds(question)
    if (low is not None and chosen < low) or (high is not None and chosen > high):
        if low is not None and high is not None:
            message = _("Enter a date from %(min)s to %(max)s.",
                        min=format_date(low, "long"), max=format_date(high, "long"))
        elif low is not None:
            message = _("Enter a date on or after %(min)s.", min=format_date(low, "long"))
        else:
            message = _("Enter a date on or before %(max)s.", max=format_date(high, "long"))
        raise AnswerProblem(message)
    return chosen.isoformat()


def _read_ranking(question: Question, form) -> list[str] | None:
    options = question.options_of(OptionKind.OPTION)
    codes = [option.code for option in options]
    ranked = [form.get(f"{field_name(question)}_rank{position}") or "" for position in range(1, len(codes) + 1)]
    given = [code for code in ranked if code]
    if not given:
        return None
    if not set(given) <= set(codes):
        raise _tampered()
    repeated = next((code for code in given if given.count(code) > 1), None)
    if repeated is not None:
        label = next(str(option.label) for option in options if option.code == repeated)
        raise AnswerProblem(
            _("Each option can have only one rank: “%(option)s” is ranked more than once.", option=label)
        )
    if len(given) < len(codes):
        left = len(codes) - len(given)
        raise AnswerProblem(
            ngettext(
                "Give every option a rank: %(num)d option has no rank yet.",
                "Give every option a rank: %(num)d options have no rank yet.",
                left,
            )
        )
    return ranked


def matrix_field(question: Question, row_code: str) -> str:
    return f"{field_name(question)}.{row_code}"


def _read_matrix(question: Question, form) -> dict[str, str] | None:
    columns = set(_codes(question, OptionKind.COLUMN))
    answers: dict[str, str] = {}
    for row in question.options_of(OptionKind.ROW):
        column = form.get(matrix_field(question, row.code)) or ""
        if not column:
            continue
        if column not in columns:
            raise AnswerProblem(_("Choose one of the columns offered on each row."))
        answers[row.code] = column
    return answers or None


def _read_file(question: Question, form, files, known_files: Mapping[int, str], reading: Reading) -> Any:
    name = field_name(question)
    upload = files.get(name) if files is not None else None
    if upload is not None and upload.filename:
        checked = check_upload(upload.filename, upload.stream, max_bytes_of(question.settings))
        reading.uploads[question.id] = checked
        return {"file_id": None, "filename": checked.filename}  # the id comes when it is stored
    if form.get(f"{name}_remove"):
        return None
    current = (form.get(f"{name}_file") or "").strip()
    if not current:
        return None
    file_id = int(current) if current.isdigit() else None
    if file_id is None or file_id not in known_files:
        raise AnswerProblem(_("This file is not part of your response. Upload it again."))
    return {"file_id": file_id, "filename": known_files[file_id]}


_READERS = {
    QuestionType.SHORT_TEXT: _read_text,
    QuestionType.LONG_TEXT: _read_text,
    QuestionType.SINGLE_CHOICE: _read_single,
    QuestionType.MULTIPLE_CHOICE: _read_multiple,
    QuestionType.YES_NO: _read_yes_no,
    QuestionType.SCALE: _read_scale,
    QuestionType.NUMBER: _read_number,
    QuestionType.DATE: _read_date,
    QuestionType.RANKING: _read_ranking,
    QuestionType.MATRIX: _read_matrix,
}


def read_answers(
    questions: Iterable[Question],
    form,
    files=None,
    known_files: Mapping[int, Mapping[int, str]] | None = None,
) -> Reading:
    """Every question's answer from the form; questions of other surveys are simply not read.

    `known_files`: {question id: {file id: filename}} of the files already kept with the response.
    """
    if not hasattr(form, "getlist"):
        form = MultiDict(form)
    reading = Reading()
    for question in questions:
        try:
            if question.kind is QuestionType.FILE:
                value = _read_file(question, form, files, (known_files or {}).get(question.id, {}), reading)
            else:
                value = _READERS[question.kind](question, form)
        except (AnswerProblem, UploadRefused) as problem:
            reading.errors[question.id] = problem.message
            continue
        if is_answered(value):
            reading.values[question.id] = value
    return reading


# --- What a final submission also demands --------------------------------------------


def missing_parts(question: Question, value: Any) -> str | None:
    """The message for an answer that is well formed but incomplete, or None."""
    if not is_answered(value):
        return _("Answer this question.") if question.required else None
    kind = question.kind
    if kind is QuestionType.SINGLE_CHOICE and isinstance(value, dict) and not value.get("other"):
        return _("Please say what your other answer is.")
    if kind is QuestionType.MULTIPLE_CHOICE:
        chosen = value["choices"] if isinstance(value, dict) else value
        if isinstance(value, dict) and not value.get("other"):
            return _("Please say what your other answer is.")
        fewest, _most = selection_bounds(question)
        if fewest is not None and len(chosen) < fewest:
            return ngettext("Choose at least %(num)d option.", "Choose at least %(num)d options.", fewest)
    if kind is QuestionType.MATRIX:
        left = len([row for row in question.options_of(OptionKind.ROW) if row.code not in value])
        if left:
            return ngettext(
                "Answer every row: %(num)d row has no answer yet.",
                "Answer every row: %(num)d rows have no answer yet.",
                left,
            )
    return None


# --- Back to form fields ------------------------------------------------------------


def as_form_data(questions: Iterable[Question], values: Mapping[int, Any]) -> dict[str, list[str]]:
    """The form fields that say `values` (by question id): to fill the form or carry hidden fields."""
    data: dict[str, list[str]] = {}
    for question in questions:
        value = values.get(question.id)
        if not is_answered(value):
            continue
        name = field_name(question)
        kind = question.kind
        if kind is QuestionType.SINGLE_CHOICE and isinstance(value, dict):
            data[name] = [str(value.get("choice", ""))]
            data[f"{name}_other"] = [str(value.get("other", ""))]
        elif kind is QuestionType.MULTIPLE_CHOICE:
            chosen = value.get("choices", []) if isinstance(value, dict) else value
            data[name] = [str(code) for code in chosen]
            if isinstance(value, dict):
                data[f"{name}_other"] = [str(value.get("other", ""))]
        elif kind is QuestionType.RANKING and isinstance(value, list):
            for position, code in enumerate(value, start=1):
                data[f"{name}_rank{position}"] = [str(code)]
        elif kind is QuestionType.MATRIX and isinstance(value, dict):
            for row, column in value.items():
                data[matrix_field(question, str(row))] = [str(column)]
        elif kind is QuestionType.FILE and isinstance(value, dict):
            if value.get("file_id") is not None:
                data[f"{name}_file"] = [str(value["file_id"])]
        else:
            data[name] = [str(value)]
    return data
