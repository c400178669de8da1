"""Read-only queries behind what moderators see of responses and what the consultation page shows of surveys.

Every list of responses starts from `Response.visible_filter(user)`; the
audience at organization level is `audience_organizations_filter`, the one
organization-side copy of `Consultation.in_audience` (tests check they agree).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from consult.consultations.models import Consultation
from consult.consultations.queries import audience_organizations_filter
from consult.directory.models import Group, Organization, User, group_organization
from consult.directory.stakeholders import StakeholderType, is_country_code, sort_key
from consult.extensions import db
from consult.i18n import LOCALES
from consult.surveys.models import (
    Question,
    Response,
    ResponsePolicy,
    ResponseStatus,
    Survey,
    SurveySection,
    UploadedFile,
)

# --- Loading what a page needs, in a fixed number of queries ---------------


def survey_of(consultation: Consultation, survey_id: int, with_questions: bool = False) -> Survey | None:
    query = select(Survey).where(Survey.id == survey_id, Survey.consultation_id == consultation.id)
    if with_questions:
        query = query.options(
            selectinload(Survey.sections),
            selectinload(Survey.questions).selectinload(Question.options),
            selectinload(Survey.questions).selectinload(Question.conditions),
        )
    return db.session.scalar(query)


def response_of(survey: Survey, response_id: int, user) -> Response | None:
    """One response of `survey` with its answers, revisions and the people named on it."""
    return db.session.scalar(
        select(Response)
        .where(Response.id == response_id, Response.survey_id == survey.id, Response.visible_filter(user))
        .options(
            joinedload(Response.respondent),
            joinedload(Response.last_edited_by),
            joinedload(Response.organization).selectinload(Organization.groups),
            selectinload(Response.answers),
            selectinload(Response.revisions),
        )
    )


def files_of(response: Response) -> dict[int, UploadedFile]:
    """The response's uploaded files by id, without their content."""
    return {f.id: f for f in db.session.scalars(select(UploadedFile).where(UploadedFile.response_id == response.id))}


def file_of(response: Response, file_id: int) -> UploadedFile | None:
    return db.session.scalar(
        select(UploadedFile).where(UploadedFile.id == file_id, UploadedFile.response_id == response.id)
    )


def users_by_id(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


# --- The consultation page --------------------------------------------------


def consultation_surveys(consultation: Consultation, user) -> list[Survey]:
    return list(
        db.session.scalars(
            select(Survey)
            .where(Survey.consultation_id == consultation.id, Survey.visible_filter(user))
            .order_by(Survey.position, Survey.id)
        )
    )


def viewer_responses(surveys: list[Survey], user) -> dict[int, Response]:
    """The response each survey's viewer writes into (their own or their organization's), in one query."""
    keys = [f"user:{user.id}"]
    if user.organization_id is not None:
        keys.append(f"organization:{user.organization_id}")
    rows = db.session.scalars(
        select(Response)
        .where(Response.survey_id.in_([s.id for s in surveys]), Response.owner_key.in_(keys))
        .options(joinedload(Response.last_edited_by))
    )
    by_key = {(r.survey_id, r.owner_key): r for r in rows}
    found = {}
    for survey in surveys:
        if survey.policy is ResponsePolicy.ORGANIZATION and user.organization_id is None:
            continue
        response = by_key.get((survey.id, survey.owner_key_for(user)))
        if response is not None:
            found[survey.id] = response
    return found


def status_counts(survey_ids: list[int]) -> dict[int, dict[str, int]]:
    """{survey id: {status: number of responses}} in one grouped query."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {s.value: 0 for s in ResponseStatus})
    if survey_ids:
        rows = db.session.execute(
            select(Response.survey_id, Response.status, func.count(Response.id))
            .where(Response.survey_id.in_(survey_ids))
            .group_by(Response.survey_id, Response.status)
        )
        for survey_id, status, number in rows:
            counts[survey_id][status] = number
    return counts


def submitted_by_organization(consultation) -> dict[int, int]:
    """{organization id: submitted responses} across the consultation's surveys, in one grouped query."""
    rows = db.session.execute(
        select(Response.organization_id, func.count(Response.id))
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Survey.consultation_id == consultation.id,
            Response.status == ResponseStatus.SUBMITTED.value,
            Response.organization_id.is_not(None),
        )
        .group_by(Response.organization_id)
    )
    return dict(rows.all())


# --- Filters shared by the moderators' lists -------------------------------


