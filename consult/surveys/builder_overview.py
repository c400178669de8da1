"""What the builder shows about a loaded survey: survey order, conditions in words, translation completeness.

Read-only, over objects already in memory: the builder page renders with a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _

from consult.i18n import LOCALES, LocalizedText, language_name
from consult.surveys.models import Condition, ConditionOperator, OptionKind, Question, QuestionType, Survey

OrderKey = tuple[int, int, int]


def order_keys(survey: Survey) -> dict[int, OrderKey]:
    """Each question's place in the survey: its section's position, then its position within the section."""
    section_positions = {section.id: section.position for section in survey.sections}
    return {q.id: (section_positions.get(q.section_id, 0), q.position, q.id) for q in survey.questions}


def all_conditions(survey: Survey) -> list[Condition]:
    return [condition for question in survey.questions for condition in question.conditions]


def forward_conditions(survey: Survey, keys: dict[int, OrderKey]) -> list[Condition]:
    """Conditions that would point to a question that is not earlier, with the questions placed as in `keys`."""
    return [
        condition
        for condition in all_conditions(survey)
        if keys[condition.source_question_id] >= keys[condition.question_id]
    ]


def dependents_of(survey: Survey, question: Question) -> list[Question]:
    """The questions whose conditions look at `question`'s answer, in survey order."""
    keys = order_keys(survey)
    found = {c.question_id: c.question for c in all_conditions(survey) if c.source_question_id == question.id}
    return sorted(found.values(), key=lambda q: keys[q.id])


def codes(questions) -> str:
    return ", ".join(question.code for question in questions)


def describe_pairs(conditions: list[Condition]) -> str:
    """"Q5 depends on Q3, Q7 depends on Q4" for a refusal message."""
    return "; ".join(
        _("%(question)s depends on %(source)s", question=c.question.code, source=c.source_question.code)
        for c in conditions
    )


# --- Conditions in words ---------------------------------------------------------


def _value_words(source: Question, value: str) -> str:
    if source.kind is QuestionType.YES_NO:
        return _("Yes") if value == "yes" else _("No")
    for option in source.options_of(OptionKind.OPTION):
        if option.code == value:
            return str(option.label) or value
    return value


def describe_condition(condition: Condition, source: Question) -> str:
    """"Shown when Q3 is “No”", in the reader's language."""
    operator = ConditionOperator(condition.operator)
    if operator is ConditionOperator.ANSWERED:
        return _("Shown when %(code)s is answered", code=source.code)
    value = _value_words(source, condition.value)
    if operator is ConditionOperator.EQUALS:
        return _("Shown when %(code)s is “%(value)s”", code=source.code, value=value)
    if operator is ConditionOperator.NOT_EQUALS:
        return _("Shown when %(code)s is not “%(value)s”", code=source.code, value=value)
    return _("Shown when %(code)s includes “%(value)s”", code=source.code, value=value)


# --- Translations -----------------------------------------------------------------


@dataclass
class LanguageCompleteness:
    code: str
    present: int
    total: int
    missing: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return language_name(self.code)

    @property
    def complete(self) -> bool:
        return self.present == self.total


def _texts(value: LocalizedText | dict) -> dict[str, str]:
    return value.texts if isinstance(value, LocalizedText) else dict(value or {})


def text_slots(survey: Survey) -> Iterator[tuple[str, dict[str, str]]]:
    """Every translatable text of the survey, described for a reader, with its texts by language."""
    yield _("Survey title"), _texts(survey.title)
    yield _("Survey introduction"), _texts(survey.intro)
    questions_by_section: dict[int, list[Question]] = {}
    for question in survey.questions:
        questions_by_section.setdefault(question.section_id, []).append(question)
    for number, section in enumerate(survey.sections, start=1):
        yield _("Section %(number)d: title", number=number), _texts(section.title)
        yield _("Section %(number)d: introduction", number=number), _texts(section.intro)
        for question in sorted(questions_by_section.get(section.id, []), key=lambda q: (q.position, q.id)):
            yield from _question_slots(question)


def _question_slots(question: Question) -> Iterator[tuple[str, dict[str, str]]]:
    code = question.code
    yield _("%(code)s: label", code=code), _texts(question.label)
    yield _("%(code)s: help text", code=code), _texts(question.help_text)
    for option in question.options:
        if option.kind == OptionKind.ROW.value:
            what = _("%(code)s: row %(option)s", code=code, option=option.code)
        elif option.kind == OptionKind.COLUMN.value:
            what = _("%(code)s: column %(option)s", code=code, option=option.code)
        else:
            what = _("%(code)s: choice %(option)s", code=code, option=option.code)
        yield what, _texts(option.label)
    if question.kind is QuestionType.SCALE:
        settings = question.settings or {}
        yield _("%(code)s: label of the lowest value", code=code), _texts(settings.get("min_label"))
        yield _("%(code)s: label of the highest value", code=code), _texts(settings.get("max_label"))


def completeness(survey: Survey) -> list[LanguageCompleteness]:
    """Per language: how many of the survey's written texts exist in it, and which are missing."""
    results = {code: LanguageCompleteness(code, 0, 0) for code in LOCALES}
    for description, texts in text_slots(survey):
        if not any(texts.values()):
            continue  # a text nobody wrote (an empty help text) needs no translation
        for code in LOCALES:
            result = results[code]
            result.total += 1
            if texts.get(code):
                result.present += 1
            else:
                result.missing.append(description)
    return list(results.values())
