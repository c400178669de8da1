"""Rows of the responses export: one per response, one column per question (expanded where a question holds several
values), read in response order and assembled as they stream.

Responses and their answers come from two queries ordered by response id and
read in batches (`yield_per`); answers are grouped in Python while both
streams advance, so memory holds one batch, never the whole survey.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from consult.consultations.models import Consultation
from consult.directory.models import Group, Organization, User, group_organization
from consult.directory.stakeholders import STAKEHOLDER_LABELS, country_name, sort_key
from consult.exports.export_labels import Labels, json_text, utc_iso
from consult.exports.filters import ExportFilters
from consult.extensions import db
from consult.i18n import LOCALES, language_name
from consult.surveys.models import (
    Answer,
    OptionKind,
    PublicationConsent,
    Question,
    QuestionType,
    Response,
    ResponseStatus,
    Survey,
)

BATCH = 1000

# The respondent's choice as the secretariat reads it (the answer form's wording speaks to the respondent).
CONSENT_LABELS = {
    PublicationConsent.NAMED.value: _l("Publish with name"),
    PublicationConsent.ANONYMOUS.value: _l("Publish anonymously"),
    PublicationConsent.NONE.value: _l("Do not publish"),
}

FIXED_COLUMNS = (
    ("response_id", _l("Response ID")),
    ("respondent", _l("Respondent")),
    ("email", _l("Email")),
    ("organization", _l("Organization")),
    ("stakeholder_type", _l("Stakeholder type")),
    ("country", _l("Country")),
    ("groups", _l("Groups")),
    ("language", _l("Language")),
    ("status", _l("Status")),
    ("submitted_at", _l("Submitted (UTC)")),
    ("consent", _l("Publication consent")),
    ("receipt_number", _l("Receipt number")),
)


def export_surveys(consultation: Consultation) -> list[Survey]:
    """The consultation's surveys in order, with what their columns need, in a fixed number of queries."""
    return list(
        db.session.scalars(
            select(Survey)
            .where(Survey.consultation_id == consultation.id)
            .options(selectinload(Survey.sections), selectinload(Survey.questions).selectinload(Question.options))
            .order_by(Survey.position, Survey.id)
        )
    )


# --- One question's columns ---------------------------------------------------------


class QuestionColumns:
    """The columns one question spreads over, and how a stored answer fills them."""

    def __init__(self, question: Question, labels: Labels) -> None:
        self.question = question
        self.kind = question.kind
        code, title = question.code, labels.text(question.label)
        options = question.options_of(OptionKind.OPTION)
        self.option_codes = [o.code for o in options]
        self.options = {o.code: labels.value(o.code, labels.text(o.label)) for o in options}
        self.has_other = any(o.is_other for o in options)
        other = [labels.header(f"{code}.other_text", _("%(question)s: other, please specify", question=title))]
        if self.kind is QuestionType.SINGLE_CHOICE:
            self.headers = [labels.header(code, title)] + (other if self.has_other else [])
        elif self.kind is QuestionType.MULTIPLE_CHOICE:
            self.headers = [
                labels.header(f"{code}.{o.code}", _("%(question)s: %(option)s", question=title,
                                                     option=labels.text(o.label)))
                for o in options
            ]
            self.headers.append(labels.header(code, _("%(question)s: all choices", question=title)))
            self.headers += other if self.has_other else []
        elif self.kind is QuestionType.RANKING:
            self.headers = [
                labels.header(f"{code}.{rank}", _("%(question)s: rank %(rank)s", question=title, rank=rank))
                for rank in range(1, len(options) + 1)
            ]
        elif self.kind is QuestionType.MATRIX:
            self.rows = question.options_of(OptionKind.ROW)
            self.columns = {
                o.code: labels.value(o.code, labels.text(o.label)) for o in question.options_of(OptionKind.COLUMN)
            }
            self.headers = [
                labels.header(f"{code}.{row.code}", _("%(question)s: %(row)s", question=title,
                                                       row=labels.text(row.label)))
                for row in self.rows
            ]
        else:
            self.headers = [labels.header(code, title)]
        self.yes_no = {"yes": labels.value("yes", _("Yes")), "no": labels.value("no", _("No"))}
        self.width = len(self.headers)

    def cells(self, value: Any) -> list[Any]:
        if value is None:
            return [None] * self.width
        try:
            cells = self._cells(value)
        except (AttributeError, TypeError, ValueError, KeyError):
            cells = None
        if cells is None or len(cells) != self.width:
            # A value of an unexpected shape is exported as stored rather than lost.
            return [value if isinstance(value, str) else json_text(value)] + [None] * (self.width - 1)
        return cells

    def _option(self, code: Any) -> str:
        return self.options.get(code, str(code))  # a code no longer offered: as stored

    def _cells(self, value: Any) -> list[Any] | None:
        kind = self.kind
        if kind is QuestionType.SINGLE_CHOICE:
            choice, other = (value["choice"], value.get("other")) if isinstance(value, dict) else (value, None)
            return [self._option(choice)] + ([other] if self.has_other else [])
        if kind is QuestionType.MULTIPLE_CHOICE:
            chosen, other = (value["choices"], value.get("other")) if isinstance(value, dict) else (value, None)
            if not isinstance(chosen, list):
                return None
            flags = [1 if code in chosen else 0 for code in self.option_codes]
            joined = "; ".join(self._option(code) for code in chosen)
            return flags + [joined] + ([other] if self.has_other else [])
        if kind is QuestionType.RANKING:
            if not isinstance(value, list) or len(value) > self.width:
                return None
            ranked = [self._option(code) for code in value]
            return ranked + [None] * (self.width - len(ranked))
        if kind is QuestionType.MATRIX:
            if not isinstance(value, dict):
                return None
            return [self.columns.get(value.get(row.code), value.get(row.code)) for row in self.rows]
        if kind is QuestionType.YES_NO:
            return [self.yes_no.get(value, value)]
        if kind is QuestionType.NUMBER:
            return [_number(value)]
        if kind is QuestionType.FILE:
            return [value["filename"]] if isinstance(value, dict) else None
        if kind is QuestionType.SCALE:
            return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        return [value] if isinstance(value, str) else None


