"""Read-only queries about consultations: lookups, lists, the home page, the participation panel.

Every list of consultations goes through `Consultation.visible_filter` (or a
stricter twin of a model rule), never through a copy of the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from consult.consultations.models import Consultation, ConsultationState
from consult.directory.models import Group, Organization, group_organization
from consult.directory.stakeholders import StakeholderType, sort_key
from consult.extensions import db
from consult.i18n import LOCALES
from consult.search import contains
from consult.security import Role

HOME_LIMIT = 10


def consultation_by_slug(slug: str) -> Consultation | None:
    """A consultation with everything its page and its permission checks read, in a fixed number of queries."""
    return db.session.scalar(
        select(Consultation)
        .where(Consultation.slug == slug)
        .options(
            selectinload(Consultation.group).selectinload(Group.moderators),
            selectinload(Consultation.audience_groups).selectinload(Group.organizations),
            selectinload(Consultation.documents),
        )
    )


def slug_taken(slug: str, except_id: int | None = None) -> bool:
    query = select(Consultation.id).where(Consultation.slug == slug)
    if except_id is not None:
        query = query.where(Consultation.id != except_id)
    return db.session.scalar(query) is not None


def slugs_like(base: str) -> set[str]:
    """Slugs equal to `base` or `base-<something>`, to find the next free suffix."""
    pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"
    return set(db.session.scalars(
        select(Consultation.slug).where(or_(Consultation.slug == base, Consultation.slug.like(pattern, escape="\\")))
    ))


# --- Choices for the editor ------------------------------------------------


def _sorted_groups(groups) -> list[Group]:
    return sorted(groups, key=lambda g: (sort_key(str(g.name)), g.id))


def manageable_groups(user, keep_id: int | None = None) -> list[Group]:
    """Groups `user` may run a consultation for: any active group for staff, the ones they moderate otherwise."""
    condition = Group.active.is_(True)
    if not user.has_role(Role.STAFF):
        condition = and_(condition, Group.moderators.any(id=user.id))
    if keep_id is not None:
        condition = or_(condition, Group.id == keep_id)
    return _sorted_groups(db.session.scalars(select(Group).where(condition)))


def audience_group_choices(keep_ids=()) -> list[Group]:
    condition = Group.active.is_(True)
    keep = [i for i in keep_ids if i is not None]
    if keep:
        condition = or_(condition, Group.id.in_(keep))
    return _sorted_groups(db.session.scalars(select(Group).where(condition)))


def groups_by_id(ids) -> dict[int, Group]:
    ids = set(ids)
    if not ids:
        return {}
    return {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(ids)))}


# --- The list --------------------------------------------------------------


def _text(column_name: str, code: str):
    """The text of one language in a translatable column, as SQL (NULL when missing)."""
    return Consultation.__table__.c[column_name][code].as_string()


def state_rank(moment: datetime):
    """Open first, then upcoming, closed, archived, drafts (as people look for them)."""
    return case(
        (Consultation.published_at.is_(None), 4),
        (Consultation.archived_at.is_not(None), 3),
        (Consultation.opens_at > moment, 1),
        (Consultation.closes_at > moment, 0),
        else_=2,
    )


def list_query(
    user,
    moment: datetime,
    state: ConsultationState | None = None,
    group_id: int | None = None,
    language: str | None = None,
    search: str = "",
) -> Select:
    """Consultations `user` may see, filtered; without a state filter archived ones are left out."""
    query = select(Consultation).where(Consultation.visible_filter(user)).options(selectinload(Consultation.group))
    if state is not None:
        query = query.where(Consultation.state_filter(state, moment))
    else:
        query = query.where(~Consultation.state_filter(ConsultationState.ARCHIVED, moment))
    if group_id is not None:
        query = query.where(Consultation.group_id == group_id)
    if language:
        translated = _text("title_texts", language)
        query = query.where(translated.is_not(None), translated != "")
    if search:
        # Each language's text separately: the JSON as a whole would also match its keys ("en", "fr", "es"),
        # and SQLite stores non-ASCII letters escaped.
        query = query.where(or_(*(
            contains(_text(column, code), search) for column in ("title_texts", "summary_texts") for code in LOCALES
        )))
    rank = state_rank(moment)
    soonest_first = case((rank <= 1, Consultation.closes_at))
    return query.order_by(rank, soonest_first, Consultation.closes_at.desc(), Consultation.id)


def groups_with_visible_consultations(user) -> list[Group]:
    return _sorted_groups(db.session.scalars(
        select(Group).where(Group.id.in_(select(Consultation.group_id).where(Consultation.visible_filter(user))))
    ))


# --- The home page ---------------------------------------------------------


def open_for(user, moment: datetime, limit: int = HOME_LIMIT) -> list[Consultation]:
    """Open consultations `user` can contribute to (twin of can_contribute), soonest deadline first."""
    return list(db.session.scalars(
        select(Consultation)
        .where(
            Consultation.state_filter(ConsultationState.OPEN, moment),
            or_(Consultation.audience_filter(user), Consultation.managed_filter(user)),
        )
        .options(selectinload(Consultation.group))
        .order_by(Consultation.closes_at, Consultation.id)
        .limit(limit)
    ))


def upcoming_for(user, moment: datetime, limit: int = HOME_LIMIT) -> list[Consultation]:
    return list(db.session.scalars(
        select(Consultation)
        .where(Consultation.state_filter(ConsultationState.SCHEDULED, moment), Consultation.visible_filter(user))
        .options(selectinload(Consultation.group))
        .order_by(Consultation.opens_at, Consultation.id)
        .limit(limit)
    ))


def run_by(user, moment: datetime, limit: int = HOME_LIMIT) -> list[Consultation]:
    """Consultations `user` manages, drafts included, archived ones left out."""
    return list(db.session.scalars(
        select(Consultation)
        .where(Consultation.managed_filter(user), ~Consultation.state_filter(ConsultationState.ARCHIVED, moment))
        .options(selectinload(Consultation.group))
        .order_by(state_rank(moment), Consultation.closes_at, Consultation.id)
        .limit(limit)
    ))


# --- The participation panel ----------------------------------------------


def audience_organizations_filter(consultation: Consultation) -> ColumnElement[bool]:
    """Active organizations whose members are in the consultation's audience.

    The organization side of `Consultation.in_audience` / `audience_filter`: the same
    three conditions (active, in a chosen group, of a chosen type); a test checks they agree.
    """
    condition = Organization.active.is_(True)
    if not consultation.is_restricted:
        return condition
    group_ids = [g.id for g in consultation.audience_groups]
    if group_ids:
        members = select(group_organization.c.organization_id).where(group_organization.c.group_id.in_(group_ids))
        condition = and_(condition, Organization.id.in_(members))
    types = consultation.audience_types
    if types:
        condition = and_(condition, Organization.stakeholder_type.in_(types))
    return condition


def contributing_organization_ids(counts: dict[str, dict[int, int]]) -> set[int]:
    """Organizations with at least one contribution from any source."""
    return {organization_id for source in counts.values() for organization_id, n in source.items() if n}


@dataclass
class TypeRow:
    stakeholder_type: StakeholderType
    in_audience: int
    contributed: int

    @property
    def share(self) -> float:
        return self.contributed / self.in_audience if self.in_audience else 0.0


@dataclass
class Participation:
    rows: list[TypeRow] = field(default_factory=list)

    @property
    def in_audience(self) -> int:
        return sum(row.in_audience for row in self.rows)

    @property
    def contributed(self) -> int:
        return sum(row.contributed for row in self.rows)

    @property
    def share(self) -> float:
        return self.contributed / self.in_audience if self.in_audience else 0.0


def participation(consultation: Consultation, contributed_ids: set[int]) -> Participation:
    """Organizations in the audience and those among them that contributed, by stakeholder type (two queries)."""
    audience = audience_organizations_filter(consultation)
    by_type = dict(db.session.execute(
        select(Organization.stakeholder_type, func.count()).where(audience).group_by(Organization.stakeholder_type)
    ).all())
    contributed: dict[str, int] = {}
    if contributed_ids:
        contributed = dict(db.session.execute(
            select(Organization.stakeholder_type, func.count())
            .where(audience, Organization.id.in_(contributed_ids))
            .group_by(Organization.stakeholder_type)
        ).all())
    rows = [
        TypeRow(member, by_type.get(member.value, 0), contributed.get(member.value, 0))
        for member in StakeholderType
        if by_type.get(member.value)
    ]
    return Participation(rows)


def not_contributed_query(consultation: Consultation, contributed_ids: set[int]) -> Select:
    query = select(Organization).where(audience_organizations_filter(consultation))
    if contributed_ids:
        query = query.where(Organization.id.not_in(contributed_ids))
    return query.order_by(Organization.name_key, Organization.id)
