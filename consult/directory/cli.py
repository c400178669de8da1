"""`flask users ...`: account management from the command line (first admin, emergencies)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from consult.directory import service

users_command = AppGroup("users", help="Manage user accounts.")


def _fail(errors: dict[str, str]) -> None:
    raise click.ClickException(" ".join(errors.values()))


@users_command.command("create")
@click.option("--email", required=True, help="Email address (the sign-in name).")
@click.option("--name", "display_name", required=True, help="Name shown to others.")
@click.option("--role", required=True, help="participant, moderator, staff or admin.")
@click.option("--organization", default=None, help="Organization name (required for participants).")
@click.option("--password", default=None, help="Initial password; asked for (twice) when omitted.")
def create_user(email: str, display_name: str, role: str, organization: str | None, password: str | None):
    """Create a user account. Nothing is written when any detail is wrong."""
    organization_id = None
    if organization is not None:
        found = service.organization_named(organization)
        if found is None:
            _fail({"organization": _("There is no organization named %(name)s.", name=organization)})
        organization_id = found.id
    fields = service.UserFields(
        email=email, display_name=display_name, role=role.strip().lower(), organization_id=organization_id
    )
    # Check everything else before asking for a password that would then be thrown away.
    errors = service.new_user_errors(fields)
    if errors:
        _fail(errors)
    if password is None:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    if not password:
        _fail({"password": _("Enter a password.")})
    try:
        user = service.create_user(None, fields, password=password)
    except service.InvalidInput as invalid:
        _fail(invalid.errors)
    click.echo(_("Created %(email)s (%(role)s).", email=user.email, role=user.role))
