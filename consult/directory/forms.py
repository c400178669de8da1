"""Admin forms for users, organizations and groups, and the filters of their lists.

Selects that list database rows or fixed codes do not check their own choices:
the service does, with a message a person understands, for the web and the CLI alike.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from consult.directory.stakeholders import StakeholderType, country_choices
from consult.i18n import DEFAULT_LOCALE, LOCALES, language_choices, language_name, time_zone_names
from consult.security import Role

MAX_SEARCH = 200
MAX_ID = 2**31 - 1  # the largest id an integer column holds on every database


def record_id(value) -> int:
    """Coerce a chosen row's id; anything that cannot be an id raises ValueError (a field error)."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


def optional_id(value) -> int | None:
    """Like record_id, with "" (nothing chosen) as None."""
    if value is None or value == "":
        return None
    return record_id(value)


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in Role]


def _stakeholder_choices() -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in StakeholderType]


def _yes_no_any(any_label: str, yes_label: str, no_label: str) -> list[tuple[str, str]]:
    return [("", any_label), ("yes", yes_label), ("no", no_label)]


def yes_no(value: str | None) -> bool | None:
    """A yes/no/any filter's value as True, False or None (any)."""
    return {"yes": True, "no": False}.get(value or "")


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as checkboxes, which work without JavaScript or a modifier key."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- Users ---------------------------------------------------------------


class UserForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=320)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), validate_choice=False, default=Role.PARTICIPANT.value)
    organization_id = SelectField(
        _l("Organization"),
        coerce=optional_id,
        validate_choice=False,
        description=_l("Required for participants."),
    )
    locale = SelectField(_l("Language"), validate_choice=False, default=DEFAULT_LOCALE)
    timezone = SelectField(_l("Time zone"), validate_choice=False, default="UTC")

    def set_choices(self, organizations) -> None:
        self.role.choices = _role_choices()
        self.organization_id.choices = [("", _("No organization"))] + [(o.id, o.name) for o in organizations]
        self.locale.choices = language_choices(native=True)
        self.timezone.choices = [(name, name) for name in time_zone_names()]


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), Length(max=256)],
        description=_l(
            "Optional, at least 10 characters. Without one, the person needs an invitation or a password reset "
            "to sign in."
        ),
    )


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=MAX_SEARCH)],
                    description=_l("Email address, name or organization"))
    role = SelectField(_l("Role"), default="")
    status = SelectField(_l("Status"), default="")
    organization = SelectField(_l("Organization"), coerce=optional_id)

    def set_choices(self, organizations) -> None:
        self.role.choices = [("", _("Any role")), *_role_choices()]
        self.status.choices = _yes_no_any(_("Active or not"), _("Active"), _("Deactivated"))
        self.organization.choices = [("", _("Any organization"))] + [(o.id, o.name) for o in organizations]


# --- Organizations -------------------------------------------------------


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), validate_choice=False)
    stakeholder_type = SelectField(_l("Stakeholder type"), validate_choice=False)
    verified = BooleanField(_l("Verified"), description=_l("The secretariat has confirmed this organization."))

    def set_choices(self) -> None:
        self.country.choices = [("", _("Choose a country")), *country_choices()]
        self.stakeholder_type.choices = [("", _("Choose a type")), *_stakeholder_choices()]


class OrganizationFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=MAX_SEARCH)], description=_l("Name"))
    stakeholder_type = SelectField(_l("Stakeholder type"), default="")
    country = SelectField(_l("Country"), default="")
    verified = SelectField(_l("Verified"), default="")
    status = SelectField(_l("Status"), default="")

    def set_choices(self) -> None:
        self.stakeholder_type.choices = [("", _("Any type")), *_stakeholder_choices()]
        self.country.choices = [("", _("Any country")), *country_choices()]
        self.verified.choices = _yes_no_any(_("Verified or not"), _("Verified"), _("Not verified"))
        self.status.choices = _yes_no_any(_("Active or not"), _("Active"), _("Deactivated"))


# --- Groups --------------------------------------------------------------


class GroupForm(FlaskForm):
    original_locale = SelectField(
        _l("Original language"),
        validate_choice=False,
        description=_l("The language the group's name and description were first written in."),
    )
    organization_ids = CheckboxListField(_l("Member organizations"), coerce=record_id, validate_choice=False)
    moderator_ids = CheckboxListField(_l("Moderators"), coerce=record_id, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in LOCALES:
            language = language_name(code)
            self[f"name_{code}"].label.text = _("Name in %(language)s", language=language)
            self[f"description_{code}"].label.text = _("Description in %(language)s", language=language)

    def set_choices(self, organizations, moderators) -> None:
        self.original_locale.choices = language_choices()
        self.organization_ids.choices = [(o.id, o.name) for o in organizations]
        self.moderator_ids.choices = [(u.id, f"{u.display_name} <{u.email}>") for u in moderators]

    def texts(self, prefix: str) -> dict[str, str]:
        return {code: self[f"{prefix}_{code}"].data or "" for code in LOCALES}

    def fill_texts(self, prefix: str, texts: dict[str, str]) -> None:
        for code in LOCALES:
            self[f"{prefix}_{code}"].data = texts.get(code, "")

    def completeness(self) -> list[tuple[str, str, bool, bool]]:
        """Per language: code, name, whether the name and the description are still missing."""
        names, descriptions = self.texts("name"), self.texts("description")
        return [
            (code, language_name(code), not names[code].strip(), not descriptions[code].strip())
            for code in LOCALES
        ]


# One name and one description input per interface language, side by side on the page.
for _code in LOCALES:
    setattr(GroupForm, f"name_{_code}", StringField(validators=[Optional(), Length(max=200)]))
    setattr(GroupForm, f"description_{_code}", TextAreaField(validators=[Optional(), Length(max=5000)]))
del _code
