"""The checks an import applies to each line of a participants file, and the directory it checks against.

`consult.directory.importer` reads the file and applies the result; this module decides, line by
line, what a line would do and what is wrong with it. It reads the database and never writes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.directory.models import Group, Organization, User, group_organization
from consult.directory.stakeholders import StakeholderType, country_name, is_country_code, parse_stakeholder_type
from consult.extensions import db
from consult.i18n import DEFAULT_LOCALE, LOCALES
from consult.security import ROLE_LABELS, Role

EMAIL, NAME, ORGANIZATION, COUNTRY, TYPE, GROUP, ROLE, LOCALE = COLUMNS = (
    "email",
    "name",
    "organization",
    "country",
    "stakeholder type",
    "group",
    "role",
    "locale",
)
REQUIRED_COLUMNS = (EMAIL, NAME, ORGANIZATION, COUNTRY, TYPE)
IMPORTABLE_ROLES = (Role.PARTICIPANT, Role.MODERATOR)
MAX_NAME_LENGTH = 200

# Keeps each IN (...) list well below the bound-parameter limits of SQLite and PostgreSQL.
_QUERY_CHUNK = 500


class Status(enum.StrEnum):
    CREATE = "create"
    PRESENT = "present"
    ERROR = "error"


@dataclass
class Line:
    """One participant line of the file, what it asks for and what is wrong with it."""

    number: int
    values: dict[str, str]
    email: str = ""
    name: str = ""
    organization_name: str = ""
    organization_key: str = ""
    country: str = ""
    stakeholder_type: StakeholderType | None = None
    group: Group | None = None
    role: Role = Role.PARTICIPANT
    locale: str = DEFAULT_LOCALE
    user: User | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.problems:
            return Status.ERROR
        return Status.PRESENT if self.user is not None else Status.CREATE

    @property
    def messages(self) -> list[str]:
        return [_("Line %(line)s: %(reason)s", line=self.number, reason=problem) for problem in self.problems]


@dataclass
class NewOrganization:
    name: str
    key: str
    country: str
    stakeholder_type: StakeholderType
    line: int

    @property
    def country_name(self) -> str:
        return country_name(self.country)


@dataclass
class Membership:
    """An organization that joins a group."""

    organization_key: str
    organization_name: str
    group: Group


# --- What is already in the directory ------------------------------------


def _chunks(values: Iterable, size: int = _QUERY_CHUNK) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def email_key(value: str) -> str:
    """The address as stored on accounts, or "" when it is not a valid address."""
    try:
        return User.normalise_email(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        return ""


def _group_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class DirectoryLookup:
    """The organizations, users, groups and memberships the file refers to, loaded in a few queries."""

    def __init__(self, organization_keys: set[str], emails: set[str]) -> None:
        self.organizations: dict[str, Organization] = {}
        for chunk in _chunks(organization_keys):
            for organization in db.session.scalars(select(Organization).where(Organization.name_key.in_(chunk))):
                self.organizations[organization.name_key] = organization
        self.users: dict[str, User] = {}
        for chunk in _chunks(emails):
            query = select(User).where(User.email.in_(chunk)).options(selectinload(User.organization))
            for user in db.session.scalars(query):
                self.users[user.email] = user
        self.memberships: set[tuple[int, int]] = set()
        for chunk in _chunks(organization.id for organization in self.organizations.values()):
            query = select(group_organization.c.organization_id, group_organization.c.group_id).where(
                group_organization.c.organization_id.in_(chunk)
            )
            self.memberships.update((row.organization_id, row.group_id) for row in db.session.execute(query))
        self.groups_by_name: dict[str, dict[int, Group]] = {}
        for group in db.session.scalars(select(Group)):
            for text in group.name.texts.values():
                self.groups_by_name.setdefault(_group_key(text), {})[group.id] = group

    def groups_named(self, name: str) -> list[Group]:
        return list(self.groups_by_name.get(_group_key(name), {}).values())


# --- Checking every line -------------------------------------------------


class _Memo(dict):
    """Parses each distinct value once: the label lookups switch locale, which is slow for 5,000 lines."""

    def __init__(self, parse) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, value):
        self[value] = result = self.parse(value)
        return result


def _parse_role(value: str) -> Role | None:
    cleaned = " ".join(value.split()).casefold()
    for role in Role:
        names = {role.value}
        for locale in LOCALES:
            with force_locale(locale):
                names.add(str(ROLE_LABELS[role]).casefold())
        if cleaned in names:
            return role
    return None


class LineChecker:
    def __init__(self, directory: DirectoryLookup, email_keys: dict[str, str]) -> None:
        self.directory = directory
        self.email_keys = email_keys
        self.first_line_of_email: dict[str, int] = {}
        self.new_organizations: dict[str, NewOrganization] = {}
        self.types = _Memo(parse_stakeholder_type)
        self.roles = _Memo(_parse_role)

    def check(self, line: Line) -> None:
        self._email(line)
        self._name(line)
        self._country(line)
        self._stakeholder_type(line)
        self._organization(line)
        self._existing_user(line)
        self._group(line)
        self._role(line)
        self._locale(line)

    def _email(self, line: Line) -> None:
        value = line.values[EMAIL]
        if not value:
            line.problems.append(_("the email address is missing."))
            return
        email = self.email_keys[value]
        if not email:
            line.problems.append(_("“%(email)s” is not a valid email address.", email=value))
            return
        line.email = email
        first = self.first_line_of_email.setdefault(email, line.number)
        if first != line.number:
            line.problems.append(
                _("the email address %(email)s is already on line %(first)s.", email=email, first=first)
            )

    def _name(self, line: Line) -> None:
        line.name = line.values[NAME]
        if not line.name:
            line.problems.append(_("the name is missing."))
        elif len(line.name) > MAX_NAME_LENGTH:
            line.problems.append(_("the name is longer than %(max)s characters.", max=MAX_NAME_LENGTH))

    def _country(self, line: Line) -> None:
        value = line.values[COUNTRY]
        if not value:
            line.problems.append(_("the country is missing."))
        elif not is_country_code(value):
            line.problems.append(
                _(
                    "“%(value)s” is not a two-letter ISO 3166 country code (such as FR, MX or KE).",
                    value=value,
                )
            )
        else:
            line.country = value.upper()

    def _stakeholder_type(self, line: Line) -> None:
        value = line.values[TYPE]
        if not value:
            line.problems.append(_("the stakeholder type is missing."))
            return
        line.stakeholder_type = self.types[value]
        if line.stakeholder_type is None:
            line.problems.append(
                _(
                    "“%(value)s” is not a stakeholder type. Use one of: %(types)s.",
                    value=value,
                    types=", ".join(member.value for member in StakeholderType),
                )
            )

    def _organization(self, line: Line) -> None:
        name = " ".join(line.values[ORGANIZATION].split())
        if not name:
            line.problems.append(_("the organization is missing."))
            return
        if len(name) > MAX_NAME_LENGTH:
            line.problems.append(_("the organization name is longer than %(max)s characters.", max=MAX_NAME_LENGTH))
            return
        line.organization_name = name
        line.organization_key = Organization.key_for(name)
        if not line.country or line.stakeholder_type is None:
            return  # the country or type problem is already reported; no comparison makes sense
        existing = self.directory.organizations.get(line.organization_key)
        if existing is not None:
            self._agrees_with_existing(line, existing)
            return
        first = self.new_organizations.setdefault(
            line.organization_key,
            NewOrganization(name, line.organization_key, line.country, line.stakeholder_type, line.number),
        )
        if (first.country, first.stakeholder_type) != (line.country, line.stakeholder_type):
            line.problems.append(
                _(
                    "line %(first)s creates the organization “%(name)s” with country %(first_country)s and type "
                    "%(first_type)s, but this line says country %(country)s and type %(type)s.",
                    first=first.line,
                    name=first.name,
                    first_country=first.country,
                    first_type=first.stakeholder_type.label,
                    country=line.country,
                    type=line.stakeholder_type.label,
                )
            )

    def _agrees_with_existing(self, line: Line, existing: Organization) -> None:
        if not existing.active:
            line.problems.append(
                _("the organization “%(name)s” is deactivated. Reactivate it first.", name=existing.name)
            )
        if (existing.country.upper(), existing.stakeholder_type) != (line.country, line.stakeholder_type.value):
            line.problems.append(
                _(
                    "the organization “%(name)s” already exists with country %(existing_country)s and type "
                    "%(existing_type)s, but this line says country %(country)s and type %(type)s.",
                    name=existing.name,
                    existing_country=existing.country,
                    existing_type=existing.stakeholder.label,
                    country=line.country,
                    type=line.stakeholder_type.label,
                )
            )

    def _existing_user(self, line: Line) -> None:
        user = self.directory.users.get(line.email) if line.email else None
        if user is None or not line.organization_key:
            return
        named = self.directory.organizations.get(line.organization_key)
        if user.organization is None:
            line.problems.append(
                _(
                    "%(email)s already has an account without an organization; it cannot be moved to "
                    "“%(organization)s” by an import.",
                    email=user.email,
                    organization=line.organization_name,
                )
            )
        elif named is None or named.id != user.organization_id:
            line.problems.append(
                _(
                    "%(email)s already has an account with the organization “%(current)s”, not “%(organization)s”. "
                    "Change the line, or move the person on the Users page.",
                    email=user.email,
                    current=user.organization.name,
                    organization=line.organization_name,
                )
            )
        else:
            line.user = user

    def _group(self, line: Line) -> None:
        value = line.values[GROUP]
        if not value:
            return
        groups = self.directory.groups_named(value)
        if not groups:
            line.problems.append(_("there is no group named “%(name)s”.", name=value))
        elif len(groups) > 1:
            line.problems.append(
                _("more than one group is named “%(name)s”; use the group's name in another language.", name=value)
            )
        elif not groups[0].active:
            line.problems.append(_("the group “%(name)s” is closed.", name=value))
        else:
            line.group = groups[0]

    def _role(self, line: Line) -> None:
        value = line.values[ROLE]
        if not value:
            return
        role = self.roles[value]
        if role is None:
            line.problems.append(_("“%(value)s” is not a role. Use participant or moderator.", value=value))
        elif role not in IMPORTABLE_ROLES:
            line.problems.append(
                _(
                    "the role %(role)s cannot be imported: only participants and moderators can. "
                    "Add staff and administrators one by one.",
                    role=role.label,
                )
            )
        else:
            line.role = role

    def _locale(self, line: Line) -> None:
        value = line.values[LOCALE].casefold()
        if not value:
            return
        if value not in LOCALES:
            line.problems.append(
                _(
                    "“%(value)s” is not an interface language. Use %(locales)s.",
                    value=line.values[LOCALE],
                    locales=", ".join(LOCALES),
                )
            )
        else:
            line.locale = value


def memberships_to_add(
    lines: list[Line], directory: DirectoryLookup, new_organizations: dict[str, NewOrganization]
) -> list[Membership]:
    wanted: dict[tuple[str, int], Membership] = {}
    for line in lines:
        if line.problems or line.group is None:
            continue
        existing = directory.organizations.get(line.organization_key)
        if existing is not None and (existing.id, line.group.id) in directory.memberships:
            continue
        name = existing.name if existing else new_organizations[line.organization_key].name
        wanted.setdefault((line.organization_key, line.group.id), Membership(line.organization_key, name, line.group))
    return list(wanted.values())

