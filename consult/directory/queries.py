"""Read-only queries behind the directory's admin lists: search filters, counts, choices."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from consult.directory.models import Group, Organization, User, group_moderator, group_organization
from consult.extensions import db
from consult.search import contains
from consult.security import Role

MAX_SEARCH = 200


def _term(search: str | None) -> str:
    return " ".join((search or "").split())[:MAX_SEARCH]


def user_list_query(
    search: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    organization_id: int | None = None,
) -> Select:
    """Users matching the admin list's search and filters, sorted by name."""
    query = select(User).outerjoin(User.organization).options(selectinload(User.organization))
    term = _term(search)
    if term:
        query = query.where(
            or_(
                contains(User.email, term),
                contains(User.display_name, term),
                contains(Organization.name, term),
            )
        )
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    return query.order_by(func.lower(User.display_name), User.id)


def organization_list_query(
    search: str | None = None,
    stakeholder_type: str | None = None,
    country: str | None = None,
    verified: bool | None = None,
    active: bool | None = None,
) -> Select:
    """Organizations matching the admin list's search and filters, sorted by name."""
    query = select(Organization)
    term = _term(search)
    if term:
        query = query.where(contains(Organization.name, term))
    if stakeholder_type:
        query = query.where(Organization.stakeholder_type == stakeholder_type)
    if country:
        query = query.where(Organization.country == country)
    if verified is not None:
        query = query.where(Organization.verified.is_(verified))
    if active is not None:
        query = query.where(Organization.active.is_(active))
    return query.order_by(Organization.name_key, Organization.id)


def group_list_query(active: bool | None = None) -> Select:
    query = select(Group)
    if active is not None:
        query = query.where(Group.active.is_(active))
    # Names live in a JSON column per language; creation order is the portable sort.
    return query.order_by(Group.created_at, Group.id)


def _counts(column, key_column, ids: Iterable[int]) -> dict[int, int]:
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(select(key_column, func.count(column)).where(key_column.in_(ids)).group_by(key_column))
    return dict(rows.all())


def member_counts(organization_ids: Iterable[int]) -> dict[int, int]:
    """Number of users of each organization, in one grouped query."""
    return _counts(User.id, User.organization_id, organization_ids)


def group_organization_counts(group_ids: Iterable[int]) -> dict[int, int]:
    return _counts(group_organization.c.organization_id, group_organization.c.group_id, group_ids)


def group_moderator_counts(group_ids: Iterable[int]) -> dict[int, int]:
    return _counts(group_moderator.c.user_id, group_moderator.c.group_id, group_ids)


def organization_choices(keep_ids: Iterable[int] = ()) -> list[Organization]:
    """Active organizations, plus any in `keep_ids` (already chosen ones stay visible)."""
    keep = [i for i in keep_ids if i is not None]
    condition = Organization.active.is_(True)
    if keep:
        condition = or_(condition, Organization.id.in_(keep))
    return list(db.session.scalars(select(Organization).where(condition).order_by(Organization.name_key)))


def all_organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name_key)))


MODERATING_ROLES = tuple(role.value for role in Role if role.at_least(Role.MODERATOR))


def moderator_choices(keep_ids: Iterable[int] = ()) -> list[User]:
    """Active users who may moderate (moderator or above), plus any in `keep_ids`."""
    keep = list(keep_ids)
    condition = User.active.is_(True) & User.role.in_(MODERATING_ROLES)
    if keep:
        condition = or_(condition, User.id.in_(keep))
    return list(db.session.scalars(select(User).where(condition).order_by(func.lower(User.display_name), User.id)))


def organization_users_query(organization_id: int) -> Select:
    return (
        select(User)
        .where(User.organization_id == organization_id)
        .order_by(func.lower(User.display_name), User.id)
    )
