"""The builder's rules, without the database: codes, texts, settings per question type, option lists and
conditions. The builder service (forms) and the JSON import both check a question through `check_question`.

Errors are keyed by a path inside the question ("code", "label", "settings.max", "options[2].code"), so the web
form can put each next to its field and the import can prefix it with where the question sits in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from consult.i18n import LOCALES, language_name
from consult.surveys.models import ConditionOperator, QuestionType

QUESTION_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
OPTION_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
OTHER_CODE = "other"  # the code of the "Other, please specify" option, as answers store it
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MAX_TITLE = 300
MAX_INTRO = 10_000
MAX_LABEL = 1000
MAX_HELP = 2000
MAX_CHOICE_LABEL = 500
MAX_END_LABEL = 100
MAX_CONDITION_VALUE = 200  # the column's size
MAX_CHOICES = 200
MAX_DECIMAL_DIGITS = 30

TEXT_LIMITS = {QuestionType.SHORT_TEXT: (500, 1000), QuestionType.LONG_TEXT: (5000, 50_000)}  # default, largest
SCALE_SIZES = (5, 10)
MEGABYTE = 1024 * 1024
DEFAULT_FILE_BYTES = 10 * MEGABYTE
MAX_FILE_BYTES = 15 * MEGABYTE  # below the request size limit, with room for the rest of the form
CHOICE_KINDS = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
TEXT_KINDS = (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)
CHOICE_LISTS = ("options", "rows", "columns")


class InvalidInput(Exception):
    """Input a person must correct; `errors` maps a field (or path) to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class Refused(Exception):
    """An action the survey's state does not allow; the message says why and lists what is in the way."""


@dataclass
class ChoiceSpec:
    """An option, a matrix row or a matrix column as entered; `existing_id` ties it to a stored one."""

    code: str
    label: dict[str, str]
    is_other: bool = False
    existing_id: int | None = None


@dataclass
class QuestionSpec:
    code: str
    question_type: str
    label: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    required: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    options: list[ChoiceSpec] = field(default_factory=list)
    rows: list[ChoiceSpec] = field(default_factory=list)
    columns: list[ChoiceSpec] = field(default_factory=list)

    @property
    def kind(self) -> QuestionType:
        return QuestionType(self.question_type)

    def choices(self, name: str) -> list[ChoiceSpec]:
        return getattr(self, name)


# --- Texts ---------------------------------------------------------------------


def clean_texts(texts: dict[str, str], multiline: bool = False) -> dict[str, str]:
    """Known languages only, trimmed (one line unless `multiline`), empty ones dropped."""
    cleaned = {}
    for code in LOCALES:
        value = texts.get(code) or ""
        value = value.strip() if multiline else " ".join(value.split())
        if value:
            cleaned[code] = value
    return cleaned


def check_texts(
    errors: dict[str, str], key: str, texts: dict[str, str], limit: int, original: str | None = None
) -> None:
    """Each text at most `limit` characters; the original language's text present when `original` is given."""
    for code, value in texts.items():
        if len(value) > limit:
            errors.setdefault(
                f"{key}.{code}",
                _("The text in %(language)s can have at most %(count)d characters.",
                  language=language_name(code), count=limit),
            )
    if original is not None and not texts.get(original):
        errors.setdefault(key, _("Enter it in %(language)s, the survey's original language.",
                                 language=language_name(original)))


# --- Codes -------------------------------------------------------------------------


def next_code(prefix: str, taken: set[str]) -> str:
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


CHOICE_PREFIXES = {"options": "o", "rows": "r", "columns": "c"}


def fill_codes(spec: QuestionSpec, taken_question_codes: set[str]) -> None:
    """Give a code to the question and each choice left without one (Q1…, o1…, r1…, c1…)."""
    spec.code = spec.code.strip()
    if not spec.code:
        spec.code = next_code("Q", taken_question_codes)
    for name, prefix in CHOICE_PREFIXES.items():
        choices = spec.choices(name)
        taken = {choice.code.strip() for choice in choices if choice.code.strip()}
        for choice in choices:
            choice.code = choice.code.strip()
            if not choice.code:
                choice.code = next_code(prefix, taken)
                taken.add(choice.code)


