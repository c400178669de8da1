"""Rows of the responses export: one per response, one column per question (expanded where a question holds several
values), read in response order and assembled as they stream.

Responses come from one query ordered by response id and read in batches
(`yield_per`: a server-side cursor on PostgreSQL), each carrying its answers
as one JSON object aggregated by the database, so memory holds one batch,
never the whole survey.
"""

from __future__ import annotations

import json
from collections import defaultdict, namedtuple
from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import selectinload

from consult.consultations.models import Consultation
from consult.directory.models import Group, Organization, User, group_organization
from consult.directory.stakeholders import STAKEHOLDER_LABELS, country_name, sort_key
from consult.exports.export_labels import Labels, json_text, utc_iso
from consult.exports.filters import ExportFilters
from consult.exports.spreadsheet import FORMULA_STARTS, csv_cells, csv_field, csv_line
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
CSV_MEMO_SIZE = 4096  # distinct values remembered per question (see QuestionColumns.csv_cells)

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
        self.key = str(question.id)  # how the answers of a response are keyed (JSON object keys are text)
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
            self.row_codes = [row.code for row in self.rows]
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
        self.blank = [None] * self.width
        # How a value of the expected shape fills the columns (None, or an error, when it has another shape).
        self.fill = _CELLS_BY_KIND.get(self.kind, QuestionColumns._text).__get__(self)
        # The short way for the commonest answers, which fill one column: a value of class `plain_class`
        # goes in as stored (text, date, scale) or through `lookup` (an option code, yes/no).
        self.plain_class: type | None = None
        self.lookup: dict[str, str] | None = None
        if self.kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT, QuestionType.DATE):
            self.plain_class = str
        elif self.kind is QuestionType.SCALE:
            self.plain_class = int
        elif self.kind is QuestionType.YES_NO:
            self.plain_class, self.lookup = str, self.yes_no
        elif self.kind is QuestionType.SINGLE_CHOICE and not self.has_other:
            self.plain_class, self.lookup = str, self.options
        # The CSV writes the same cells as one piece of a line: csv_cells() makes them text (neutralised), and
        # they are quoted and joined as the csv module would. Labels are made so once, here, and so are the pieces
        # of values that repeat (choices, rankings, matrices), up to CSV_MEMO_SIZE of them.
        self.csv_lookup = {code: csv_line(csv_cells([label])) for code, label in self.lookup.items()} \
            if self.lookup else None
        self.csv_blank = "," * (self.width - 1)
        self._csv_memo: dict[Any, str] = {}

    def cells(self, value: Any) -> list[Any]:
        """The columns a stored value (not None) fills, or the value as stored when it has another shape."""
        try:
            filled = self.fill(value)
        except (AttributeError, TypeError, ValueError, KeyError):
            filled = None
        return filled if filled is not None and len(filled) == self.width else self.as_stored(value)

    def csv_piece(self, value: Any) -> str:
        """`cells` as the CSV writes them, joined. Remembered by value: a list or an object by its items (the same
        JSON shape always gives the same cells; only values the answer form never stores, such as true beside 1 in
        one question, could share a key)."""
        kind = value.__class__
        key = value if kind is str else tuple(value) if kind is list else tuple(value.items()) if kind is dict else None
        memo = self._csv_memo
        try:
            found = memo.get(key) if key is not None else None
        except TypeError:  # a list or an object holding lists or objects
            key = found = None
        if found is None:
            found = csv_line(csv_cells(self.cells(value)))
            if key is not None and len(memo) < CSV_MEMO_SIZE:
                memo[key] = found
        return found

    def as_stored(self, value: Any) -> list[Any]:
        """A value of an unexpected shape is exported as stored rather than lost."""
        return [value if isinstance(value, str) else json_text(value)] + [None] * (self.width - 1)

    def _option(self, code: Any) -> str:
        return self.options.get(code, str(code))  # a code no longer offered: as stored

    # One way of filling the columns per kind of question, chosen once (`_CELLS_BY_KIND`): a value of another
    # shape gives None (or raises), and `SurveyLayout.answer_cells` exports it as stored.

    def _single_choice(self, value: Any) -> list[Any] | None:
        choice, other = (value["choice"], value.get("other")) if isinstance(value, dict) else (value, None)
        return [self._option(choice), other] if self.has_other else [self._option(choice)]

    def _multiple_choice(self, value: Any) -> list[Any] | None:
        chosen, other = (value["choices"], value.get("other")) if isinstance(value, dict) else (value, None)
        if not isinstance(chosen, list):
            return None
        options = self.options
        cells: list[Any] = [1 if code in chosen else 0 for code in self.option_codes]
        cells.append("; ".join([options.get(code) or str(code) for code in chosen]))
        if self.has_other:
            cells.append(other)
        return cells

    def _ranking(self, value: Any) -> list[Any] | None:
        if not isinstance(value, list) or len(value) > self.width:
            return None
        options = self.options
        ranked = [options.get(code) or str(code) for code in value]
        return ranked + [None] * (self.width - len(ranked))

    def _matrix(self, value: Any) -> list[Any] | None:
        if not isinstance(value, dict):
            return None
        columns = self.columns
        return [columns.get(chosen, chosen) for chosen in map(value.get, self.row_codes)]

    def _yes_no(self, value: Any) -> list[Any] | None:
        return [self.yes_no.get(value, value)]

    def _number(self, value: Any) -> list[Any] | None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None  # a list or an object is no number: exported as stored (JSON), not as Python's repr
        return [_number(value)]

    def _file(self, value: Any) -> list[Any] | None:
        return [value["filename"]] if isinstance(value, dict) else None

    def _scale(self, value: Any) -> list[Any] | None:
        return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def _text(self, value: Any) -> list[Any] | None:
        return [value] if isinstance(value, str) else None