@dataclass
class ListFilters:
    """What a list was asked to show, and a message per value that could not be understood."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def group_id(self) -> int | None:
        return int(self.values["group"]) if self.values.get("group") else None


def _clean(args: MultiDict, name: str) -> str:
    return (args.get(name) or "").strip()[:64]


def _check_type_and_group(args: MultiDict, filters: ListFilters, groups: list[Group]) -> None:
    stakeholder_type = _clean(args, "stakeholder_type")
    filters.values["stakeholder_type"] = stakeholder_type
    if stakeholder_type and stakeholder_type not in {t.value for t in StakeholderType}:
        filters.errors["stakeholder_type"] = _("Choose a stakeholder type from the list.")
    group = _clean(args, "group")
    filters.values["group"] = group
    if group and (not group.isdigit() or int(group) not in {g.id for g in groups}):
        filters.errors["group"] = _("Choose a group from the list.")


def parse_response_filters(args: MultiDict, groups: list[Group]) -> ListFilters:
    filters = ListFilters()
    _check_type_and_group(args, filters, groups)
    country = _clean(args, "country").upper()
    filters.values["country"] = country
    if country and not is_country_code(country):
        filters.errors["country"] = _("Choose a country from the list.")
    language = _clean(args, "language")
    filters.values["language"] = language
    if language and language not in LOCALES:
        filters.errors["language"] = _("Choose a language from the list.")
    status = _clean(args, "status")
    filters.values["status"] = status
    if status and status not in {s.value for s in ResponseStatus}:
        filters.errors["status"] = _("Choose a status from the list.")
    return filters


def parse_audience_filters(args: MultiDict, groups: list[Group]) -> ListFilters:
    filters = ListFilters()
    _check_type_and_group(args, filters, groups)
    return filters


def group_choices() -> list[Group]:
    """Every group, sorted by its name in the viewer's language (names live in a JSON column)."""
    return sorted(db.session.scalars(select(Group)), key=lambda g: (sort_key(str(g.name)), g.id))


def _in_group(organization_id_column, group_id: int) -> ColumnElement[bool]:
    return exists().where(
        group_organization.c.organization_id == organization_id_column, group_organization.c.group_id == group_id
    )


# --- The responses list ------------------------------------------------------


def responses_query(survey: Survey, user, filters: ListFilters) -> Select:
    """The survey's responses `user` may read, filtered, with everything a row shows loaded alongside."""
    query = (
        select(Response)
        .outerjoin(Organization, Organization.id == Response.organization_id)
        .where(Response.survey_id == survey.id, Response.visible_filter(user))
        .options(
            joinedload(Response.respondent),
            joinedload(Response.organization).selectinload(Organization.groups),
        )
    )
    if filters.get("stakeholder_type"):
        query = query.where(Organization.stakeholder_type == filters.get("stakeholder_type"))
    if filters.group_id is not None:
        query = query.where(_in_group(Response.organization_id, filters.group_id))
    if filters.get("country"):
        query = query.where(Organization.country == filters.get("country"))
    if filters.get("language"):
        query = query.where(Response.language == filters.get("language"))
    if filters.get("status"):
        query = query.where(Response.status == filters.get("status"))
    return query.order_by(Response.last_edited_at.desc(), Response.id.desc())


def response_countries(survey: Survey) -> list[str]:
    """Countries of the organizations that responded: the choices of the country filter."""
    return list(
        db.session.scalars(
            select(Organization.country)
            .join(Response, Response.organization_id == Organization.id)
            .where(Response.survey_id == survey.id)
            .distinct()
        )
    )


def ordered_sections(survey: Survey) -> list[tuple[SurveySection, list[Question]]]:
    """Sections in order, each with its questions in the order a participant meets them."""
    by_section: dict[int, list[Question]] = defaultdict(list)
    for question in survey.ordered_questions():
        by_section[question.section_id].append(question)
    return [(section, by_section.get(section.id, [])) for section in survey.sections]


# --- Non-respondents -------------------------------------------------------


def _submitted(survey: Survey) -> ColumnElement[bool]:
    return and_(Response.survey_id == survey.id, Response.status == ResponseStatus.SUBMITTED.value)


def nonrespondent_organization_filter(survey: Survey) -> ColumnElement[bool]:
    """Audience organizations with no submitted response: their own, or (one per person) any of their people's."""
    return and_(
        audience_organizations_filter(survey.consultation),
        ~exists().where(_submitted(survey), Response.organization_id == Organization.id),
    )


def nonrespondent_person_filter(survey: Survey) -> ColumnElement[bool]:
    """Active people of the audience organizations who have not submitted their own response."""
    audience = select(Organization.id).where(audience_organizations_filter(survey.consultation))
    return and_(
        User.active.is_(True),
        User.organization_id.in_(audience),
        ~exists().where(_submitted(survey), Response.respondent_id == User.id),
    )


def _narrowed(condition: ColumnElement[bool], filters: ListFilters) -> ColumnElement[bool]:
    extra = [condition]
    if filters.get("stakeholder_type"):
        extra.append(Organization.stakeholder_type == filters.get("stakeholder_type"))
    if filters.group_id is not None:
        extra.append(_in_group(Organization.id, filters.group_id))
    return and_(*extra)


