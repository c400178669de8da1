"""A survey's structure as plain, immutable data, kept per worker process.

Every answer page and every answer check needs the same structure: sections, questions, options,
conditions and their texts. Through the ORM that is four queries and a LocalizedText per text on every
request; here it is loaded once per process and kept in a small LRU (`CACHE_SIZE` surveys per
application), keyed by the survey's id and its `updated_at`.

Freshness lives in the database, so that an edit made in one worker is seen by all the others:

- every change to a survey's sections, questions, options or conditions moves `Survey.updated_at` on
  (`_touch_edited_surveys`, a flush hook: no builder path can forget it; a change to the survey's own
  row moves it through the column's `onupdate`);
- a page reads `updated_at` with the survey row it loads anyway, and a cached structure is used only
  when it was built for that very value. No extra query.

What a reader sees depends on their language, so the texts of a structure are prepared once per
language (`Structure.wording`): labels as HTML with their fallback notice, condition notes, scale end
labels, the intro as sanitised HTML.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from consult.extensions import db
from consult.i18n import LocalizedText, current_locale_code, render_localized, utcnow
from consult.markup import render_markdown
from consult.surveys.answer_display import condition_notes, end_label, show_if
from consult.surveys.conditions import Rule
from consult.surveys.files import human_size, max_bytes_of
from consult.surveys.models import (
    Condition,
    OptionKind,
    Question,
    QuestionOption,
    QuestionType,
    Survey,
    SurveySection,
)
from consult.surveys.validation import field_name, text_limit

CACHE_SIZE = 48
GROUPED_TYPES = (QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO, QuestionType.SCALE, QuestionType.RANKING,
                 QuestionType.MATRIX)


# --- The structure ---------------------------------------------------------------------------------------
# Shaped like the models (the same attribute names), so the answer checks and displays take either.


@dataclass(frozen=True, slots=True)
class FrozenOption:
    id: int
    kind: str
    position: int
    code: str
    label: LocalizedText
    is_other: bool


@dataclass(frozen=True, slots=True)
class FrozenCondition:
    id: int
    source_question_id: int
    operator: str
    value: str


@dataclass(frozen=True, eq=False)
class FrozenQuestion:
    id: int
    section_id: int
    position: int
    code: str
    question_type: str
    label: LocalizedText
    help_text: LocalizedText
    required: bool
    settings: dict[str, Any]  # shared by every request: read, never change
    options: tuple[FrozenOption, ...]
    conditions: tuple[FrozenCondition, ...]
    kind: QuestionType = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", QuestionType(self.question_type))

    def options_of(self, kind: OptionKind = OptionKind.OPTION) -> list[FrozenOption]:
        return [option for option in self.options if option.kind == kind.value]


@dataclass(frozen=True, eq=False)
class FrozenSection:
    id: int
    position: int
    title: LocalizedText
    intro: LocalizedText
    questions: tuple[FrozenQuestion, ...]  # in survey order


@dataclass(frozen=True, eq=False)
class Structure:
    """What answering a survey needs of its definition, as it was at `updated_at`."""

    survey_id: int
    updated_at: datetime
    intro: LocalizedText
    sections: tuple[FrozenSection, ...]
    questions: tuple[FrozenQuestion, ...]  # in the order a participant meets them
    by_id: dict[int, FrozenQuestion]
    order: list[int] = field(init=False, repr=False)  # question ids, for the condition functions
    rules: dict[int, list[Rule]] = field(init=False, repr=False)
    _wordings: dict[str, Wording] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", [question.id for question in self.questions])
        object.__setattr__(self, "rules", {
            question.id: [Rule(c.source_question_id, c.operator, c.value) for c in question.conditions]
            for question in self.questions
        })

    def ordered_questions(self) -> list[FrozenQuestion]:
        return list(self.questions)

    def wording(self) -> Wording:
        """The texts in the reader's language, prepared once per language."""
        locale = current_locale_code()
        wording = self._wordings.get(locale)
        if wording is None:
            wording = self._wordings[locale] = _wording(self)
        return wording


# --- The texts of one language ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChoiceWording:
    code: str
    label: Markup  # with its lang attribute, no fallback notice (the question's label carries one)
    text: str
    is_other: bool


@dataclass(frozen=True)
class QuestionWording:
    """One question as the answer form shows it, in one language."""

    question: FrozenQuestion
    name: str  # the form field's name
    heading: Markup  # code, label (with its fallback notice) and the "required" marker
    text: str  # the label as plain text
    help: Markup | None
    notes: tuple[str, ...]
    show_if: list[dict] | None
    grouped: bool  # a fieldset with a legend, rather than a label
    options: tuple[ChoiceWording, ...]
    rows: tuple[ChoiceWording, ...]
    columns: tuple[ChoiceWording, ...]
    has_other: bool
    low_label: str  # scale ends
    high_label: str
    rank_labels: tuple[str, ...]  # "Rank 1"…, one per option of a ranking
    limit_sentence: str  # the longest text allowed (long texts) or the largest file (files)
    described: Markup  # the aria attributes tying the field to its note and hint…
    described_error: Markup  # … and to its error

    @property
    def id(self) -> int:
        return self.question.id

    @property
    def code(self) -> str:
        return self.question.code

    def described_by(self, error: Any) -> Markup:
        return self.described_error if error else self.described