# --- Questions ------------------------------------------------------------------


def check_question(spec: QuestionSpec, original: str, taken_codes: set[str]) -> dict[str, str]:
    """Validate a question, cleaning its texts and settings in place; `taken_codes` are the other questions'."""
    errors: dict[str, str] = {}
    if not QUESTION_CODE.match(spec.code or ""):
        errors["code"] = _("A code has 1 to 32 letters, digits, hyphens or underscores, without spaces.")
    elif spec.code in taken_codes:
        errors["code"] = _("Another question of this survey already has the code %(code)s.", code=spec.code)
    if spec.question_type not in {kind.value for kind in QuestionType}:
        errors["question_type"] = _("Choose a question type from the list.")
        return errors
    spec.label = clean_texts(spec.label, multiline=True)
    spec.help = clean_texts(spec.help, multiline=True)
    check_texts(errors, "label", spec.label, MAX_LABEL, original)
    check_texts(errors, "help", spec.help, MAX_HELP)
    for name in CHOICE_LISTS:
        _check_choices(errors, spec, name, original)
    _check_choice_counts(errors, spec)
    settings, setting_errors = check_settings(spec.kind, spec.settings, len(spec.options), original)
    spec.settings = settings
    errors.update({f"settings.{key}" if key else "settings": message for key, message in setting_errors.items()})
    return errors


def expected_lists(kind: QuestionType) -> tuple[str, ...]:
    if kind is QuestionType.MATRIX:
        return ("rows", "columns")
    return ("options",) if kind.has_options else ()


def _check_choices(errors: dict[str, str], spec: QuestionSpec, name: str, original: str) -> None:
    choices = spec.choices(name)
    if not choices:
        return
    if name not in expected_lists(spec.kind):
        errors[name] = _("A question of type “%(type)s” has no such list.", type=spec.kind.label)
        return
    if len(choices) > MAX_CHOICES:
        errors[name] = _("A list can have at most %(count)d entries.", count=MAX_CHOICES)
        return
    seen: set[str] = set()
    for index, choice in enumerate(choices):
        path = f"{name}[{index}]"
        choice.label = clean_texts(choice.label)
        if choice.is_other:
            _check_other(errors, spec, name, index, path)
        elif not OPTION_CODE.match(choice.code or ""):
            errors[f"{path}.code"] = _("A code has 1 to 64 letters, digits, hyphens or underscores, without spaces.")
        elif choice.code == OTHER_CODE and name == "options":
            errors[f"{path}.code"] = _("The code “other” is kept for the “Other, please specify” choice.")
        elif choice.code in seen:
            errors[f"{path}.code"] = _("The code %(code)s is used twice in this list.", code=choice.code)
        seen.add(choice.code)
        check_texts(errors, f"{path}.label", choice.label, MAX_CHOICE_LABEL, original)


def _check_other(errors: dict[str, str], spec: QuestionSpec, name: str, index: int, path: str) -> None:
    choice = spec.choices(name)[index]
    if name != "options" or spec.kind not in CHOICE_KINDS:
        errors[f"{path}.other"] = _("Only single and multiple choice questions can offer “Other, please specify”.")
    elif choice.code != OTHER_CODE:
        errors[f"{path}.code"] = _("The “Other, please specify” choice has the code “other”.")
    elif index != len(spec.options) - 1:
        errors[f"{path}.other"] = _("“Other, please specify” comes last in the list.")


def _check_choice_counts(errors: dict[str, str], spec: QuestionSpec) -> None:
    regular = [choice for choice in spec.options if not choice.is_other]
    kind = spec.kind
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.RANKING) and len(regular) < 2:
        errors.setdefault("options", _("Give at least two choices."))
    elif kind is QuestionType.MULTIPLE_CHOICE and not regular:
        errors.setdefault("options", _("Give at least one choice."))
    elif kind is QuestionType.MATRIX:
        if not spec.rows:
            errors.setdefault("rows", _("Give at least one row."))
        if len(spec.columns) < 2:
            errors.setdefault("columns", _("Give at least two columns."))


# --- Settings ----------------------------------------------------------------------


def default_settings(kind: QuestionType) -> dict[str, Any]:
    return check_settings(kind, {}, 0, None)[0]


