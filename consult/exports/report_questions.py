"""The summary report's survey part: every question's results, counted in SQL.

A fixed number of grouped queries per survey (never one per response): who
answered, single choices, multiple choices expanded, numbers (average and
median with window functions), rankings, matrices, dates, and the free-text
answers whose authors allowed them to be shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select, true, union_all
from sqlalchemy.orm import aliased

from consult.directory.models import Organization
from consult.directory.stakeholders import StakeholderType, country_name
from consult.extensions import db
from consult.surveys.answer_display import yes_no_text
from consult.surveys.json_sql import JsonSql
from consult.surveys.models import Answer, OptionKind, Question, QuestionType, Response, Survey
from consult.surveys.tallies import (
    ANSWERED,
    CELL,
    CHOICE_KINDS,
    DAY,
    LISTABLE,
    LISTABLE_CONSENTS,
    NUMBER,
    NUMERIC_KINDS,
    OPTION,
    RANK,
    TEXT_KINDS,
    respondent_rows,
    tally_rows,
)
from consult.surveys.validation import scale_bounds

# Free-text answers listed per question on the page; the XLSX report lists them all.
TEXT_LIMIT = 100
NO_ORGANIZATION = ""  # the stakeholder-type key of respondents without an organization


# Respondents' organizations under their own alias, so that filters' subqueries on Organization stay independent.
RespondentOrganization = aliased(Organization, name="respondent_organization")


def type_key(value: str | None) -> str:
    return value or NO_ORGANIZATION


def type_label(key: str) -> str:
    if key == NO_ORGANIZATION:
        return _("No organization")
    try:
        return StakeholderType(key).label
    except ValueError:
        return key


@dataclass
class OptionCount:
    code: str
    label: str
    count: int
    share: float  # of the respondents who answered the question


@dataclass
class NumericSummary:
    count: int
    average: Decimal | None
    median: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None


@dataclass
class RankRow:
    label: str
    average_place: Decimal | None
    first_places: int
    share_first: float


@dataclass
class TextAnswer:
    text: str
    stakeholder_type: str
    country: str


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    answered_by_type: dict[str, int] = field(default_factory=dict)
    options: list[OptionCount] = field(default_factory=list)
    # {option code: {stakeholder-type key: count}}: the cross table under the chart.
    option_by_type: dict[str, dict[str, int]] = field(default_factory=dict)
    summary: NumericSummary | None = None
    summary_by_type: dict[str, NumericSummary] = field(default_factory=dict)
    ranking: list[RankRow] = field(default_factory=list)
    matrix_rows: list[tuple[str, list[int]]] = field(default_factory=list)  # (row label, count per column)
    matrix_columns: list[str] = field(default_factory=list)
    earliest: str | None = None
    latest: str | None = None
    texts: list[TextAnswer] = field(default_factory=list)
    listable: int = 0  # free-text answers whose authors allow showing them

    @property
    def kind(self) -> QuestionType:
        return self.question.kind

    @property
    def has_chart(self) -> bool:
        return bool(self.options) and self.kind is not QuestionType.RANKING

    @property
    def other_texts_label(self) -> str:
        return _("Answers given under “Other”")


@dataclass
class SurveyResult:
    survey: Survey
    respondents: int
    respondents_by_type: dict[str, int]
    questions: list[QuestionResult]

    @property
    def type_keys(self) -> list[str]:
        """Stakeholder types among the respondents, in the list's order, "no organization" last."""
        keys = [t.value for t in StakeholderType if self.respondents_by_type.get(t.value)]
        if self.respondents_by_type.get(NO_ORGANIZATION):
            keys.append(NO_ORGANIZATION)
        return keys


