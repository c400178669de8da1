"""Public results: what anyone, signed in or not, may read of a consultation once a moderator publishes its results.

When: the consultation is published, closed (or archived) and `results_published_at` is set (`results_are_public`,
the one copy of the rule). Publishing is refused before the consultation closes. If a manager later extends the
consultation it is open again, and its results page disappears until it closes.

What:
- Aggregated results of every published questionnaire — single and multiple choice, yes/no and scale questions
  (counts and percentages), number questions (count, average, median, lowest, highest) — over every submitted
  response. A count names no one, so responses whose authors refused publication count too; drafts never do.
- The submitted responses whose authors allowed publication: "named" with the respondent's name and organization,
  "anonymous" with the stakeholder type only, "none" never. Free text is shown as plain (escaped) text. File
  answers are never shown: an uploaded file is not a result.
- Comments: only on a PUBLIC consultation, and only what the least privileged reader of the site may read there:
  `Comment.visible_filter(ORDINARY_READER)` — a signed-in participant with no organization, no role and no comment
  of their own — which keeps published, audience-visible comments only (never pending, rejected, hidden, withdrawn
  or confidential ones). Reusing the filter for "an ordinary participant of the audience" would be wrong for
  anonymous visitors: on a RESTRICTED consultation the audience is a chosen set of organizations, and its comments
  were written for them, not for the world. Restricted consultations therefore publish aggregated results and the
  consenting responses only, never comments.

Every page loads in a fixed number of queries: the counts are grouped in SQL, lists are paginated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from consult import audit
from consult.comments.models import Comment, CommentType
from consult.consultations.models import Consultation, ConsultationState
from consult.directory.stakeholders import StakeholderType
from consult.exports import charts
from consult.extensions import db
from consult.i18n import utcnow
from consult.security import Role
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
from consult.surveys.response_display import ShownAnswer, describe_all
from consult.surveys.validation import scale_bounds

CLOSED_STATES = (ConsultationState.CLOSED, ConsultationState.ARCHIVED)
COUNTED_TYPES = (
    QuestionType.SINGLE_CHOICE,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.YES_NO,
    QuestionType.SCALE,
    QuestionType.NUMBER,
)
PUBLISHABLE_CONSENTS = (PublicationConsent.NAMED.value, PublicationConsent.ANONYMOUS.value)
NO_ORGANIZATION = _l("No organization")


class Refused(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


class _OrdinaryReader:
    """The least privileged signed-in reader: a participant of no organization who wrote nothing."""

    id = -1  # no author has this id
    organization_id = None
    organization = None
    is_authenticated = True
    active = True

    @staticmethod
    def has_role(minimum: Role) -> bool:
        return minimum is Role.PARTICIPANT


ORDINARY_READER = _OrdinaryReader()


def stakeholder_label(code: str | None) -> str:
    """A stakeholder type as a reader names it; texts of people without an organization have none."""
    try:
        return StakeholderType(code).label
    except ValueError:
        return str(NO_ORGANIZATION)


# --- When results are public, and publishing them ----------------------------------


def results_are_public(consultation: Consultation) -> bool:
    return (
        consultation.published_at is not None
        and consultation.results_published_at is not None
        and consultation.state in CLOSED_STATES
    )


def publish_results(actor, consultation: Consultation) -> bool:
    """Make the results public; False (and nothing written) if they already are."""
    if not consultation.can_manage(actor):
        raise Refused(_("You do not manage this consultation."), 403)
    if consultation.state not in CLOSED_STATES:
        raise Refused(_("Results can be published once the consultation has closed."))
    if consultation.results_published_at is not None:
        return False
    consultation.results_published_at = utcnow()
    audit.record(actor, "results_published", consultation)
    db.session.commit()
    return True


def unpublish_results(actor, consultation: Consultation) -> bool:
    """Take the results page down; False (and nothing written) if it was not published."""
    if not consultation.can_manage(actor):
        raise Refused(_("You do not manage this consultation."), 403)
    if consultation.results_published_at is None:
        return False
    consultation.results_published_at = None
    audit.record(actor, "results_unpublished", consultation)
    db.session.commit()
    return True


# --- Aggregated results --------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int
    share: float  # of the people who answered the question, 0 to 1


@dataclass
class NumberSummary:
    average: Decimal
    median: Decimal
    lowest: Decimal
    highest: Decimal


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    summary: NumberSummary | None = None  # number questions
    average: Decimal | None = None  # scale questions

    @property
    def several_choices(self) -> bool:
        return self.question.kind is QuestionType.MULTIPLE_CHOICE


@dataclass
class SurveyResult:
    survey: Survey
    responses: int
    questions: list[QuestionResult]


def published_surveys(consultation: Consultation) -> list[Survey]:
    return list(
        db.session.scalars(
            select(Survey)
            .where(Survey.consultation_id == consultation.id, Survey.published_at.is_not(None))
            .order_by(Survey.position, Survey.id)
            .options(
                selectinload(Survey.sections),
                selectinload(Survey.questions).selectinload(Question.options),
                selectinload(Survey.questions).selectinload(Question.conditions),
            )
        )
    )


def survey_results(surveys: list[Survey]) -> list[SurveyResult]:
    """Counts per question of the surveys, from two grouped queries whatever the number of responses."""
    survey_ids = [s.id for s in surveys]
    counted = {q.id: q for s in surveys for q in s.questions if q.kind in COUNTED_TYPES}
    responses: dict[int, int] = {}
    tallies: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    if survey_ids:
        responses = dict(
            db.session.execute(
                select(Response.survey_id, func.count())
                .where(Response.survey_id.in_(survey_ids), Response.status == ResponseStatus.SUBMITTED.value)
                .group_by(Response.survey_id)
            ).all()
        )
    if counted:
        rows = db.session.execute(
            select(Answer.question_id, Answer.value, func.count())
            .join(Response, Answer.response_id == Response.id)
            .where(Answer.question_id.in_(list(counted)), Response.status == ResponseStatus.SUBMITTED.value)
            .group_by(Answer.question_id, Answer.value)
        )
        for question_id, value, number in rows:
            tallies[question_id].append((value, number))
    return [
        SurveyResult(
            survey,
            responses.get(survey.id, 0),
            [_question_result(q, tallies[q.id]) for q in survey.ordered_questions() if q.id in counted],
        )
        for survey in surveys
    ]


def _question_result(question: Question, tally: list[tuple[Any, int]]) -> QuestionResult:
    kind = question.kind
    if kind is QuestionType.NUMBER:
        return _number_result(question, tally)
    counts: dict[str, int] = defaultdict(int)
    answered = 0
    for value, number in tally:
        codes = _codes(kind, value)
        if codes:
            answered += number
            for code in codes:
                counts[code] += number
    result = QuestionResult(question, answered)
    for code, label in _categories(question, counts):
        share = counts.get(code, 0) / answered if answered else 0.0
        result.bars.append(Bar(label, counts.get(code, 0), share))
    if kind is QuestionType.SCALE and answered:
        total = sum(int(code) * number for code, number in counts.items())
        result.average = Decimal(total) / Decimal(answered)
    return result


def _codes(kind: QuestionType, value: Any) -> list[str]:
    """The categories one stored answer counts in (the shapes of consult/surveys answers)."""
    if kind is QuestionType.SINGLE_CHOICE:
        code = value.get("choice") if isinstance(value, dict) else value
        return [code] if isinstance(code, str) and code else []
    if kind is QuestionType.MULTIPLE_CHOICE:
        codes = value.get("choices", []) if isinstance(value, dict) else value
        return list(dict.fromkeys(c for c in codes if isinstance(c, str))) if isinstance(codes, list) else []
    if kind is QuestionType.YES_NO:
        return [value] if value in ("yes", "no") else []
    if kind is QuestionType.SCALE:
        return [str(value)] if isinstance(value, int) and not isinstance(value, bool) else []
    return []


def _categories(question: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
    """(code, label) of every category, in the questionnaire's order; codes no longer offered come last."""
    kind = question.kind
    if kind is QuestionType.YES_NO:
        categories = [("yes", _("Yes")), ("no", _("No"))]
    elif kind is QuestionType.SCALE:
        low, high = scale_bounds(question)
        categories = [(str(point), str(point)) for point in range(low, high + 1)]
    else:
        categories = [(o.code, str(o.label)) for o in question.options_of(OptionKind.OPTION)]
    known = {code for code, _label in categories}
    return categories + [(code, code) for code in sorted(counts) if code not in known]


