"""The summary report of a consultation: survey results, comments per document, participation, campaigns.

Everything is counted in SQL with grouped queries; the number of queries
depends on the number of surveys and documents, never on the number of
responses or comments. The same figures feed the printable page and the XLSX.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import aliased, selectinload

from consult.comments.models import Comment, CommentStatus, CommentType
from consult.consultations.models import Consultation, Paragraph, WorkingDocument
from consult.directory.models import Group, Organization, group_organization
from consult.directory.stakeholders import StakeholderType, country_name, sort_key
from consult.exports.campaign_analysis import current_campaigns
from consult.exports.filters import ExportFilters
from consult.exports.report_questions import (
    NO_ORGANIZATION,
    TEXT_LIMIT,
    SurveyCounter,
    SurveyResult,
    type_key,
    type_label,
)
from consult.extensions import db
from consult.surveys.json_sql import json_sql_for
from consult.surveys.models import Question, Response, Survey
from consult.surveys.tallies import TALLIED_STATUSES, ensure_tallies

# What a report counts unless a status filter says otherwise (what the survey tallies count).
COUNTED_RESPONSE_STATUSES = TALLIED_STATUSES
# Comments that count as contributions: everything but what was taken back or turned down.
COUNTED_COMMENT_STATUSES = (CommentStatus.PENDING.value, CommentStatus.PUBLISHED.value, CommentStatus.HIDDEN.value)
CAMPAIGN_LIMIT = 20
# Days of "submissions over time" filled in with zeros; a longer span lists only the days with submissions.
MAX_FILLED_DAYS = 400

# Own aliases, so that the filters' subqueries on these tables are never correlated with the report's joins.
ContributorOrganization = aliased(Organization, name="contributor_organization")
Membership = group_organization.alias("membership")


@dataclass
class Tally:
    """One row of a participation table: a label and how many responses and comments it has."""

    label: str
    responses: int = 0
    comments: int = 0


@dataclass
class GroupRate:
    label: str
    organizations: int
    responded: int

    @property
    def rate(self) -> float:
        return self.responded / self.organizations if self.organizations else 0.0


@dataclass
class DayCount:
    day: date
    responses: int = 0
    comments: int = 0


@dataclass
class Participation:
    by_type: list[Tally]
    by_country: list[Tally]
    by_group: list[Tally]
    rates: list[GroupRate]
    days: list[DayCount]

    @property
    def responses(self) -> int:
        return sum(t.responses for t in self.by_type)

    @property
    def comments(self) -> int:
        return sum(t.comments for t in self.by_type)


@dataclass
class ParagraphCount:
    number: int | None  # None: comments on the document as a whole
    count: int


@dataclass
class DocumentResult:
    document: WorkingDocument | None  # None: the consultation's general discussion
    total: int = 0
    paragraphs: list[ParagraphCount] = field(default_factory=list)  # most discussed first
    by_type: list[tuple[str, int]] = field(default_factory=list)  # (comment type label, count)
    by_stakeholder: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Report:
    consultation: Consultation
    filters: ExportFilters
    surveys: list[SurveyResult]
    documents: list[DocumentResult]
    participation: Participation
    campaigns: list | None  # None: not worked out yet (see campaigns_pending)
    text_limit: int
    campaigns_pending: bool = False  # newer groups are being worked out in the background
    campaigns_as_of: datetime | None = None


class Scope:
    """The responses and comments a report covers: its filters, and by default only what counts."""

    def __init__(self, consultation: Consultation, filters: ExportFilters) -> None:
        self.consultation = consultation
        self.filters = filters

    def responses(self) -> list:
        conditions = self.filters.response_conditions()
        if not self.filters.response_statuses:
            conditions.append(Response.status.in_(COUNTED_RESPONSE_STATUSES))
        return conditions

    def comments(self) -> list:
        conditions = [Comment.consultation_id == self.consultation.id, *self.filters.comment_conditions()]
        if not self.filters.comment_statuses:
            conditions.append(Comment.status.in_(COUNTED_COMMENT_STATUSES))
        return conditions

    def consultation_responses(self) -> list:
        surveys = select(Survey.id).where(Survey.consultation_id == self.consultation.id)
        return [Response.survey_id.in_(surveys), *self.responses()]


def build_report(consultation: Consultation, filters: ExportFilters, text_limit: int = TEXT_LIMIT) -> Report:
    scope = Scope(consultation, filters)
    sql = json_sql_for(db.session)
    published = report_surveys(consultation)
    # Without filters the report covers every submitted response: exactly what the tallies count.
    tallied = filters.is_empty and ensure_tallies(s.id for s in published)
    surveys = [SurveyCounter(s, scope.responses(), sql, tallied=tallied).count(text_limit) for s in published]
    campaigns = current_campaigns(consultation)
    return Report(
        consultation=consultation,
        filters=filters,
        surveys=surveys,
        documents=document_results(consultation, scope),
        participation=participation(scope),
        campaigns=campaigns.first(CAMPAIGN_LIMIT),
        text_limit=text_limit,
        campaigns_pending=campaigns.pending,
        campaigns_as_of=campaigns.computed_at,
    )


def report_surveys(consultation: Consultation) -> list[Survey]:
    """The consultation's published surveys with their questions and options (three queries)."""
    return list(db.session.scalars(
        select(Survey)
        .where(Survey.consultation_id == consultation.id, Survey.published_at.is_not(None))
        .options(selectinload(Survey.sections), selectinload(Survey.questions).selectinload(Question.options))
        .order_by(Survey.position, Survey.id)
    ))


