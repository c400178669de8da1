"""What the printable report page needs beyond the figures: its filter form, its charts, number formats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField, StringField

from consult.comments.models import CommentStatus
from consult.consultations.models import Consultation
from consult.directory.stakeholders import StakeholderType, country_choices
from consult.exports.charts import Bar, bar_chart
from consult.exports.filters import ExportFilters
from consult.exports.report import DocumentResult, Report
from consult.exports.report_questions import QuestionResult, type_label
from consult.i18n import LOCALES, language_name, utcnow
from consult.surveys.models import QuestionType, ResponseStatus
from consult.surveys.response_queries import group_choices

# Paragraphs drawn in a document's chart; the table under it lists them all.
CHART_PARAGRAPHS = 15


class ReportFilterForm(FlaskForm):
    """The report's filters, read from the query string (a GET form: no CSRF token, nothing changes)."""

    class Meta:
        csrf = False

    stakeholder_type = SelectField(_l("Stakeholder type"), choices=[], validate_choice=False)
    group = SelectField(_l("Group"), choices=[], validate_choice=False)
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    language = SelectField(_l("Language"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    date_from = StringField(_l("From (UTC date)"), render_kw={"type": "date"})
    date_to = StringField(_l("To (UTC date, included)"), render_kw={"type": "date"})


def filter_form(args, errors: dict[str, str]) -> ReportFilterForm:
    form = ReportFilterForm(formdata=args)
    form.stakeholder_type.choices = [("", _("All types"))] + [(t.value, t.label) for t in StakeholderType]
    form.group.choices = [("", _("All groups"))] + [(str(g.id), str(g.name)) for g in group_choices()]
    form.country.choices = [("", _("All countries")), *country_choices()]
    form.language.choices = [("", _("All languages"))] + [(code, language_name(code)) for code in LOCALES]
    form.status.choices = {
        "": [("", _("Submitted responses and counted comments"))],
        _("Responses"): [(s.value, s.label) for s in ResponseStatus],
        _("Comments"): [(s.value, s.label) for s in CommentStatus],
    }
    for name, message in errors.items():
        if name in form:
            form[name].errors = [message]
    return form


def number(value) -> str:
    if value is None:
        return "—"
    return format_decimal(value if isinstance(value, (int, Decimal)) else Decimal(str(value)))


def percent(share: float) -> str:
    return format_percent(share, "#,##0.#%")


def _other_language(text) -> str:
    """The language `text` is shown in when it is not the page's (a label not translated yet), else ""."""
    shown = text.render()
    return shown.lang if shown.is_fallback else ""


def question_chart(result: QuestionResult) -> Markup:
    """Counts and shares of a choice, yes/no, scale or multiple-choice question; first places of a ranking."""
    if not result.options:
        return Markup("")
    title = str(result.question.label)
    bars = [Bar(option.label, option.count, number(option.count), percent(option.share)) for option in result.options]
    if result.kind is QuestionType.RANKING:
        return bar_chart(f"question-{result.question.id}", _("%(question)s: ranked first", question=title), bars,
                         _("Option"), _("Ranked first"), _("Share"))
    description = _("Several answers could be chosen: the shares add up to more than 100%.") \
        if result.kind is QuestionType.MULTIPLE_CHOICE else ""
    return bar_chart(f"question-{result.question.id}", title, bars, _("Answer"), _("Respondents"),
                     _("Share of those who answered"), description, title_lang=_other_language(result.question.label))


def participation_charts(report: Report) -> dict[str, Markup]:
    """Responses and comments by stakeholder type, response rates by group, submissions per day."""
    taking_part = report.participation
    charts = {}
    if taking_part.responses:
        charts["types_responses"] = bar_chart(
            "responses-by-type", _("Responses by stakeholder type"),
            [Bar(t.label, t.responses, number(t.responses)) for t in taking_part.by_type],
            _("Stakeholder type"), _("Responses"))
    if taking_part.comments:
        charts["types_comments"] = bar_chart(
            "comments-by-type", _("Comments by stakeholder type"),
            [Bar(t.label, t.comments, number(t.comments)) for t in taking_part.by_type],
            _("Stakeholder type"), _("Comments"))
    if taking_part.rates:
        charts["rates"] = bar_chart(
            "response-rate", _("Response rate by group"),
            [Bar(r.label, r.rate, percent(r.rate), _("%(responded)s of %(organizations)s",
                                                    responded=number(r.responded),
                                                    organizations=number(r.organizations)))
             for r in taking_part.rates],
            _("Group"), _("Response rate"), _("Organizations that responded"))
    if taking_part.days:
        charts["days"] = bar_chart(
            "submissions-per-day", _("Submissions per day (UTC)"),
            [Bar(format_date(d.day, "medium"), d.responses + d.comments, number(d.responses + d.comments),
                 _("%(responses)s responses, %(comments)s comments", responses=number(d.responses),
                   comments=number(d.comments)))
             for d in taking_part.days],
            _("Day"), _("Submissions"), _("Of which"))
    return charts


def document_chart(result: DocumentResult) -> Markup:
    """The most discussed paragraphs of a document, most comments first."""
    bars = [Bar(paragraph_label(p.number), p.count, number(p.count)) for p in result.paragraphs[:CHART_PARAGRAPHS]]
    title = _("Most discussed paragraphs of “%(document)s”", document=result.document.title)
    return bar_chart(f"document-{result.document.id}", title, bars, _("Paragraph"), _("Comments"))


def day(text: str | None) -> str:
    """An ISO date answer in the reader's format."""
    if not text:
        return ""
    try:
        return format_date(date.fromisoformat(text), "medium")
    except ValueError:
        return text


def paragraph_label(number_: int | None) -> str:
    return _("§%(number)s", number=number_) if number_ is not None else _("The document as a whole")


def report_page_context(consultation: Consultation, report: Report | None, filters: ExportFilters,
                        errors: dict[str, str], args) -> dict:
    return {
        "consultation": consultation,
        "report": report,
        "now": utcnow(),
        "filters": filters,
        "errors": errors,
        "form": filter_form(args, errors),
        "query": filters.to_args() if not errors else {},
        "number": number,
        "percent": percent,
        "question_chart": question_chart,
        "participation_charts": participation_charts(report) if report else {},
        "document_chart": document_chart,
        "paragraph_label": paragraph_label,
        "day": day,
        "type_label": type_label,
        "QuestionType": QuestionType,
    }
