"""What an administrator does to groups (see service for the shared rules)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from consult.audit import record
from consult.directory.models import Group, Organization, User
from consult.directory.service import MAX_DESCRIPTION, MAX_NAME, InvalidInput, _clean, _set_active
from consult.extensions import db
from consult.i18n import LOCALES, LocalizedText, language_name
from consult.security import Role

# --- Groups --------------------------------------------------------------


@dataclass
class GroupFields:
    names: dict[str, str]
    descriptions: dict[str, str]
    original: str
    organization_ids: list[int] = field(default_factory=list)
    moderator_ids: list[int] = field(default_factory=list)


def _check_texts(fields: GroupFields) -> dict[str, str]:
    errors: dict[str, str] = {}
    if fields.original not in LOCALES:
        errors["original_locale"] = _("Choose the language the group was first written in.")
    elif not _clean(fields.names.get(fields.original)):
        errors[f"name_{fields.original}"] = _(
            "Enter the name in %(language)s, the original language.", language=language_name(fields.original)
        )
    for code in LOCALES:
        if len(_clean(fields.names.get(code))) > MAX_NAME:
            errors[f"name_{code}"] = _("The name can have at most %(count)d characters.", count=MAX_NAME)
        if len((fields.descriptions.get(code) or "").strip()) > MAX_DESCRIPTION:
            errors[f"description_{code}"] = _(
                "The description can have at most %(count)d characters.", count=MAX_DESCRIPTION
            )
    return errors


def _chosen_organizations(ids: list[int], group: Group | None) -> tuple[list[Organization], str | None]:
    wanted = set(ids)
    found = list(db.session.scalars(select(Organization).where(Organization.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        return [], _("One of the chosen organizations does not exist.")
    current = {o.id for o in group.organizations} if group else set()
    for organization in found:
        if not organization.active and organization.id not in current:
            return [], _("%(name)s is deactivated and cannot join a group.", name=organization.name)
    return sorted(found, key=lambda o: o.name_key), None


def _chosen_moderators(ids: list[int], group: Group | None) -> tuple[list[User], str | None]:
    wanted = set(ids)
    found = list(db.session.scalars(select(User).where(User.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        return [], _("One of the chosen moderators does not exist.")
    current = {u.id for u in group.moderators} if group else set()
    for user in found:
        if user.id not in current and not (user.active and user.has_role(Role.MODERATOR)):
            return [], _(
                "%(name)s cannot moderate: only active moderators, staff and administrators can.",
                name=user.display_name,
            )
    return sorted(found, key=lambda u: (u.display_name.casefold(), u.id)), None


def _check_group(fields: GroupFields, group: Group | None) -> tuple[dict[str, str], list, list]:
    errors = _check_texts(fields)
    organizations, problem = _chosen_organizations(fields.organization_ids, group)
    if problem:
        errors["organizations"] = problem
    moderators, problem = _chosen_moderators(fields.moderator_ids, group)
    if problem:
        errors["moderators"] = problem
    return errors, organizations, moderators


def _texts(fields: GroupFields) -> tuple[LocalizedText, LocalizedText]:
    names = {code: _clean(fields.names.get(code)) for code in LOCALES}
    descriptions = {code: (fields.descriptions.get(code) or "").strip() for code in LOCALES}
    return LocalizedText(names, fields.original), LocalizedText(descriptions, fields.original)


def create_group(actor, fields: GroupFields) -> Group:
    errors, organizations, moderators = _check_group(fields, None)
    if errors:
        raise InvalidInput(errors)
    name, description = _texts(fields)
    group = Group(name=name, description=description, active=True, organizations=organizations, moderators=moderators)
    db.session.add(group)
    record(
        actor,
        "group_created",
        group,
        name=name.texts,
        original=name.original,
        organizations=[o.name for o in organizations],
        moderators=[u.email for u in moderators],
    )
    db.session.commit()
    return group


def _added_removed(before: list, after: list, label) -> tuple[list[str], list[str]]:
    old, new = {x.id: x for x in before}, {x.id: x for x in after}
    added = [label(new[i]) for i in new if i not in old]
    removed = [label(old[i]) for i in old if i not in new]
    return added, removed


def update_group(actor, group: Group, fields: GroupFields) -> Group:
    errors, organizations, moderators = _check_group(fields, group)
    if errors:
        raise InvalidInput(errors)
    name, description = _texts(fields)
    changes: dict = {}
    if name != group.name:
        changes["name"] = [group.name.texts, name.texts]
        changes["original"] = [group.name.original, name.original]
    if description != group.description:
        changes["description"] = [group.description.texts, description.texts]
    organizations_added, organizations_removed = _added_removed(group.organizations, organizations, lambda o: o.name)
    moderators_added, moderators_removed = _added_removed(group.moderators, moderators, lambda u: u.email)
    membership = {
        "organizations_added": organizations_added,
        "organizations_removed": organizations_removed,
        "moderators_added": moderators_added,
        "moderators_removed": moderators_removed,
    }
    membership = {key: value for key, value in membership.items() if value}
    if not changes and not membership:
        return group
    # New LocalizedText objects, so the ORM sees the change to the composite columns.
    group.name = name
    group.description = description
    group.organizations = organizations
    group.moderators = moderators
    record(actor, "group_updated", group, changes=changes, **membership)
    db.session.commit()
    return group


def deactivate_group(actor, group: Group) -> bool:
    return _set_active(actor, group, False, "group_deactivated")


def reactivate_group(actor, group: Group) -> bool:
    return _set_active(actor, group, True, "group_reactivated")