# --- Comments per document ----------------------------------------------------------------


def document_results(consultation: Consultation, scope: Scope) -> list[DocumentResult]:
    """The general discussion, then each document in order: comments per paragraph, by type, by stakeholder type."""
    documents = list(db.session.scalars(
        select(WorkingDocument).where(WorkingDocument.consultation_id == consultation.id)
        .order_by(WorkingDocument.position, WorkingDocument.id)
    ))
    results: dict[int | None, DocumentResult] = {None: DocumentResult(None)}
    results.update({d.id: DocumentResult(d) for d in documents})
    conditions = scope.comments()

    per_paragraph = db.session.execute(
        select(Comment.document_id, Paragraph.number, func.count(Comment.id))
        .outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
        .where(*conditions, Comment.document_id.is_not(None))
        .group_by(Comment.document_id, Paragraph.number)
    )
    for document_id, number, count in per_paragraph:
        if document_id in results:
            results[document_id].paragraphs.append(ParagraphCount(number, count))
    for result in results.values():
        result.paragraphs.sort(key=lambda p: (-p.count, p.number is not None, p.number or 0))

    type_labels = {t.value: t.label for t in CommentType}
    by_type = db.session.execute(
        select(Comment.document_id, Comment.comment_type, func.count(Comment.id))
        .where(*conditions).group_by(Comment.document_id, Comment.comment_type)
    )
    counted: dict[int | None, dict[str, int]] = defaultdict(dict)
    for document_id, comment_type, count in by_type:
        counted[document_id][comment_type] = count
    for document_id, counts in counted.items():
        if document_id in results:
            result = results[document_id]
            result.total = sum(counts.values())
            result.by_type = [(type_labels.get(code, code), counts[code])
                              for code in [t.value for t in CommentType] + sorted(set(counts) - set(type_labels))
                              if counts.get(code)]

    by_stakeholder = db.session.execute(
        select(Comment.document_id, ContributorOrganization.stakeholder_type, func.count(Comment.id))
        .outerjoin(ContributorOrganization, ContributorOrganization.id == Comment.organization_id)
        .where(*conditions).group_by(Comment.document_id, ContributorOrganization.stakeholder_type)
    )
    stakeholders: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for document_id, stakeholder_type, count in by_stakeholder:
        stakeholders[document_id][type_key(stakeholder_type)] += count
    for document_id, counts in stakeholders.items():
        if document_id in results:
            results[document_id].by_stakeholder = [(type_label(k), n) for k, n in _type_order(counts)]
    return list(results.values())


# --- Participation --------------------------------------------------------------------------