def nonrespondent_organizations_query(survey: Survey, filters: ListFilters) -> Select:
    condition = _narrowed(nonrespondent_organization_filter(survey), filters)
    return (
        select(Organization)
        .where(condition)
        .options(selectinload(Organization.groups))
        .order_by(Organization.stakeholder_type, Organization.name_key, Organization.id)
    )


def nonrespondent_people_query(survey: Survey, filters: ListFilters) -> Select:
    condition = _narrowed(nonrespondent_person_filter(survey), filters)
    return (
        select(User)
        .join(Organization, Organization.id == User.organization_id)
        .where(condition)
        .options(joinedload(User.organization).selectinload(Organization.groups))
        .order_by(Organization.stakeholder_type, Organization.name_key, func.lower(User.display_name), User.id)
    )


def count_people(survey: Survey) -> int:
    return db.session.scalar(select(func.count(User.id)).where(nonrespondent_person_filter(survey))) or 0


@dataclass
class Breakdown:
    """How many non-respondents fall in each group and each stakeholder type."""

    total: int
    by_group: list[tuple[Group | None, int]]  # None: in no group
    by_type: list[tuple[StakeholderType, int]]


def breakdown(subject: Select, groups: list[Group]) -> Breakdown:
    """Counts of `subject` (a select of organization ids, one row per non-respondent) by group and by type."""
    rows = subject.subquery()
    total = db.session.scalar(select(func.count()).select_from(rows)) or 0
    group_counts = dict(
        db.session.execute(
            select(group_organization.c.group_id, func.count())
            .select_from(rows)
            .join(group_organization, group_organization.c.organization_id == rows.c.organization_id)
            .group_by(group_organization.c.group_id)
        ).all()
    )
    in_no_group = db.session.scalar(
        select(func.count())
        .select_from(rows)
        .where(~exists().where(group_organization.c.organization_id == rows.c.organization_id))
    ) or 0
    type_counts = dict(
        db.session.execute(
            select(Organization.stakeholder_type, func.count())
            .select_from(rows)
            .join(Organization, Organization.id == rows.c.organization_id)
            .group_by(Organization.stakeholder_type)
        ).all()
    )
    by_group: list[tuple[Group | None, int]] = [(g, group_counts[g.id]) for g in groups if group_counts.get(g.id)]
    if in_no_group:
        by_group.append((None, in_no_group))
    by_type = [(t, type_counts[t.value]) for t in StakeholderType if type_counts.get(t.value)]
    return Breakdown(total, by_group, by_type)


def organization_breakdown(survey: Survey, groups: list[Group]) -> Breakdown:
    return breakdown(
        select(Organization.id.label("organization_id")).where(nonrespondent_organization_filter(survey)), groups
    )


def people_breakdown(survey: Survey, groups: list[Group]) -> Breakdown:
    return breakdown(select(User.organization_id.label("organization_id")).where(nonrespondent_person_filter(survey)),
                     groups)


# --- Last activity ------------------------------------------------------------


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def organization_activity(survey: Survey, organization_ids: list[int]) -> dict[int, datetime | None]:
    """The latest sign-in of an organization's people or edit of its drafts of `survey`, in two grouped queries.

    Comments are left out: they belong to a sibling package surveys must not read.
    """
    if not organization_ids:
        return {}
    logins = dict(
        db.session.execute(
            select(User.organization_id, func.max(User.last_login_at))
            .where(User.organization_id.in_(organization_ids))
            .group_by(User.organization_id)
        ).all()
    )
    drafts = dict(
        db.session.execute(
            select(Response.organization_id, func.max(Response.last_edited_at))
            .where(Response.survey_id == survey.id, Response.organization_id.in_(organization_ids))
            .group_by(Response.organization_id)
        ).all()
    )
    return {i: _latest(logins.get(i), drafts.get(i)) for i in organization_ids}


def person_activity(survey: Survey, people: list[User]) -> dict[int, datetime | None]:
    """Each person's latest sign-in or edit of their own draft of `survey`, in one query."""
    if not people:
        return {}
    drafts = dict(
        db.session.execute(
            select(Response.respondent_id, func.max(Response.last_edited_at))
            .where(Response.survey_id == survey.id, Response.respondent_id.in_([p.id for p in people]))
            .group_by(Response.respondent_id)
        ).all()
    )
    return {p.id: _latest(p.last_login_at, drafts.get(p.id)) for p in people}


def in_chunks(query: Select, size: int = 500):
    """The rows of `query` a chunk at a time, so an export never holds them all."""
    offset = 0
    while True:
        chunk = list(db.session.scalars(query.limit(size).offset(offset)))
        if not chunk:
            return
        yield chunk
        offset += size

