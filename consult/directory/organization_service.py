"""What an administrator does to organizations (see service for the shared rules)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from consult.audit import record
from consult.directory.models import Organization
from consult.directory.service import MAX_NAME, InvalidInput, _clean, _saving, _set_active, organization_named
from consult.directory.stakeholders import StakeholderType, is_country_code
from consult.extensions import db

# --- Organizations -------------------------------------------------------


@dataclass
class OrganizationFields:
    name: str
    country: str
    stakeholder_type: str
    verified: bool = False


def _duplicate_organization(name: str) -> dict[str, str]:
    return {"name": _("An organization named %(name)s already exists.", name=name)}


def _check_organization(fields: OrganizationFields, organization: Organization | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = _clean(fields.name)
    if not name:
        errors["name"] = _("Enter the organization's name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name can have at most %(count)d characters.", count=MAX_NAME)
    else:
        existing = organization_named(name)
        if existing is not None and existing is not organization:
            errors |= _duplicate_organization(existing.name)
    if not is_country_code(fields.country or "") or len(fields.country or "") != 2:
        errors["country"] = _("Choose a country from the list.")
    if fields.stakeholder_type not in set(StakeholderType):
        errors["stakeholder_type"] = _("Choose a stakeholder type from the list.")
    return errors


def _apply_organization(organization: Organization, fields: OrganizationFields) -> None:
    organization.name = _clean(fields.name)
    organization.name_key = Organization.key_for(organization.name)
    organization.country = fields.country.upper()
    organization.stakeholder_type = fields.stakeholder_type
    organization.verified = bool(fields.verified)


def _organization_snapshot(organization: Organization) -> dict:
    return {
        "name": organization.name,
        "country": organization.country,
        "stakeholder_type": organization.stakeholder_type,
        "verified": organization.verified,
    }


def create_organization(actor, fields: OrganizationFields) -> Organization:
    errors = _check_organization(fields, None)
    if errors:
        raise InvalidInput(errors)
    organization = Organization(active=True)
    _apply_organization(organization, fields)
    with _saving(_duplicate_organization(organization.name)):
        db.session.add(organization)
        record(actor, "organization_created", organization, **_organization_snapshot(organization))
    return organization


def update_organization(actor, organization: Organization, fields: OrganizationFields) -> Organization:
    errors = _check_organization(fields, organization)
    if errors:
        raise InvalidInput(errors)
    before = _organization_snapshot(organization)
    _apply_organization(organization, fields)
    after = _organization_snapshot(organization)
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    with _saving(_duplicate_organization(organization.name)):
        if changes:
            record(actor, "organization_updated", organization, changes=changes)
    return organization


def deactivate_organization(actor, organization: Organization) -> bool:
    """Hide the organization from new choices; its users keep their accounts."""
    return _set_active(actor, organization, False, "organization_deactivated")


def reactivate_organization(actor, organization: Organization) -> bool:
    return _set_active(actor, organization, True, "organization_reactivated")