@dataclass(frozen=True)
class SectionWording:
    section: FrozenSection
    title: Markup
    intro: Markup | None
    questions: tuple[QuestionWording, ...]


@dataclass(frozen=True)
class Phrases:
    """The form's own words, the same for every question."""

    required: str = field(default_factory=lambda: _("required"))
    yes_no: tuple[tuple[str, str], ...] = field(default_factory=lambda: (("yes", _("Yes")), ("no", _("No"))))
    choose: str = field(default_factory=lambda: _("Choose an option"))
    rank_hint: str = field(default_factory=lambda: _("Give each option a different rank, 1 being the first."))
    row: str = field(default_factory=lambda: _("Row"))
    specify: str = field(default_factory=lambda: _("Please specify your other answer"))


@dataclass(frozen=True)
class Wording:
    intro: dict[str, Any]  # {"html", "lang", "notice"}
    sections: tuple[SectionWording, ...]
    by_id: dict[int, QuestionWording]
    phrases: Phrases
    _unanswered: dict[int, Markup] = field(default_factory=dict, repr=False)

    def unanswered(self, question: QuestionWording, render) -> Markup:
        """The question's HTML as everyone sees it before answering: rendered once by `render`, then reused.

        Only for a question with nothing entered and no error on the page being rendered, and not a file
        question (it shows the file already given): the HTML then depends on the language alone.
        """
        html = self._unanswered.get(question.id)
        if html is None:
            html = self._unanswered[question.id] = render(question)  # a macro: already escaped Markup
        return html


def _choices(question: FrozenQuestion, kind: OptionKind) -> tuple[ChoiceWording, ...]:
    return tuple(
        ChoiceWording(option.code, render_localized(option.label, notice=False), str(option.label), option.is_other)
        for option in question.options_of(kind)
    )


def _described(name: str, notes, help_html, error: bool, grouped: bool) -> Markup:
    ids = [f"{name}-{part}" for part, present in (("note", notes), ("hint", help_html), ("error", error)) if present]
    html = Markup(' aria-describedby="{}"').format(" ".join(ids)) if ids else Markup("")
    return html + Markup(' aria-invalid="true"') if error and not grouped else html


def _heading(question: FrozenQuestion, phrases: Phrases) -> Markup:
    heading = Markup('<span class="question-code">{}.</span> {}').format(question.code,
                                                                          render_localized(question.label))
    if question.required:
        heading += Markup(' <span class="required-marker">({})</span>').format(phrases.required)
    return heading


def _limit_sentence(question: FrozenQuestion) -> str:
    if question.kind is QuestionType.LONG_TEXT:
        return _("At most %(limit)s characters.", limit=format_decimal(text_limit(question)))
    if question.kind is QuestionType.FILE:
        return _("PDF, DOCX, XLSX or ODT, up to %(limit)s.", limit=human_size(max_bytes_of(question.settings)))
    return ""


def _question_wording(question: FrozenQuestion, by_id: dict[int, FrozenQuestion], phrases: Phrases):
    kind = question.kind
    settings = question.settings or {}
    grouped = kind in GROUPED_TYPES or (kind is QuestionType.SINGLE_CHOICE and settings.get("display") != "dropdown")
    options = _choices(question, OptionKind.OPTION)
    name = field_name(question)
    help_html = render_localized(question.help_text) if question.help_text.render().text else None
    notes = tuple(condition_notes(question, by_id))
    return QuestionWording(
        question=question,
        name=name,
        heading=_heading(question, phrases),
        text=str(question.label),
        help=help_html,
        notes=notes,
        show_if=show_if(question) if question.conditions else None,
        grouped=grouped,
        options=options,
        rows=_choices(question, OptionKind.ROW),
        columns=_choices(question, OptionKind.COLUMN),
        has_other=any(option.is_other for option in options),
        low_label=end_label(question, "min_label") if kind is QuestionType.SCALE else "",
        high_label=end_label(question, "max_label") if kind is QuestionType.SCALE else "",
        rank_labels=tuple(_("Rank %(position)d", position=position) for position in range(1, len(options) + 1))
        if kind is QuestionType.RANKING else (),
        limit_sentence=_limit_sentence(question),
        described=_described(name, notes, help_html, False, grouped),
        described_error=_described(name, notes, help_html, True, grouped),
    )


def _wording(structure: Structure) -> Wording:
    shown = structure.intro.render()
    phrases = Phrases()
    by_id = {question.id: _question_wording(question, structure.by_id, phrases) for question in structure.questions}
    sections = tuple(
        SectionWording(
            section=section,
            title=render_localized(section.title),
            intro=render_localized(section.intro) if section.intro.render().text else None,
            questions=tuple(by_id[question.id] for question in section.questions),
        )
        for section in structure.sections
    )
    intro = {"html": render_markdown(shown.text), "lang": shown.lang, "notice": shown.notice}
    return Wording(intro, sections, by_id, phrases)