_CELLS_BY_KIND = {
    QuestionType.SINGLE_CHOICE: QuestionColumns._single_choice,
    QuestionType.MULTIPLE_CHOICE: QuestionColumns._multiple_choice,
    QuestionType.RANKING: QuestionColumns._ranking,
    QuestionType.MATRIX: QuestionColumns._matrix,
    QuestionType.YES_NO: QuestionColumns._yes_no,
    QuestionType.NUMBER: QuestionColumns._number,
    QuestionType.FILE: QuestionColumns._file,
    QuestionType.SCALE: QuestionColumns._scale,
}


# --- Reading the rows ------------------------------------------------------------------

# The columns of `ResponsesExport._responses`, in order, with their PostgreSQL types for COPY.
ROW_COLUMNS = (
    ("id", "int4"), ("survey_id", "int4"), ("display_name", "text"), ("email", "text"),
    ("organization_id", "int4"), ("name", "text"), ("stakeholder_type", "text"), ("country", "text"),
    ("language", "text"), ("status", "text"), ("submitted_at", "timestamptz"), ("consent", "text"),
    ("receipt_number", "text"), ("answers", "text"),
)
ExportRow = namedtuple("ExportRow", [name for name, _type in ROW_COLUMNS])


def _copied_rows(connection, query: Select) -> Iterator[ExportRow]:
    """PostgreSQL: the query's rows through COPY ... TO STDOUT, in the session's transaction.

    The server streams COPY output without waiting to be asked for each batch, so it computes the next rows
    while these are written out; a server-side cursor would make it wait for every FETCH. Memory stays flat:
    rows are read from the socket as they are used.
    """
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    assert [column.name for column in query.selected_columns] == list(ExportRow._fields)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY ({compiled}) TO STDOUT", compiled.construct_params()) as copy:
            copy.set_types([type_name for _name, type_name in ROW_COLUMNS])
            make = ExportRow._make
            for values in copy.rows():
                row = make(values)
                if row.submitted_at is not None:  # in the session's time zone: the export speaks UTC
                    row = row._replace(submitted_at=row.submitted_at.astimezone(UTC))
                yield row
    finally:
        cursor.close()


