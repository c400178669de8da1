"""What an administrator does to users, and what the directory's operations share.

Each operation validates everything first, then writes, audits and commits
once; bad input raises InvalidInput (messages keyed by form field name) and
leaves the database untouched. Organizations are in organization_service,
groups in group_service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.audit import record
from consult.directory.models import Organization, User
from consult.extensions import db
from consult.i18n import DEFAULT_LOCALE, is_supported_locale, is_valid_time_zone
from consult.security import Role

MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_EMAIL = 320
MAX_NAME = 200
MAX_DESCRIPTION = 5000


class InvalidInput(Exception):
    """Input a person must correct; `errors` maps a form field name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class Refused(Exception):
    """An action this person may not take; the message says why."""


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


@contextmanager
def _saving(duplicate_errors: dict[str, str]) -> Iterator[None]:
    """Commit the block's writes; a unique-constraint race becomes a field error, not a 500."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput(duplicate_errors) from None


def _set_active(actor, target, active: bool, action: str) -> bool:
    """Switch `target.active`, audited; False (nothing written) when it already was so."""
    if target.active == active:
        return False
    target.active = active
    record(actor, action, target)
    db.session.commit()
    return True


# --- Users ---------------------------------------------------------------


@dataclass
class UserFields:
    email: str
    display_name: str
    role: str
    organization_id: int | None = None
    locale: str = DEFAULT_LOCALE
    timezone: str = "UTC"


def organization_named(name: str) -> Organization | None:
    """The organization called `name`, ignoring case and extra spaces."""
    return db.session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(name or "")))


def _is_email(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _check_user(fields: UserFields, user: User | None, actor) -> tuple[dict[str, str], Organization | None]:
    errors: dict[str, str] = {}
    email = User.normalise_email(fields.email)
    if not email:
        errors["email"] = _("Enter an email address.")
    elif len(email) > MAX_EMAIL or not _is_email(email):
        errors["email"] = _("Enter a valid email address, such as name@example.org.")
    else:
        existing = User.by_email(email)
        if existing is not None and existing is not user:
            errors["email"] = _("Another account already uses %(email)s.", email=email)

    name = _clean(fields.display_name)
    if not name:
        errors["display_name"] = _("Enter the person's name.")
    elif len(name) > MAX_NAME:
        errors["display_name"] = _("The name can have at most %(count)d characters.", count=MAX_NAME)

    role = Role(fields.role) if fields.role in set(Role) else None
    if role is None:
        errors["role"] = _(
            "“%(role)s” is not a role. Choose one of: %(roles)s.",
            role=fields.role or "",
            roles=", ".join(r.value for r in Role),
        )
    elif user is not None and actor is not None and user.id == actor.id and role != Role.ADMIN:
        errors["role"] = _("You cannot remove your own administrator role. Ask another administrator to do it.")

    organization = None
    if fields.organization_id is not None:
        organization = db.session.get(Organization, fields.organization_id)
        if organization is None:
            errors["organization_id"] = _("This organization does not exist.")
        elif not organization.active and (user is None or user.organization_id != organization.id):
            errors["organization_id"] = _(
                "%(name)s is deactivated. Choose an active organization.", name=organization.name
            )
    elif role == Role.PARTICIPANT:
        errors["organization_id"] = _("A participant must belong to an organization.")

    if not is_supported_locale(fields.locale):
        errors["locale"] = _("Choose English, French or Spanish.")
    if not is_valid_time_zone(fields.timezone):
        errors["timezone"] = _(
            "“%(zone)s” is not a known time zone. Use a name such as Europe/Paris.", zone=fields.timezone or ""
        )
    return errors, organization


def password_errors(password: str | None) -> dict[str, str]:
    """An empty password means none is set now; a given one must be long enough."""
    if not password:
        return {}
    if len(password) < MIN_PASSWORD:
        return {"password": _("The password must have at least %(count)d characters.", count=MIN_PASSWORD)}
    if len(password) > MAX_PASSWORD:
        return {"password": _("The password can have at most %(count)d characters.", count=MAX_PASSWORD)}
    return {}


def new_user_errors(fields: UserFields, password: str | None = None) -> dict[str, str]:
    """What is wrong with these details for a new account (empty when nothing is)."""
    errors, _organization = _check_user(fields, None, None)
    return errors | password_errors(password)


def create_user(actor, fields: UserFields, password: str | None = None) -> User:
    errors, organization = _check_user(fields, None, actor)
    errors |= password_errors(password)
    if errors:
        raise InvalidInput(errors)
    email = User.normalise_email(fields.email)
    user = User(
        email=email,
        display_name=_clean(fields.display_name),
        role=fields.role,
        organization=organization,
        locale=fields.locale,
        timezone=fields.timezone,
        active=True,
    )
    if password:
        user.set_password(password)
    with _saving({"email": _("Another account already uses %(email)s.", email=email)}):
        db.session.add(user)
        record(
            actor,
            "user_created",
            user,
            role=user.role,
            organization=organization.name if organization else None,
            password_set=bool(password),
        )
    return user


def _user_snapshot(user: User, organization: Organization | None) -> dict:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "organization": organization.name if organization else None,
        "locale": user.locale,
        "timezone": user.timezone,
    }


def update_user(actor, user: User, fields: UserFields) -> User:
    errors, organization = _check_user(fields, user, actor)
    if errors:
        raise InvalidInput(errors)
    before = _user_snapshot(user, user.organization)
    old_role = user.role
    email = User.normalise_email(fields.email)
    user.email = email
    user.display_name = _clean(fields.display_name)
    user.role = fields.role
    user.organization = organization
    user.locale = fields.locale
    user.timezone = fields.timezone
    after = _user_snapshot(user, organization)
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    with _saving({"email": _("Another account already uses %(email)s.", email=email)}):
        if changes:
            record(actor, "user_updated", user, changes=changes)
        if old_role != user.role:
            record(actor, "role_change", user, **{"from": old_role, "to": user.role})
    return user


def deactivate_user(actor, user: User) -> bool:
    """Stop the account and end every session it has; False when it was already inactive."""
    if actor is not None and actor.id == user.id:
        raise Refused(_("You cannot deactivate your own account. Ask another administrator to do it."))
    if not user.active:
        return False
    user.active = False
    user.end_other_sessions()
    record(actor, "user_deactivated", user)
    db.session.commit()
    return True


def reactivate_user(actor, user: User) -> bool:
    return _set_active(actor, user, True, "user_reactivated")