def _number_result(question: Question, tally: list[tuple[Any, int]]) -> QuestionResult:
    values: list[tuple[Decimal, int]] = []
    for value, number in tally:
        try:
            values.append((Decimal(str(value)), number))
        except (InvalidOperation, ValueError):
            continue  # not a number: left out of the figures rather than guessed
    values = [(v, n) for v, n in values if v.is_finite()]
    answered = sum(n for _v, n in values)
    if not answered:
        return QuestionResult(question, 0)
    values.sort()
    average = sum(v * n for v, n in values) / answered
    return QuestionResult(question, answered,
                          summary=NumberSummary(average, _median(values, answered), values[0][0], values[-1][0]))


def _median(values: list[tuple[Decimal, int]], total: int) -> Decimal:
    """The median of sorted (value, count) pairs."""
    wanted = [(total - 1) // 2, total // 2]  # the middle place(s), 0-based
    found: list[Decimal] = []
    seen = 0
    for value, number in values:
        while wanted and wanted[0] < seen + number:
            found.append(value)
            wanted.pop(0)
        seen += number
    return (found[0] + found[1]) / 2


# --- Responses whose authors allowed publication -------------------------------------


@dataclass
class PublicResponse:
    survey: Survey
    named: bool
    respondent: str  # empty when anonymous
    organization: str  # empty when anonymous
    stakeholder_type: str
    answers: list[ShownAnswer]


def published_responses_page(consultation: Consultation, surveys: list[Survey]) -> Pagination:
    """One page of the submitted responses whose authors allowed publication, as a visitor may read them."""
    query = (
        select(Response)
        .join(Survey, Response.survey_id == Survey.id)
        .where(
            Survey.consultation_id == consultation.id,
            Survey.published_at.is_not(None),
            Response.status == ResponseStatus.SUBMITTED.value,
            Response.consent.in_(PUBLISHABLE_CONSENTS),
        )
        .order_by(Survey.position, Survey.id, Response.submitted_at, Response.id)
        .options(joinedload(Response.respondent), joinedload(Response.organization), selectinload(Response.answers))
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=True)
    by_id = {s.id: s for s in surveys}
    page.items = [_public_response(by_id[r.survey_id], r) for r in page.items]
    return page


def _public_response(survey: Survey, response: Response) -> PublicResponse:
    questions = [q for q in survey.ordered_questions() if q.kind is not QuestionType.FILE]
    described = describe_all(questions, {a.question_id: a.value for a in response.answers}, {})
    answers = [described[q.id] for q in questions if described[q.id].kind not in ("hidden", "none")]
    organization = response.organization
    stakeholder = stakeholder_label(organization.stakeholder_type if organization else None)
    named = response.consent == PublicationConsent.NAMED.value
    return PublicResponse(
        survey=survey,
        named=named,
        respondent=response.respondent.display_name if named else "",
        organization=(organization.name if organization else "") if named else "",
        stakeholder_type=stakeholder,
        answers=answers,
    )


# --- Comments ----------------------------------------------------------------------------


def shows_comments(consultation: Consultation) -> bool:
    """Comments are published with the results of public consultations only (see the module docstring)."""
    return not consultation.is_restricted


def comment_type_label(code: str) -> str:
    try:
        return CommentType(code).label
    except ValueError:
        return code


def published_comments_page(consultation: Consultation) -> Pagination | None:
    if not shows_comments(consultation):
        return None
    query = (
        select(Comment)
        .where(Comment.consultation_id == consultation.id, Comment.visible_filter(ORDINARY_READER))
        .order_by(Comment.created_at, Comment.id)
        .options(
            joinedload(Comment.author),
            joinedload(Comment.organization),
            joinedload(Comment.document),
            joinedload(Comment.paragraph),
            joinedload(Comment.response),
        )
    )
    return db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=True)


# --- Charts (consult/exports/charts.py, shared with the summary report) -------------------------


def question_chart(result: QuestionResult) -> Markup:
    """The bars of one question as an SVG chart followed by the same figures in a table."""
    question = result.question
    bars = [charts.Bar(bar.label, bar.count, format_decimal(bar.count), format_percent(bar.share))
            for bar in result.bars]
    return charts.bar_chart(
        f"question-{question.id}-chart",
        _("Answers to %(code)s: count and share of respondents", code=question.code),
        bars,
        label_header=_("Answer"),
        value_header=_("Count"),
        note_header=_("Share"),
    )