def participation(scope: Scope) -> Participation:
    response_conditions = scope.consultation_responses()
    comment_conditions = scope.comments()

    def responses_by(column, *joins):
        query = (select(column, func.count(Response.id)).select_from(Response)
                 .outerjoin(ContributorOrganization, ContributorOrganization.id == Response.organization_id))
        for target, on in joins:
            query = query.outerjoin(target, on)
        return dict(db.session.execute(query.where(*response_conditions).group_by(column)).all())

    def comments_by(column, *joins):
        query = (select(column, func.count(Comment.id)).select_from(Comment)
                 .outerjoin(ContributorOrganization, ContributorOrganization.id == Comment.organization_id))
        for target, on in joins:
            query = query.outerjoin(target, on)
        return dict(db.session.execute(query.where(*comment_conditions).group_by(column)).all())

    by_type = _merge(responses_by(ContributorOrganization.stakeholder_type),
                     comments_by(ContributorOrganization.stakeholder_type))
    type_rows = [Tally(type_label(key), *counts) for key, counts in _type_order(_rekey(by_type, type_key))]

    by_country = _merge(responses_by(ContributorOrganization.country), comments_by(ContributorOrganization.country))
    country_rows = sorted(
        (Tally(country_name(code) if code else _("No organization"), *counts) for code, counts in by_country.items()),
        key=lambda t: (-(t.responses + t.comments), sort_key(t.label)),
    )

    membership = (Membership, Membership.c.organization_id == ContributorOrganization.id)
    by_group = _merge(responses_by(Membership.c.group_id, membership), comments_by(Membership.c.group_id, membership))
    groups = {g.id: g for g in db.session.scalars(select(Group))}
    group_rows = sorted(
        (Tally(str(groups[gid].name) if gid in groups else _("In no group"), *counts)
         for gid, counts in by_group.items()),
        key=lambda t: (-(t.responses + t.comments), sort_key(t.label)),
    )
    return Participation(type_rows, country_rows, group_rows, response_rates(scope, groups), days(scope))


def response_rates(scope: Scope, groups: dict[int, Group]) -> list[GroupRate]:
    """Per group: its active organizations (within the filters) and those of them with a response counted here."""
    filters = scope.filters
    wanted = [ContributorOrganization.active.is_(True)]
    if filters.stakeholder_type:
        wanted.append(ContributorOrganization.stakeholder_type == filters.stakeholder_type)
    if filters.country:
        wanted.append(ContributorOrganization.country == filters.country)
    if filters.group_id is not None:
        wanted.append(Membership.c.group_id == filters.group_id)
    members = (
        select(Membership.c.group_id, func.count(func.distinct(ContributorOrganization.id)))
        .join(ContributorOrganization, ContributorOrganization.id == Membership.c.organization_id)
        .where(*wanted)
        .group_by(Membership.c.group_id)
    )
    totals = dict(db.session.execute(members).all())
    responding = select(Response.organization_id).where(*scope.consultation_responses())
    answered = dict(db.session.execute(
        members.where(ContributorOrganization.id.in_(responding))
    ).all())
    rates = [GroupRate(str(groups[gid].name), total, answered.get(gid, 0))
             for gid, total in totals.items() if gid in groups]
    return sorted(rates, key=lambda r: sort_key(r.label))


def days(scope: Scope) -> list[DayCount]:
    """Submitted responses and comments per UTC day, missing days filled in with zeros."""
    postgres = db.session.get_bind().dialect.name == "postgresql"

    def day_of(column):
        # Literals, not parameters: PostgreSQL matches the GROUP BY expression to the selected one only then.
        if postgres:
            return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM-DD'"))
        return func.strftime(literal_column("'%Y-%m-%d'"), column)

    moment = func.coalesce(Response.submitted_at, Response.last_edited_at)
    response_days = dict(db.session.execute(
        select(day_of(moment), func.count(Response.id)).where(*scope.consultation_responses())
        .group_by(day_of(moment))
    ).all())
    comment_days = dict(db.session.execute(
        select(day_of(Comment.created_at), func.count(Comment.id)).where(*scope.comments())
        .group_by(day_of(Comment.created_at))
    ).all())
    found = sorted({date.fromisoformat(d) for d in list(response_days) + list(comment_days) if d})
    if found and (found[-1] - found[0]).days < MAX_FILLED_DAYS:
        found = [found[0] + timedelta(days=n) for n in range((found[-1] - found[0]).days + 1)]
    return [DayCount(d, response_days.get(d.isoformat(), 0), comment_days.get(d.isoformat(), 0)) for d in found]


def _merge(responses: dict, comments: dict) -> dict:
    return {key: (responses.get(key, 0), comments.get(key, 0)) for key in {*responses, *comments}}


def _rekey(counts: dict, key) -> dict:
    merged: dict = {}
    for raw, value in counts.items():
        new = key(raw)
        if new in merged:
            merged[new] = tuple(a + b for a, b in zip(merged[new], value, strict=True))
        else:
            merged[new] = value
    return merged


def _type_order(counts: dict[str, object]) -> list[tuple[str, object]]:
    """Stakeholder types in the list's order, unknown codes after them, "no organization" last."""
    order = [t.value for t in StakeholderType]
    keys = sorted(counts, key=lambda k: (k == NO_ORGANIZATION, order.index(k) if k in order else len(order), k))
    return [(k, counts[k]) for k in keys]