def _number(value: Any) -> Any:
    """A number answer (a decimal kept as text) as a number a spreadsheet can sum; as stored if it is not one."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    return number if number.is_finite() else value


class SurveyLayout:
    def __init__(self, number: int, survey: Survey, labels: Labels, fixed_header: list[str]) -> None:
        self.survey = survey
        self.questions = [QuestionColumns(q, labels) for q in survey.ordered_questions()]
        self.header = fixed_header + [h for q in self.questions for h in q.headers]
        # Numbered, so that two surveys with the same title still get two sheets (sheet names must be unique).
        self.sheet_name = f"{number} {labels.text(survey.title)}"

    def answer_cells(self, values: dict[int, Any]) -> list[Any]:
        return [cell for q in self.questions for cell in q.cells(values.get(q.question.id))]


# --- The export -------------------------------------------------------------------


class ResponsesExport:
    """The responses of some of a consultation's surveys that `user` may read, filtered, in the words of `labels`."""

    kind = "responses"

    def __init__(self, consultation: Consultation, surveys: list[Survey], user, filters: ExportFilters,
                 labels: Labels) -> None:
        self.consultation = consultation
        self.surveys = surveys
        self.user = user
        self.filters = filters
        self.labels = labels
        # Every word the rows use is translated now, in the export's language: rows are then plain lookups.
        with labels.speaking():
            self.fixed_header = [labels.header(code, str(text)) for code, text in FIXED_COLUMNS]
            self.layouts = [SurveyLayout(n, s, labels, self.fixed_header) for n, s in enumerate(surveys, start=1)]
            self.types = {t.value: labels.value(t.value, str(text)) for t, text in STAKEHOLDER_LABELS.items()}
            self.statuses = {s.value: labels.value(s.value, s.label) for s in ResponseStatus}
            self.consents = {code: labels.value(code, str(text)) for code, text in CONSENT_LABELS.items()}
            self.languages = {code: labels.value(code, language_name(code, labels.lang)) for code in LOCALES}
            self.summary_header = [_("Survey"), _("Status"), _("Responses")]
            self.summary_name = _("Summary")
        self._countries: dict[str, str] = {}
        self._groups: dict[int, list[str]] | None = None

    # --- queries ---------------------------------------------------------------

    def _conditions(self, surveys: list[Survey]):
        return [
            Response.survey_id.in_([s.id for s in surveys]),
            Response.visible_filter(self.user),
            *self.filters.response_conditions(),
        ]

    def _responses(self, surveys: list[Survey]) -> Select:
        return (
            select(
                Response.id, Response.survey_id, User.display_name, User.email, Response.organization_id,
                Organization.name, Organization.stakeholder_type, Organization.country, Response.language,
                Response.status, Response.submitted_at, Response.consent, Response.receipt_number,
            )
            .join(User, User.id == Response.respondent_id)
            .outerjoin(Organization, Organization.id == Response.organization_id)
            .where(*self._conditions(surveys))
            .order_by(Response.id)
        )

    def _answers(self, surveys: list[Survey]) -> Select:
        return (
            select(Answer.response_id, Answer.question_id, Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(*self._conditions(surveys))
            .order_by(Answer.response_id, Answer.id)
        )

    def count(self, surveys: list[Survey] | None = None) -> int:
        query = select(func.count(Response.id)).where(*self._conditions(surveys or self.surveys))
        return db.session.scalar(query) or 0

    def _group_names(self) -> dict[int, list[str]]:
        """{organization id: its groups' names}, for the organizations that responded, in one query."""
        if self._groups is None:
            responding = select(Response.organization_id).where(Response.survey_id.in_([s.id for s in self.surveys]))
            names: dict[int, list[str]] = defaultdict(list)
            rows = db.session.execute(
                select(group_organization.c.organization_id, Group)
                .join(Group, Group.id == group_organization.c.group_id)
                .where(group_organization.c.organization_id.in_(responding))
            )
            for organization_id, group in rows:
                names[organization_id].append(self.labels.text(group.name))
            self._groups = {key: sorted(value, key=sort_key) for key, value in names.items()}
        return self._groups

    def _country(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self._countries:
            self._countries[code] = self.labels.value(code, country_name(code, self.labels.lang))
        return self._countries[code]

    def _stream(self, surveys: list[Survey]) -> Iterator[tuple[Any, dict[int, Any]]]:
        """(response row, {question id: value}) per response, merging the two ordered streams."""
        responses = db.session.execute(self._responses(surveys).execution_options(yield_per=BATCH))
        answers = iter(db.session.execute(self._answers(surveys).execution_options(yield_per=BATCH)))
        pending = next(answers, None)
        for row in responses:
            values: dict[int, Any] = {}
            # Both streams are ordered by response id; answers of a response not (or no longer) listed are skipped.
            while pending is not None and pending.response_id <= row.id:
                if pending.response_id == row.id:
                    values[pending.question_id] = pending.value
                pending = next(answers, None)
            yield row, values

    # --- rows --------------------------------------------------------------------

    def _fixed_cells(self, row) -> list[Any]:
        return [
            row.id,
            row.display_name,
            row.email,
            row.name or "",
            self.types.get(row.stakeholder_type, row.stakeholder_type or ""),
            self._country(row.country),
            "; ".join(self._group_names().get(row.organization_id, ())),
            self.languages.get(row.language, row.language),
            self.statuses.get(row.status, row.status),
            row.submitted_at,
            self.consents.get(row.consent, row.consent or ""),
            row.receipt_number or "",
        ]

    def sheets(self) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
        """(sheet name, header, rows) per survey."""
        for layout in self.layouts:
            yield layout.sheet_name, layout.header, self.rows(layout)

    def rows(self, layout: SurveyLayout) -> Iterator[list[Any]]:
        for row, values in self._stream([layout.survey]):
            yield self._fixed_cells(row) + layout.answer_cells(values)

    def summary(self) -> tuple[str, list[str], list[list[Any]]]:
        """Responses per survey and status (after the filters), for the summary sheet."""
        counts = {
            (survey_id, status): number
            for survey_id, status, number in db.session.execute(
                select(Response.survey_id, Response.status, func.count(Response.id))
                .where(*self._conditions(self.surveys))
                .group_by(Response.survey_id, Response.status)
            )
        }
        rows = [
            [self.labels.text(layout.survey.title), self.statuses[status.value],
             counts.get((layout.survey.id, status.value), 0)]
            for layout in self.layouts
            for status in ResponseStatus
        ]
        return self.summary_name, self.summary_header, rows

    # --- JSON ----------------------------------------------------------------------

    def json_chunks(self, exported_at, on_row=None) -> Iterator[str]:
        """The documented JSON (docs/EXPORT_JSON.md), written a response at a time."""
        consultation = self.consultation
        head = {
            "format": "consult-responses",
            "version": 1,
            "exported_at": utc_iso(exported_at),
            "consultation": {"id": consultation.id, "slug": consultation.slug, "title": consultation.title.texts},
            "filters": self.filters.to_args(),
            "surveys": [_survey_json(layout.survey) for layout in self.layouts],
        }
        # The head object, left open (without its closing brace) for the responses array to follow.
        yield json_text(head)[:-1] + ',"responses":['
        codes = {q.question.id: q.question.code for layout in self.layouts for q in layout.questions}
        groups = self._group_names()
        for index, (row, values) in enumerate(self._stream(self.surveys)):
            organization = None
            if row.organization_id is not None:
                organization = {
                    "id": row.organization_id,
                    "name": row.name,
                    "stakeholder_type": row.stakeholder_type,
                    "country": row.country,
                    "groups": groups.get(row.organization_id, []),
                }
            item = {
                "id": row.id,
                "survey_id": row.survey_id,
                "respondent": {"name": row.display_name, "email": row.email},
                "organization": organization,
                "language": row.language,
                "status": row.status,
                "submitted_at": utc_iso(row.submitted_at),
                "consent": row.consent,
                "receipt_number": row.receipt_number,
                "answers": {codes.get(qid, str(qid)): value for qid, value in values.items()},
            }
            yield ("," if index else "") + json_text(item)
            if on_row is not None:
                on_row()
        yield "]}"


def _survey_json(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "title": survey.title.texts,
        "response_policy": survey.response_policy,
        "questions": [
            {
                "code": q.code,
                "type": q.question_type,
                "label": q.label.texts,
                "required": q.required,
                "options": [
                    {"kind": o.kind, "code": o.code, "label": o.label.texts, "is_other": o.is_other}
                    for o in q.options
                ],
            }
            for q in survey.ordered_questions()
        ],
    }
