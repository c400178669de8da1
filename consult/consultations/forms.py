"""Forms for consultations: the editor, the state actions with their reason, and the list's filters.

Selects that list rows or fixed codes do not check their own choices: the
service does, with a message a person understands.
"""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from consult.consultations.models import AudienceMode, ConsultationState, ModerationMode
from consult.directory.forms import CheckboxListField, record_id
from consult.directory.stakeholders import StakeholderType, sort_key
from consult.i18n import LOCALES, language_choices, language_name, time_zone_names

MAX_TITLE = 300
MAX_SUMMARY = 2000
MAX_BODY = 50_000
MAX_SLUG = 120
MAX_MEETING_TEXT = 300
MAX_REASON = 2000
MAX_SEARCH = 200

# What a datetime-local input sends; the first one is also how the field shows a value.
LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

AUDIENCE_LABELS = {
    AudienceMode.PUBLIC: _l("Every signed-in participant"),
    AudienceMode.RESTRICTED: _l("Only the groups and stakeholder types chosen below"),
}

MODERATION_LABELS = {
    ModerationMode.POST: _l("Post-moderation: comments appear at once; moderators act afterwards"),
    ModerationMode.PRE: _l("Pre-moderation: comments wait for a moderator's approval"),
}

TEXT_PARTS = ("title", "summary", "body")


def _local_datetime_field(label, description=None) -> DateTimeLocalField:
    return DateTimeLocalField(
        label, format=LOCAL_DATETIME_FORMATS, validators=[InputRequired()], description=description
    )


def chosen_id(value) -> int:
    """A chosen row's id; anything that cannot be one becomes 0, which the service names as not on offer."""
    try:
        return record_id(value)
    except (TypeError, ValueError):
        return 0


def group_choices(groups) -> list[tuple[int, str]]:
    named = [(g.id, str(g.name)) for g in groups]
    return sorted(named, key=lambda choice: sort_key(choice[1]))