class SurveyCounter:
    """Counts one survey's answers within a scope (the responses the report covers).

    `tallied`: the scope is every submitted response and the survey's tallies are built
    (consult/surveys/tallies.py), so the figures are read from them instead of counted from the answers.
    """

    def __init__(self, survey: Survey, scope: list, sql: JsonSql, tallied: bool = False) -> None:
        self.survey = survey
        self.scope = scope
        self.sql = sql
        self.tallied = tallied
        self.questions = survey.ordered_questions()
        self.results = {q.id: QuestionResult(q) for q in self.questions}

    def _ids(self, *kinds: QuestionType) -> list[int]:
        return [q.id for q in self.questions if q.kind in kinds]

    def _answers(self, *columns) -> Select:
        """Answers of the responses in scope, with the respondent's organization alongside."""
        return (
            select(*columns)
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .outerjoin(RespondentOrganization, RespondentOrganization.id == Response.organization_id)
            .where(Response.survey_id == self.survey.id, *self.scope)
        )

    def count(self, text_limit: int = TEXT_LIMIT) -> SurveyResult:
        if self.tallied:
            by_type = self._respondents_from_tallies()
            self._from_tallies()
        else:
            by_type = self._respondents()
            self._answered()
            self._single_values()
            self._multiple_choices()
            self._numbers()
            self._rankings()
            self._matrices()
            self._dates()
        self._texts(text_limit)
        self._finish_options()
        return SurveyResult(self.survey, sum(by_type.values()), by_type, [self.results[q.id] for q in self.questions])

    # --- who answered ------------------------------------------------------------------

    def _respondents(self) -> dict[str, int]:
        rows = db.session.execute(
            select(RespondentOrganization.stakeholder_type, func.count(Response.id))
            .select_from(Response)
            .outerjoin(RespondentOrganization, RespondentOrganization.id == Response.organization_id)
            .where(Response.survey_id == self.survey.id, *self.scope)
            .group_by(RespondentOrganization.stakeholder_type)
        )
        counts: dict[str, int] = defaultdict(int)
        for stakeholder_type, number in rows:
            counts[type_key(stakeholder_type)] += number
        return dict(counts)

    def _answered(self) -> None:
        listable = case((Response.consent.in_(LISTABLE_CONSENTS), 1))
        rows = db.session.execute(
            self._answers(Answer.question_id, RespondentOrganization.stakeholder_type, func.count(Answer.id),
                          func.count(listable))
            .group_by(Answer.question_id, RespondentOrganization.stakeholder_type)
        )
        for question_id, stakeholder_type, number, listable_number in rows:
            result = self.results.get(question_id)
            if result is None:
                continue
            key = type_key(stakeholder_type)
            result.answered += number
            result.answered_by_type[key] = result.answered_by_type.get(key, 0) + number
            if result.kind in TEXT_KINDS:
                result.listable += listable_number

    # --- from the tallies ------------------------------------------------------------

    def _respondents_from_tallies(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for stakeholder_type, number in respondent_rows(self.survey.id):
            counts[type_key(stakeholder_type)] += number
        return dict(counts)

    def _from_tallies(self) -> None:
        """Every figure the scan below computes, from the survey's counts (one query)."""
        options: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        numbers: dict[int, list[tuple[Decimal, str, int]]] = defaultdict(list)
        places: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
        cells: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        days: dict[int, list[str]] = defaultdict(list)
        for question_id, key, stakeholder_type, number in tally_rows(self.survey.id):
            result = self.results.get(question_id)
            if result is None:
                continue
            type_ = type_key(stakeholder_type)
            if key == ANSWERED:
                result.answered += number
                result.answered_by_type[type_] = result.answered_by_type.get(type_, 0) + number
            elif key == LISTABLE:
                if result.kind in TEXT_KINDS:
                    result.listable += number
            elif key.startswith(OPTION):
                by_type = options[question_id][key[len(OPTION):]]
                by_type[type_] = by_type.get(type_, 0) + number
            elif key.startswith(NUMBER):
                numbers[question_id].append((Decimal(key[len(NUMBER):]), type_, number))
            elif key.startswith(RANK):
                place, code = key[len(RANK):].split(":", 1)
                found = places[question_id][code]
                found[0] += int(place) * number
                found[1] += number
                found[2] += number if place == "1" else 0
            elif key.startswith(CELL):
                row, column = key[len(CELL):].split(":", 1)
                cells[question_id][(row, column)] += number
            elif key.startswith(DAY):
                days[question_id].append(key[len(DAY):])
        for question_id, by_code in options.items():
            self.results[question_id].option_by_type = {code: dict(types) for code, types in by_code.items()}
        for question_id, values in numbers.items():
            result = self.results[question_id]
            if result.kind not in NUMERIC_KINDS:
                continue
            result.summary = _summary([(value, number) for value, _type, number in values])
            for type_ in dict.fromkeys(t for _value, t, _number in values):
                result.summary_by_type[type_] = _summary([(v, n) for v, t, n in values if t == type_])
        for question_id in self._ids(QuestionType.RANKING):
            found = {code: (Decimal(total) / Decimal(count), first)
                     for code, (total, count, first) in places.get(question_id, {}).items() if count}
            self._set_ranking(question_id, found)
        for question_id in self._ids(QuestionType.MATRIX):
            self._set_matrix(question_id, cells.get(question_id, {}))
        for question_id, found_days in days.items():
            if self.results[question_id].kind is QuestionType.DATE:
                self.results[question_id].earliest = min(found_days)
                self.results[question_id].latest = max(found_days)

    # --- choices -----------------------------------------------------------------------

    def _single_values(self) -> None:
        """Single choice, yes/no and scale: one value per answer, grouped as it is stored."""
        ids = self._ids(*CHOICE_KINDS)
        if not ids:
            return
        code = self.sql.choice_code(Answer.value)
        rows = db.session.execute(
            self._answers(Answer.question_id, code, RespondentOrganization.stakeholder_type, func.count())
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id, code, RespondentOrganization.stakeholder_type)
        )
        self._fill_options(rows)

    def _multiple_choices(self) -> None:
        ids = self._ids(QuestionType.MULTIPLE_CHOICE)
        if not ids:
            return
        items = self.sql.array_elements(Answer.value, "choices")
        rows = db.session.execute(
            self._answers(Answer.question_id, items.item, RespondentOrganization.stakeholder_type, func.count())
            .join(items.table, true())
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id, items.item, RespondentOrganization.stakeholder_type)
        )
        self._fill_options(rows)

    def _fill_options(self, rows) -> None:
        counted: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for question_id, code, stakeholder_type, number in rows:
            if code is None:
                continue
            by_type = counted[question_id][str(code)]
            key = type_key(stakeholder_type)
            by_type[key] = by_type.get(key, 0) + number
        for question_id, by_code in counted.items():
            result = self.results[question_id]
            result.option_by_type = {code: dict(types) for code, types in by_code.items()}

    def _finish_options(self) -> None:
        """Every option of each choice question, counted or not, with its share of the people who answered."""
        for result in self.results.values():
            if result.kind in CHOICE_KINDS or result.kind is QuestionType.MULTIPLE_CHOICE:
                result.options = []
                for code, label in _option_list(result.question, result.option_by_type):
                    count = sum(result.option_by_type.get(code, {}).values())
                    result.options.append(OptionCount(code, label, count, _share(count, result.answered)))

    # --- numbers -----------------------------------------------------------------------

    def _numbers(self) -> None:
        ids = self._ids(*NUMERIC_KINDS)
        if not ids:
            return
        for key, summary in self._numeric_summaries(ids, by_type=False):
            self.results[key[0]].summary = summary
        for (question_id, stakeholder_type), summary in self._numeric_summaries(ids, by_type=True):
            result = self.results[question_id]
            result.summary_by_type[type_key(stakeholder_type)] = summary

    def _numeric_summaries(self, ids: list[int], by_type: bool):
        """Count, average, median, minimum and maximum per question (and stakeholder type), in one query.

        The median is the middle value (or the mean of the two middle values) by
        row number within the group: portable window functions, no Python list.
        """
        number = self.sql.number(Answer.value)
        partition = [Answer.question_id] + ([RespondentOrganization.stakeholder_type] if by_type else [])
        ranked = (
            self._answers(
                *partition,
                number.label("x"),
                func.row_number().over(partition_by=partition, order_by=number).label("place"),
                func.count().over(partition_by=partition).label("n"),
            )
            .where(Answer.question_id.in_(ids), number.is_not(None))
            .subquery()
        )
        keys = [ranked.c.question_id] + ([ranked.c.stakeholder_type] if by_type else [])
        middle = case((ranked.c.place.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]), ranked.c.x))
        rows = db.session.execute(
            select(*keys, func.count(), func.avg(ranked.c.x), func.avg(middle), func.min(ranked.c.x),
                   func.max(ranked.c.x))
            .group_by(*keys)
        )
        for row in rows:
            key = tuple(row[: len(keys)])
            count, average, median, minimum, maximum = row[len(keys):]
            yield key, NumericSummary(count, _decimal(average), _decimal(median), _decimal(minimum), _decimal(maximum))

    # --- rankings and matrices -----------------------------------------------------------

    def _rankings(self) -> None:
        ids = self._ids(QuestionType.RANKING)
        if not ids:
            return
        items = self.sql.array_elements(Answer.value)
        first = func.count(case((items.place == 1, 1)))
        rows = db.session.execute(
            self._answers(Answer.question_id, items.item, func.avg(items.place), first)
            .join(items.table, true())
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id, items.item)
        )
        found: dict[int, dict[str, tuple]] = defaultdict(dict)
        for question_id, code, average, first in rows:
            found[question_id][str(code)] = (average, first)
        for question_id in ids:
            self._set_ranking(question_id, found.get(question_id, {}))

    def _set_ranking(self, question_id: int, rows_found: dict[str, tuple]) -> None:
        """The ranking table from {option code: (average place, first places)}."""
        result = self.results[question_id]
        ranking = []
        for code, label in _option_list(result.question, rows_found):
            average, first = rows_found.get(code, (None, 0))
            ranking.append(RankRow(label, _decimal(average), first, _share(first, result.answered)))
        ranking.sort(key=lambda r: (r.average_place is None, r.average_place or 0))
        result.ranking = ranking
        result.options = [OptionCount(r.label, r.label, r.first_places, r.share_first) for r in ranking]

    def _matrices(self) -> None:
        ids = self._ids(QuestionType.MATRIX)
        if not ids:
            return
        entries = self.sql.object_entries(Answer.value)
        rows = db.session.execute(
            self._answers(Answer.question_id, entries.key, entries.item, func.count())
            .join(entries.table, true())
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id, entries.key, entries.item)
        )
        counts: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
        for question_id, row_code, column_code, number in rows:
            counts[question_id][(str(row_code), str(column_code))] = number
        for question_id in ids:
            self._set_matrix(question_id, counts[question_id])

    def _set_matrix(self, question_id: int, counts: dict[tuple[str, str], int]) -> None:
        """The matrix table from {(row code, column code): count}."""
        result = self.results[question_id]
        question = result.question
        columns = question.options_of(OptionKind.COLUMN)
        result.matrix_columns = [str(c.label) for c in columns]
        result.matrix_rows = [
            (str(row.label), [counts.get((row.code, c.code), 0) for c in columns])
            for row in question.options_of(OptionKind.ROW)
        ]

    def _dates(self) -> None:
        ids = self._ids(QuestionType.DATE)
        if not ids:
            return
        day = self.sql.scalar_text(Answer.value)
        rows = db.session.execute(
            self._answers(Answer.question_id, func.min(day), func.max(day))
            .where(Answer.question_id.in_(ids))
            .group_by(Answer.question_id)
        )
        for question_id, earliest, latest in rows:
            self.results[question_id].earliest = earliest
            self.results[question_id].latest = latest

    # --- free text ---------------------------------------------------------------------

    def _texts(self, limit: int) -> None:
        """The first `limit` listable texts of each question (and "Other" texts of choices), by submission."""
        text_ids, other_ids = self.text_question_ids()
        if not (text_ids or other_ids) or limit <= 0:
            return
        # One query: per question, its first `limit` texts in submission order (an index walk that stops
        # early), never a ranking of all of them.
        firsts = [
            select(self.text_query([question_id] if question_id in text_ids else [],
                                   [question_id] if question_id in other_ids else [])
                   .add_columns(Response.submitted_at.label("submitted_at"), Response.id.label("response_id"))
                   .order_by(Response.submitted_at, Response.id)
                   .limit(limit)
                   .subquery())
            for question_id in text_ids + other_ids
        ]
        listed = (union_all(*firsts) if len(firsts) > 1 else firsts[0]).subquery()
        rows = db.session.execute(
            select(listed.c.question_id, listed.c.text, listed.c.stakeholder_type, listed.c.country)
            .order_by(listed.c.question_id, listed.c.submitted_at, listed.c.response_id)
        )
        for question_id, text, stakeholder_type, country in rows:
            self.results[question_id].texts.append(
                TextAnswer(text, type_label(type_key(stakeholder_type)), country_name(country) if country else "")
            )
        for question_id in other_ids:
            # "Other" texts are not counted apart: the listing says when it stops at the limit.
            self.results[question_id].listable = len(self.results[question_id].texts)

    def text_question_ids(self) -> tuple[list[int], list[int]]:
        """Text questions, and choice questions with an "Other, please specify" option."""
        others = [q.id for q in self.questions
                  if q.kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
                  and any(o.is_other for o in q.options)]
        return self._ids(*TEXT_KINDS), others

    def text_query(self, text_ids: list[int], other_ids: list[int]) -> Select:
        """Listable texts: respondents who chose "do not publish" never appear (they are still counted)."""
        text = case(
            (Answer.question_id.in_(text_ids or [-1]), self.sql.scalar_text(Answer.value)),
            else_=self.sql.field_text(Answer.value, "other"),
        )
        return (
            self._answers(Answer.question_id, text.label("text"),
                          RespondentOrganization.stakeholder_type.label("stakeholder_type"),
                          RespondentOrganization.country.label("country"))
            .where(Answer.question_id.in_(text_ids + other_ids), Response.consent.in_(LISTABLE_CONSENTS),
                   func.coalesce(func.trim(text), "") != "")
        )