def _streamed_rows(connection, query: Select) -> Iterator[Any]:
    """Other databases (SQLite): a Core result read in batches, without the ORM's per-row bookkeeping."""
    streamed = connection.execution_options(stream_results=True, max_row_buffer=BATCH)
    yield from streamed.execute(query).yield_per(BATCH)


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
        self._csv_plan = [(q.key, q.plain_class, q.csv_lookup, q.csv_blank, q) for q in self.questions]
        # Numbered, so that two surveys with the same title still get two sheets (sheet names must be unique).
        self.sheet_name = f"{number} {labels.text(survey.title)}"

    def answer_cells(self, values: dict[str, Any]) -> list[Any]:
        # The hot loop of the XLSX and JSON-less exports: text answers take the short way.
        cells: list[Any] = []
        append, extend, get = cells.append, cells.extend, values.get
        for question in self.questions:
            value = get(question.key)
            if value is None:
                extend(question.blank)
            elif value.__class__ is question.plain_class:
                lookup = question.lookup
                append(value if lookup is None else lookup.get(value, value))
            else:
                extend(question.cells(value))
        return cells

    def csv_answer_pieces(self, values: dict[str, Any]) -> list[str]:
        """The answers' part of a CSV line, a piece per question: `answer_cells` as csv_cells() makes them, quoted
        as the csv module quotes. The hot loop of every CSV export."""
        pieces: list[str] = []
        append, get = pieces.append, values.get
        starts, field = FORMULA_STARTS, csv_field
        for key, plain_class, csv_lookup, blank, question in self._csv_plan:
            value = get(key)
            if value is None:
                append(blank)
            elif value.__class__ is plain_class:
                if csv_lookup is not None:
                    piece = csv_lookup.get(value)
                    append(piece if piece is not None else field("'" + value if value[:1] in starts else value))
                elif plain_class is str:
                    append(field("'" + value if value[:1] in starts else value))
                else:
                    append(str(value))  # a whole number
            else:
                append(question.csv_piece(value))
        return pieces


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
                self._answers_json().label("answers"),
            )
            .join(User, User.id == Response.respondent_id)
            .outerjoin(Organization, Organization.id == Response.organization_id)
            .where(*self._conditions(surveys))
            .order_by(Response.id)
        )

    def _answers_json(self):
        """A response's answers as one JSON object text, {question id: value}, aggregated by the database.

        One row per response instead of one per answer, and no per-value JSON
        decoding in the driver: the export decodes one object per response.
        """
        if db.session.get_bind().dialect.name == "postgresql":
            aggregate = func.json_object_agg(Answer.question_id, Answer.value)
        else:
            aggregate = func.json_group_object(Answer.question_id, func.json(Answer.value))
        return select(cast(aggregate, Text)).where(Answer.response_id == Response.id).scalar_subquery()

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

    def _stream(self, surveys: list[Survey]) -> Iterator[tuple[Any, dict[str, Any]]]:
        """(response row, {question id as text: value}) per response, read as the rows go out."""
        self._group_names()  # read now: the connection can run no other query while COPY streams
        connection = db.session.connection()
        rows = (_copied_rows(connection, self._responses(surveys)) if connection.dialect.name == "postgresql"
                else _streamed_rows(connection, self._responses(surveys)))
        loads = json.loads
        for row in rows:
            yield row, loads(row.answers) if row.answers else {}

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

    def csv_table(self) -> tuple[list[str], Iterator[str]]:
        """The header and the lines of the CSV (one survey): what stream_csv would write for `sheets()`."""
        (layout,) = self.layouts
        return layout.header, self._csv_lines(layout)

    def _csv_lines(self, layout: SurveyLayout) -> Iterator[str]:
        for row, values in self._stream([layout.survey]):
            pieces = layout.csv_answer_pieces(values)
            pieces.insert(0, csv_line(csv_cells(self._fixed_cells(row))))
            yield ",".join(pieces) + "\r\n"

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
        codes = {q.key: q.question.code for layout in self.layouts for q in layout.questions}
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