class ConsultationForm(FlaskForm):
    original_locale = SelectField(
        _l("Original language"),
        validate_choice=False,
        description=_l("The title, summary and background are required in this language."),
    )
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=MAX_SLUG)],
        description=_l(
            "The last part of the consultation's address: lower-case letters, digits and hyphens, 3 to 120 "
            "characters. Leave it empty to make one from the title. It cannot change once published."
        ),
    )
    group_id = SelectField(
        _l("Group"),
        coerce=chosen_id,
        validate_choice=False,
        description=_l("The group whose moderators run the consultation."),
    )
    opens_at = _local_datetime_field(_l("Opens"))
    closes_at = _local_datetime_field(_l("Closes"))
    time_zone = SelectField(
        _l("Time zone of these dates"),
        validate_choice=False,
        description=_l("Each reader sees the dates in their own time zone."),
    )
    audience_mode = RadioField(_l("Who takes part"), validate_choice=False, default=AudienceMode.PUBLIC.value)
    audience_group_ids = CheckboxListField(_l("Groups"), coerce=chosen_id, validate_choice=False)
    audience_types = CheckboxListField(_l("Stakeholder types"), validate_choice=False)
    meeting_name = StringField(_l("Meeting name"), validators=[Optional(), Length(max=MAX_MEETING_TEXT)],
                               description=_l("The meeting this consultation prepares, if any."))
    meeting_date = DateField(_l("Meeting date"), validators=[Optional()])
    meeting_place = StringField(_l("Meeting place"), validators=[Optional(), Length(max=MAX_MEETING_TEXT)])
    meeting_virtual = BooleanField(_l("The meeting is virtual"))
    moderation_mode = RadioField(_l("Moderation"), validate_choice=False, default=ModerationMode.POST.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in LOCALES:
            language = language_name(code)
            self[f"title_{code}"].label.text = _("Title in %(language)s", language=language)
            self[f"summary_{code}"].label.text = _("Summary in %(language)s", language=language)
            self[f"body_{code}"].label.text = _("Background in %(language)s", language=language)
            self[f"body_{code}"].description = _("Markdown: **bold**, *italics*, lists, links.")

    def set_choices(self, groups, audience_groups) -> None:
        self.original_locale.choices = language_choices()
        self.group_id.choices = group_choices(groups)
        self.time_zone.choices = [(name, name) for name in time_zone_names()]
        self.audience_mode.choices = [(mode.value, AUDIENCE_LABELS[mode]) for mode in AudienceMode]
        self.audience_group_ids.choices = group_choices(audience_groups)
        self.audience_types.choices = [(member.value, member.label) for member in StakeholderType]
        self.moderation_mode.choices = [(mode.value, MODERATION_LABELS[mode]) for mode in ModerationMode]

    def lock_published_fields(self) -> None:
        """Once published, the address and the dates change only through the audited actions."""
        for name in ("slug", "opens_at", "closes_at", "time_zone"):
            delattr(self, name)

    def texts(self, part: str) -> dict[str, str]:
        return {code: self[f"{part}_{code}"].data or "" for code in LOCALES}

    def fill_texts(self, part: str, texts: dict[str, str]) -> None:
        for code in LOCALES:
            self[f"{part}_{code}"].data = texts.get(code, "")

    def completeness(self) -> list[tuple[str, str, str]]:
        """Per language: code, name and the parts still missing ("" when complete), as a readable list."""
        labels = {"title": _("title"), "summary": _("summary"), "body": _("background")}
        result = []
        for code in LOCALES:
            missing = [labels[part] for part in TEXT_PARTS if not (self[f"{part}_{code}"].data or "").strip()]
            result.append((code, language_name(code), format_list(missing, locale=get_locale()) if missing else ""))
        return result


# One title, summary and background per interface language, side by side on the page.
for _code in LOCALES:
    setattr(ConsultationForm, f"title_{_code}", StringField(validators=[Optional(), Length(max=MAX_TITLE)]))
    setattr(ConsultationForm, f"summary_{_code}", TextAreaField(validators=[Optional(), Length(max=MAX_SUMMARY)]))
    setattr(ConsultationForm, f"body_{_code}", TextAreaField(validators=[Optional(), Length(max=MAX_BODY)]))
del _code


class ReasonForm(FlaskForm):
    """Every change of state says why; the reason goes to the audit log."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why, for the record.")),
            Length(max=MAX_REASON, message=_l("The reason can have at most %(max)d characters.")),
        ],
        description=_l("Kept in the audit log with your name."),
    )


class ExtendForm(ReasonForm):
    closes_at = _local_datetime_field(_l("New closing time"))


STATE_FILTERS = {
    "open": ConsultationState.OPEN,
    "upcoming": ConsultationState.SCHEDULED,
    "closed": ConsultationState.CLOSED,
}
MANAGER_STATE_FILTERS = {"draft": ConsultationState.DRAFT, "archived": ConsultationState.ARCHIVED}

STATE_FILTER_LABELS = {
    "open": lazy_pgettext("consultations filter", "Open"),
    "upcoming": lazy_pgettext("consultations filter", "Upcoming"),
    "closed": lazy_pgettext("consultations filter", "Closed"),
    "draft": lazy_pgettext("consultations filter", "Drafts"),
    "archived": lazy_pgettext("consultations filter", "Archived"),
}


class ConsultationFilterForm(FlaskForm):
    """The list's filters. Values are checked here so a bad one is named, not silently dropped."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=MAX_SEARCH)],
                    description=_l("Title or summary, in any language"))
    state = SelectField(_l("State"), validate_choice=False, default="")
    group = SelectField(_l("Group"), validate_choice=False, default="")
    language = SelectField(_l("Language"), validate_choice=False, default="",
                           description=_l("Consultations with a title in this language"))

    def set_choices(self, groups, manager: bool) -> None:
        states = list(STATE_FILTERS) + (list(MANAGER_STATE_FILTERS) if manager else [])
        self.state.choices = [("", _("Any state"))] + [(key, STATE_FILTER_LABELS[key]) for key in states]
        self.group.choices = [("", _("Any group"))] + [(str(i), name) for i, name in group_choices(groups)]
        self.language.choices = [("", _("Any language")), *language_choices()]

    def _offered(self, field) -> bool:
        return field.data in {value for value, _label in field.choices}

    def validate_state(self, field) -> None:
        if not self._offered(field):
            raise ValidationError(_l("Choose a state from the list."))

    def validate_group(self, field) -> None:
        if not self._offered(field):
            raise ValidationError(_l("Choose a group from the list."))

    def validate_language(self, field) -> None:
        if not self._offered(field):
            raise ValidationError(_l("Choose English, French or Spanish."))

    def chosen_state(self) -> ConsultationState | None:
        if self.state.errors or not self.state.data:
            return None
        return {**STATE_FILTERS, **MANAGER_STATE_FILTERS}[self.state.data]

    def chosen_group_id(self) -> int | None:
        return None if self.group.errors or not self.group.data else int(self.group.data)

    def chosen_language(self) -> str | None:
        return None if self.language.errors or not self.language.data else self.language.data

    def chosen_search(self) -> str:
        return "" if self.q.errors else " ".join((self.q.data or "").replace("\x00", "").split())