# --- Loading -------------------------------------------------------------------------------------------


def load(survey: Survey) -> Structure:
    """The structure of `survey` from the database: one query per table, no ORM objects kept."""
    session = db.session
    sections = session.execute(
        select(SurveySection.id, SurveySection.position, SurveySection.title, SurveySection.intro)
        .where(SurveySection.survey_id == survey.id)
        .order_by(SurveySection.position, SurveySection.id)
    ).all()
    options: dict[int, list[FrozenOption]] = {}
    for question_id, *fields in session.execute(
        select(QuestionOption.question_id, QuestionOption.id, QuestionOption.kind, QuestionOption.position,
               QuestionOption.code, QuestionOption.label, QuestionOption.is_other)
        .join(Question, Question.id == QuestionOption.question_id)
        .where(Question.survey_id == survey.id)
        .order_by(QuestionOption.question_id, QuestionOption.position, QuestionOption.id)
    ):
        options.setdefault(question_id, []).append(FrozenOption(*fields))
    conditions: dict[int, list[FrozenCondition]] = {}
    for question_id, *fields in session.execute(
        select(Condition.question_id, Condition.id, Condition.source_question_id, Condition.operator, Condition.value)
        .join(Question, Question.id == Condition.question_id)
        .where(Question.survey_id == survey.id)
        .order_by(Condition.id)
    ):
        conditions.setdefault(question_id, []).append(FrozenCondition(*fields))
    section_order = {row.id: index for index, row in enumerate(sections)}
    rows = session.execute(
        select(Question.id, Question.section_id, Question.position, Question.code, Question.question_type,
               Question.label, Question.help_text, Question.required, Question.settings)
        .where(Question.survey_id == survey.id)
    ).all()
    rows.sort(key=lambda row: (section_order.get(row.section_id, 0), row.position, row.id))
    questions = tuple(
        FrozenQuestion(
            id=row.id, section_id=row.section_id, position=row.position, code=row.code,
            question_type=row.question_type, label=row.label, help_text=row.help_text, required=row.required,
            settings=row.settings or {},
            options=tuple(options.get(row.id, ())), conditions=tuple(conditions.get(row.id, ())),
        )
        for row in rows
    )
    frozen_sections = tuple(
        FrozenSection(row.id, row.position, row.title, row.intro,
                      tuple(question for question in questions if question.section_id == row.id))
        for row in sections
    )
    return Structure(survey.id, survey.updated_at, survey.intro, frozen_sections, questions,
                     {question.id: question for question in questions})


# --- The cache -------------------------------------------------------------------------------------------


class StructureCache:
    """The structures of the most recently used surveys, at most `size`, one entry per survey."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[int, Structure] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, survey_id: int, updated_at: datetime) -> Structure | None:
        with self._lock:
            structure = self._entries.get(survey_id)
            if structure is None or structure.updated_at != updated_at:
                return None
            self._entries.move_to_end(survey_id)
            return structure

    def put(self, structure: Structure) -> None:
        with self._lock:
            self._entries[structure.survey_id] = structure
            self._entries.move_to_end(structure.survey_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def cache() -> StructureCache:
    """This application's cache (one per worker process)."""
    return current_app.extensions.setdefault("survey_structures", StructureCache())


def structure_of(survey: Survey) -> Structure:
    """The structure of `survey` as its row (loaded by the caller) says it is now."""
    store = cache()
    structure = store.get(survey.id, survey.updated_at)
    if structure is None:
        structure = load(survey)  # built for the updated_at read before: a later edit changes the key again
        store.put(structure)
    return structure


# --- Freshness --------------------------------------------------------------------------------------------

_PARTS = (SurveySection, Question, QuestionOption, Condition)


def _survey_id_of(session: Session, part: Any) -> int | None:
    if isinstance(part, (SurveySection, Question)):
        survey = part.__dict__.get("survey")
        return part.survey_id if part.survey_id is not None else getattr(survey, "id", None)
    question = part.__dict__.get("question")
    if question is None and part.question_id is not None:
        question = session.get(Question, part.question_id)
    return _survey_id_of(session, question) if question is not None else None


@event.listens_for(Session, "before_flush")
def _touch_edited_surveys(session: Session, flush_context, instances) -> None:
    """A change to a survey's sections, questions, options or conditions moves the survey's updated_at on."""
    touched: set[int] = set()
    for part in (*session.new, *session.dirty, *session.deleted):
        if isinstance(part, Survey):
            if part not in session.new and session.is_modified(part):
                touched.add(part.id)  # a collection changed: onupdate alone would not see it
        elif isinstance(part, _PARTS) and (part in session.new or part in session.deleted
                                           or session.is_modified(part)):
            survey_id = _survey_id_of(session, part)
            if survey_id is not None:
                touched.add(survey_id)
    if not touched:
        return
    now = utcnow()
    with session.no_autoflush:
        for survey_id in touched:
            survey = session.get(Survey, survey_id)
            if survey is not None and survey not in session.deleted:
                survey.updated_at = now
