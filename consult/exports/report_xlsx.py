"""The summary report as a workbook: a summary sheet with a native chart per choice question, then the tables.

Written through the shared XlsxBook (constant memory, text always written as
text). A chart title is text too: xlsxwriter reads a title starting with "="
as a cell reference, so such a title gets an invisible zero-width space first.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import case

from consult.directory.stakeholders import StakeholderType, country_name
from consult.exports.report import Report, Scope
from consult.exports.report_page import paragraph_label
from consult.exports.report_questions import NO_ORGANIZATION, SurveyCounter, type_key, type_label
from consult.exports.spreadsheet import XlsxBook
from consult.extensions import db
from consult.i18n import utcnow
from consult.surveys.json_sql import json_sql_for
from consult.surveys.models import Answer, QuestionType, Response

CHART_KINDS = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.YES_NO, QuestionType.SCALE,
               QuestionType.RANKING)
CHART_ROWS = 16  # the height a chart takes on the summary sheet, in rows
CHART_COLUMN = 4
CHART_TITLE_LENGTH = 120
BATCH = 1000


def write_report(report: Report) -> str:
    """Write the workbook and return its path (the caller streams and removes it)."""
    book = XlsxBook()
    try:
        _SummarySheet(book, report).write()
        book.add_sheet(_("By stakeholder type"), *_by_type_table(report))
        book.add_sheet(_("Free-text answers"),
                       [_("Questionnaire"), _("Code"), _("Question"), _("Stakeholder type"), _("Country"),
                        _("Answer")],
                       _free_texts(report), widths=[24, 8, 40, 22, 18, 80])
        book.add_sheet(_("Participation"), [_("Breakdown"), _("Name"), _("Responses"), _("Comments")],
                       _participation_rows(report), widths=[20, 40, 12, 12])
        book.add_sheet(_("Response rate"), [_("Group"), _("Organizations"), _("Responded"), _("Response rate")],
                       ([r.label, r.organizations, r.responded, round(r.rate, 4)] for r in report.participation.rates),
                       widths=[40, 14, 14, 14])
        book.add_sheet(_("Over time"), [_("Day (UTC)"), _("Responses"), _("Comments")],
                       ([d.day.isoformat(), d.responses, d.comments] for d in report.participation.days))
        book.add_sheet(_("Comments"), [_("Document"), _("Breakdown"), _("Name"), _("Comments")],
                       _comment_rows(report), widths=[40, 20, 30, 12])
        if report.campaigns is not None:
            book.add_sheet(_("Campaigns"), [_("Campaign"), _("Kind"), _("Texts"), _("Representative text")],
                           ([g.number, _("Survey answers") if g.kind == "answer" else _("Comments"), g.size,
                             g.representative] for g in report.campaigns),
                           widths=[10, 18, 10, 80])
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(book.close())
        raise
    return book.close()


class _SummarySheet:
    """Question by question: the counts, and beside them a bar chart drawn from those very cells."""

    def __init__(self, book: XlsxBook, report: Report) -> None:
        self.book = book
        self.report = report
        self.name = _("Summary")[:31]
        self.sheet = book.workbook.add_worksheet(self.name)
        self.bold = book.header_format
        self.share = book.workbook.add_format({"num_format": "0.0%"})
        self.row = 0

    def text(self, column: int, value, bold: bool = False) -> None:
        self.book.write_text(self.sheet, self.row, column, str(value), self.bold if bold else self.book.wrap_format)

    def number(self, column: int, value, share: bool = False) -> None:
        if value is not None:
            self.sheet.write_number(self.row, column, float(value), self.share if share else None)

    def write(self) -> None:
        self.sheet.set_column(0, 0, 48)
        self.sheet.set_column(1, 2, 14)
        self.text(0, _("Summary report"), bold=True)
        self.row += 1
        self.text(0, self.report.consultation.title)
        self.row += 1
        self.text(0, _("Generated on %(moment)s (UTC).", moment=utcnow().strftime("%Y-%m-%d %H:%M")))
        self.row += 2
        for survey in self.report.surveys:
            self.text(0, survey.survey.title, bold=True)
            self.number(1, survey.respondents)
            self.text(2, _("responses counted"))
            self.row += 2
            for question in survey.questions:
                self.question(question)
        if not self.report.surveys:
            self.text(0, _("This consultation has no published questionnaire."))

    def question(self, result) -> None:
        kind = result.kind
        start = self.row
        self.text(0, f"{result.question.code}. {result.question.label}", bold=True)
        self.text(1, _("Answered"))
        self.number(2, result.answered)
        self.row += 1
        if kind in CHART_KINDS and result.options:
            self.choices(result, start)
        elif kind is QuestionType.NUMBER and result.summary:
            self.summary(result.summary)
        elif kind is QuestionType.MATRIX:
            self.matrix(result)
        elif kind is QuestionType.DATE and result.earliest:
            for label, value in ((_("Earliest"), result.earliest), (_("Latest"), result.latest)):
                self.text(0, label)
                self.text(1, value)
                self.row += 1
        elif kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            self.text(0, _("The answers whose respondents allow it are in the sheet “Free-text answers”."))
            self.row += 1
        self.row += 1

    def choices(self, result, start: int) -> None:
        ranking = result.kind is QuestionType.RANKING
        self.text(0, _("Option") if ranking else _("Answer"), bold=True)
        self.text(1, _("Ranked first") if ranking else _("Respondents"), bold=True)
        self.text(2, _("Share"), bold=True)
        if ranking:
            self.text(3, _("Average place"), bold=True)
        self.row += 1
        first = self.row
        places = {row.label: row.average_place for row in result.ranking}
        for option in result.options:
            self.text(0, option.label)
            self.number(1, option.count)
            self.number(2, round(option.share, 4), share=True)
            if ranking:
                self.number(3, places.get(option.label))
            self.row += 1
        last = self.row - 1
        chart = self.book.workbook.add_chart({"type": "bar"})
        title = chart_title(f"{result.question.code}. {result.question.label}")
        chart.add_series({
            "name": title,
            "categories": [self.name, first, 0, last, 0],
            "values": [self.name, first, 1, last, 1],
            "data_labels": {"value": True},
        })
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"min": 0})
        self.sheet.insert_chart(start, CHART_COLUMN, chart, {"x_scale": 1.2, "y_scale": 0.95})
        if result.summary:
            self.summary(result.summary)
        self.row = max(self.row, start + CHART_ROWS)

    def summary(self, summary) -> None:
        for label, value in ((_("Average"), summary.average), (_("Median"), summary.median),
                             (_("Lowest"), summary.minimum), (_("Highest"), summary.maximum)):
            self.text(0, label)
            self.number(1, value)
            self.row += 1

    def matrix(self, result) -> None:
        self.text(0, _("Row"), bold=True)
        for column, label in enumerate(result.matrix_columns, start=1):
            self.text(column, label, bold=True)
        self.row += 1
        for label, counts in result.matrix_rows:
            self.text(0, label)
            for column, count in enumerate(counts, start=1):
                self.number(column, count)
            self.row += 1


def chart_title(text: str, limit: int = CHART_TITLE_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return "\u200b" + text if text.startswith("=") else text


def _type_keys() -> list[str]:
    return [t.value for t in StakeholderType] + [NO_ORGANIZATION]


def _by_type_table(report: Report):
    keys = _type_keys()
    header = [_("Questionnaire"), _("Code"), _("Question"), _("Answer"), *[type_label(k) for k in keys], _("Total")]

    def rows() -> Iterator[list]:
        for survey in report.surveys:
            for result in survey.questions:
                if not result.option_by_type:
                    continue
                for option in result.options:
                    counts = [result.option_by_type.get(option.code, {}).get(k, 0) for k in keys]
                    yield [str(survey.survey.title), result.question.code, str(result.question.label), option.label,
                           *counts, option.count]
                answered = [result.answered_by_type.get(k, 0) for k in keys]
                yield [str(survey.survey.title), result.question.code, str(result.question.label),
                       _("Answered the question"), *answered, result.answered]

    return header, rows(), [24, 8, 40, 30] + [14] * (len(keys) + 1)


def _free_texts(report: Report) -> Iterator[list]:
    """Every listable text answer (never those whose respondents refused publication), streamed."""
    sql = json_sql_for(db.session)
    scope = Scope(report.consultation, report.filters).responses()
    for survey in report.surveys:
        counter = SurveyCounter(survey.survey, scope, sql)
        order = {q.id: index for index, q in enumerate(counter.questions)}
        text_ids, other_ids = counter.text_question_ids()
        if not (text_ids or other_ids):
            continue
        questions = {q.id: q for q in counter.questions}
        query = counter.text_query(text_ids, other_ids).order_by(
            case(order, value=Answer.question_id), Response.submitted_at, Response.id)
        for question_id, text, stakeholder_type, country in db.session.execute(
                query.execution_options(yield_per=BATCH)):
            question = questions[question_id]
            yield [str(survey.survey.title), question.code, str(question.label),
                   type_label(type_key(stakeholder_type)), country_name(country) if country else "", text]


def _participation_rows(report: Report) -> Iterator[list]:
    taking_part = report.participation
    for breakdown, rows in ((_("Stakeholder type"), taking_part.by_type), (_("Country"), taking_part.by_country),
                            (_("Group"), taking_part.by_group)):
        for row in rows:
            yield [breakdown, row.label, row.responses, row.comments]


def _comment_rows(report: Report) -> Iterator[list]:
    for result in report.documents:
        title = str(result.document.title) if result.document else _("General discussion")
        if result.document:
            for paragraph in result.paragraphs:
                yield [title, _("Paragraph"), paragraph_label(paragraph.number), paragraph.count]
        for label, count in result.by_type:
            yield [title, _("Type of comment"), label, count]
        for label, count in result.by_stakeholder:
            yield [title, _("Stakeholder type"), label, count]

