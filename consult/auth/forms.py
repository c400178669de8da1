from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from consult.i18n import (
    is_supported_locale,
    is_valid_time_zone,
    language_choices,
    time_zone_names,
)
from consult.security import Role

MAX_PASSWORD = 256
MIN_PASSWORD = 10


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


# --- Shared fields and checks --------------------------------------------


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field() -> EmailField:
    # Pasted addresses often carry a space; browsers strip it, so do we.
    return EmailField(_l("Email address"), filters=[_strip], validators=[DataRequired(), Email(), Length(max=320)])


def _language_field(label=_l("Preferred language")) -> SelectField:
    return SelectField(label, validate_choice=False, validators=[DataRequired()])


def _time_zone_field() -> SelectField:
    return SelectField(
        _l("Time zone"),
        validate_choice=False,
        validators=[DataRequired()],
        description=_l("Dates and deadlines are shown in this time zone."),
    )


def _new_password_fields():
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
        description=_l(
            "At least %(count)d characters. A few unrelated words make a strong password.", count=MIN_PASSWORD
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    return password, confirm


def password_is_not_email(password: str, email: str) -> None:
    if email and (password or "").strip().casefold() == email.strip().casefold():
        raise ValidationError(_l("Your password must not be your email address."))


class _LanguageAndZoneMixin:
    """Fills the language and time-zone lists and checks the values against them."""

    def fill_language_and_zone_choices(self) -> None:
        self.locale.choices = language_choices(native=True)
        self.timezone.choices = [(name, name) for name in time_zone_names()]

    def validate_locale(self, field) -> None:
        if not is_supported_locale(field.data):
            raise ValidationError(_l("Choose English, French or Spanish."))

    def validate_timezone(self, field) -> None:
        if not is_valid_time_zone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))


# --- Invitations ---------------------------------------------------------


class InvitationForm(FlaskForm):
    email = _email_field()
    role = SelectField(_l("Role"), validate_choice=False, validators=[DataRequired()])
    organization = SelectField(
        _l("Organization"),
        validate_choice=False,
        description=_l("Required for participants."),
    )
    group = SelectField(
        _l("Stakeholder group"),
        validate_choice=False,
        description=_l(
            "Optional. The organization joins this group; a moderator also moderates it once they accept."
        ),
    )
    locale = _language_field(_l("Language of the invitation email"))

    def __init__(self, *args, roles: list[Role], organizations: list, groups: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role.label) for role in roles]
        self.organization.choices = [("", _l("— No organization —"))] + [
            (str(organization.id), organization.name) for organization in organizations
        ]
        self.group.choices = [("", _l("— No group —"))] + [(str(group.id), str(group.name)) for group in groups]
        self.locale.choices = language_choices(native=True)

    def validate_role(self, field) -> None:
        if field.data not in {value for value, _label in self.role.choices}:
            raise ValidationError(_l("You may not invite someone with this role."))

    def validate_organization(self, field) -> None:
        if field.data and field.data not in {value for value, _label in self.organization.choices}:
            raise ValidationError(_l("Choose an active organization from the list."))
        if not field.data and self.role.data == Role.PARTICIPANT.value:
            raise ValidationError(_l("Choose the organization this participant belongs to."))

    def validate_group(self, field) -> None:
        if field.data and field.data not in {value for value, _label in self.group.choices}:
            raise ValidationError(_l("Choose an active group from the list."))

    def validate_locale(self, field) -> None:
        if not is_supported_locale(field.data):
            raise ValidationError(_l("Choose English, French or Spanish."))

    @property
    def organization_id(self) -> int | None:
        return int(self.organization.data) if self.organization.data else None

    @property
    def group_id(self) -> int | None:
        return int(self.group.data) if self.group.data else None


class AcceptInvitationForm(_LanguageAndZoneMixin, FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As other delegates will see it, for example “Ana Pérez”."),
    )
    password, confirm = _new_password_fields()
    locale = _language_field()
    timezone = _time_zone_field()
    # Filled by the browser when it can tell its own zone; the default otherwise.
    browser_timezone = HiddenField()

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email
        self.fill_language_and_zone_choices()
        self.timezone.render_kw = {"data-detect-timezone": ""}
        if not self.timezone.data:
            detected = self.browser_timezone.data
            self.timezone.data = detected if is_valid_time_zone(detected) else "UTC"

    def validate_password(self, field) -> None:
        password_is_not_email(field.data, self.account_email)


# --- Password reset ------------------------------------------------------


class PasswordResetRequestForm(FlaskForm):
    email = _email_field()


class PasswordResetForm(FlaskForm):
    password, confirm = _new_password_fields()

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email

    def validate_password(self, field) -> None:
        password_is_not_email(field.data, self.account_email)


# --- The person's own account --------------------------------------------


class ProfileForm(_LanguageAndZoneMixin, FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    locale = _language_field()
    timezone = _time_zone_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fill_language_and_zone_choices()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)]
    )
    password, confirm = _new_password_fields()

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email

    def validate_password(self, field) -> None:
        password_is_not_email(field.data, self.account_email)