def check_settings(
    kind: QuestionType, raw: Any, choice_count: int, original: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings of a question of `kind`, complete and normalised, and the problems keyed by setting name."""
    errors: dict[str, str] = {}
    if not isinstance(raw, dict):
        return {}, {"": _("Settings are a JSON object.")}
    checker = _SETTINGS_CHECKERS.get(kind)
    allowed = _SETTING_KEYS.get(kind, ())
    for key in raw:
        if key not in allowed:
            errors[str(key)] = _("A question of type “%(type)s” has no setting “%(name)s”.",
                                 type=kind.label, name=key)
    settings = checker(raw, errors, choice_count, original) if checker else {}
    return settings, errors


def _integer(raw: dict, key: str, errors: dict[str, str], low: int, high: int, default: int | None) -> int | None:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        errors[key] = _("Enter a whole number.")
        return default
    if not low <= value <= high:
        errors[key] = _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        return default
    return value


def _text_settings(kind: QuestionType):
    def check(raw, errors, choice_count, original):
        default, largest = TEXT_LIMITS[kind]
        return {"max_length": _integer(raw, "max_length", errors, 1, largest, default)}

    return check


def _single_choice_settings(raw, errors, choice_count, original):
    display = raw.get("display", "radio")
    if display not in ("radio", "dropdown"):
        errors["display"] = _("Choose radio buttons or a drop-down list.")
        display = "radio"
    return {"display": display}


def _multiple_choice_settings(raw, errors, choice_count, original):
    low = _integer(raw, "min_selections", errors, 0, MAX_CHOICES, 0)
    high = _integer(raw, "max_selections", errors, 1, MAX_CHOICES, None)
    if choice_count and low > choice_count:
        errors.setdefault("min_selections", _("There are only %(count)d choices.", count=choice_count))
    if choice_count and high is not None and high > choice_count:
        errors.setdefault("max_selections", _("There are only %(count)d choices.", count=choice_count))
    if high is not None and low > high:
        errors.setdefault("max_selections", _("The largest number of choices cannot be below the smallest."))
    return {"min_selections": low, "max_selections": high}


def _end_label(raw, key, errors, original) -> dict[str, str]:
    value = raw.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        errors[key] = _("Give the label as texts by language code, such as {\"en\": \"Not at all\"}.")
        return {}
    unknown = [code for code in value if code not in LOCALES]
    if unknown:
        errors[key] = _("Unknown language code: %(codes)s.", codes=", ".join(sorted(unknown)))
    texts = clean_texts(value)
    check_texts(errors, key, texts, MAX_END_LABEL)
    return texts


def _scale_settings(raw, errors, choice_count, original):
    if raw.get("min", 1) != 1 or isinstance(raw.get("min"), bool):
        errors["min"] = _("A scale starts at 1.")
    high = raw.get("max", SCALE_SIZES[0])
    if isinstance(high, bool) or high not in SCALE_SIZES:
        errors["max"] = _("A scale goes from 1 to 5 or from 1 to 10.")
        high = SCALE_SIZES[0]
    return {
        "min": 1,
        "max": high,
        "min_label": _end_label(raw, "min_label", errors, original),
        "max_label": _end_label(raw, "max_label", errors, original),
    }


def normalise_decimal(value: Any) -> str | None:
    """A decimal as text without superfluous zeros ("12.50" → "12.5", "12.0" → "12"), or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_DECIMAL_DIGITS or not re.fullmatch(r"-?\d+(\.\d+)?|-?\.\d+", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _bound(raw, key, errors, parse, message):
    value = raw.get(key)
    if value is None or value == "":
        return None
    parsed = parse(value)
    if parsed is None:
        errors[key] = message
    return parsed


def _number_settings(raw, errors, choice_count, original):
    message = _("Enter a number, such as 12 or 12.5.")
    low = _bound(raw, "min", errors, normalise_decimal, message)
    high = _bound(raw, "max", errors, normalise_decimal, message)
    integer_only = raw.get("integer_only", False)
    if not isinstance(integer_only, bool):
        errors["integer_only"] = _("Answer true or false.")
        integer_only = False
    if integer_only:
        for key, value in (("min", low), ("max", high)):
            if value is not None and "." in value:
                errors.setdefault(key, _("Whole numbers only: the limit must be a whole number too."))
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        errors.setdefault("max", _("The largest value cannot be below the smallest."))
    return {"min": low, "max": high, "integer_only": integer_only}


def parse_date(value: Any) -> str | None:
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _date_settings(raw, errors, choice_count, original):
    message = _("Enter a date as YYYY-MM-DD.")
    low = _bound(raw, "min", errors, parse_date, message)
    high = _bound(raw, "max", errors, parse_date, message)
    if low and high and low > high:
        errors.setdefault("max", _("The latest date cannot be before the earliest."))
    return {"min": low, "max": high}


def _file_settings(raw, errors, choice_count, original):
    return {"max_bytes": _integer(raw, "max_bytes", errors, 1, MAX_FILE_BYTES, DEFAULT_FILE_BYTES)}


_SETTINGS_CHECKERS = {
    QuestionType.SHORT_TEXT: _text_settings(QuestionType.SHORT_TEXT),
    QuestionType.LONG_TEXT: _text_settings(QuestionType.LONG_TEXT),
    QuestionType.SINGLE_CHOICE: _single_choice_settings,
    QuestionType.MULTIPLE_CHOICE: _multiple_choice_settings,
    QuestionType.SCALE: _scale_settings,
    QuestionType.NUMBER: _number_settings,
    QuestionType.DATE: _date_settings,
    QuestionType.FILE: _file_settings,
}
_SETTING_KEYS = {
    QuestionType.SHORT_TEXT: ("max_length",),
    QuestionType.LONG_TEXT: ("max_length",),
    QuestionType.SINGLE_CHOICE: ("display",),
    QuestionType.MULTIPLE_CHOICE: ("min_selections", "max_selections"),
    QuestionType.SCALE: ("min", "max", "min_label", "max_label"),
    QuestionType.NUMBER: ("min", "max", "integer_only"),
    QuestionType.DATE: ("min", "max"),
    QuestionType.FILE: ("max_bytes",),
}


# --- Conditions -------------------------------------------------------------------


def allowed_operators(kind: QuestionType) -> tuple[ConditionOperator, ...]:
    """What a condition may test about an answer to a question of `kind`."""
    everything = tuple(ConditionOperator)
    if kind in (QuestionType.MULTIPLE_CHOICE, *TEXT_KINDS):
        return everything
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO):
        return (ConditionOperator.EQUALS, ConditionOperator.NOT_EQUALS, ConditionOperator.ANSWERED)
    return (ConditionOperator.ANSWERED,)


def allowed_values(kind: QuestionType, option_codes: list[str]) -> list[str] | None:
    """The values a condition on this kind of question may compare with; None: any text."""
    if kind in TEXT_KINDS:
        return None
    if kind is QuestionType.YES_NO:
        return ["yes", "no"]
    return list(option_codes)


def check_condition(source_kind: QuestionType, option_codes: list[str], operator: str, value: str) -> dict[str, str]:
    """Problems with comparing an answer to a question of `source_kind` by `operator` with `value`."""
    if operator not in {op.value for op in ConditionOperator}:
        return {"operator": _("Choose how the answer is compared.")}
    op = ConditionOperator(operator)
    if op not in allowed_operators(source_kind):
        return {"operator": _("An answer to a question of type “%(type)s” cannot be compared with “%(operator)s”.",
                              type=source_kind.label, operator=op.label)}
    if op is ConditionOperator.ANSWERED:
        return {}
    values = allowed_values(source_kind, option_codes)
    if values is None:
        if not value.strip():
            return {"value": _("Enter the text to compare the answer with.")}
        if len(value) > MAX_CONDITION_VALUE:
            return {"value": _("The text can have at most %(count)d characters.", count=MAX_CONDITION_VALUE)}
        return {}
    if value not in values:
        return {"value": _("Choose one of the answers of the question: %(codes)s.", codes=", ".join(values))}
    return {}


def condition_value(operator: str, value: str) -> str:
    """What is stored: nothing to compare with for "is answered"."""
    return "" if operator == ConditionOperator.ANSWERED.value else value