def _option_list(question: Question, found: dict) -> list[tuple[str, str]]:
    """(code, label) of every option in the question's order, then any stored code no option has any more."""
    kind = question.kind
    if kind is QuestionType.YES_NO:
        known = [("yes", yes_no_text("yes")), ("no", yes_no_text("no"))]
    elif kind is QuestionType.SCALE:
        low, high = scale_bounds(question)
        known = [(str(value), str(value)) for value in range(low, high + 1)]
    else:
        known = [(o.code, str(o.label)) for o in question.options_of(OptionKind.OPTION)]
    codes = {code for code, _label in known}
    extra = [(code, code) for code in found if code not in codes]
    return known + sorted(extra)


def _summary(values: list[tuple[Decimal, int]]) -> NumericSummary:
    """Count, average, median, minimum and maximum of (value, how many times) pairs, as the scan gives them."""
    values = sorted(values, key=lambda pair: pair[0])
    count = sum(number for _value, number in values)
    total = sum((value * number for value, number in values), Decimal(0))
    wanted = [(count + 1) // 2, (count + 2) // 2]  # the middle place(s), 1-based
    middle: list[Decimal] = []
    seen = 0
    for value, number in values:
        seen += number
        while wanted and wanted[0] <= seen:
            middle.append(value)
            wanted.pop(0)
    return NumericSummary(count, _decimal(total / count), _decimal(sum(middle, Decimal(0)) / len(middle)),
                          _decimal(values[0][0]), _decimal(values[-1][0]))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))
