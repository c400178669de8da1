"""Forms of the moderation queue, the moderation actions and the secretariat responses.

Selects of fixed codes check their own choices with a message a person understands
(WTForms' own "Not a valid choice" says nothing about what to do).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField, ValidationError
from wtforms.validators import Length, Optional

from consult.comments.models import (
    MAX_BODY_LENGTH,
    FlagReason,
    ModerationReason,
    ResponseOutcome,
)
from consult.comments.moderation import MAX_NOTE_LENGTH
from consult.i18n import LOCALES, language_choices

# --- Queue filters -------------------------------------------------------

QUEUE_STATUSES = ("", "pending", "flagged", "hidden", "rejected", "all")


def _status_choices() -> list[tuple[str, str]]:
    return [
        ("", _("Needs attention (awaiting moderation or flagged)")),
        ("pending", _("Awaiting moderation")),
        ("flagged", _("Flagged")),
        ("hidden", _("Hidden")),
        ("rejected", _("Rejected")),
        ("all", _("All comments")),
    ]


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    consultation = SelectField(_l("Consultation"), default="", validate_choice=False)
    status = SelectField(_l("Show"), default="", validate_choice=False)
    flag_reason = SelectField(_l("Flag reason"), default="", validate_choice=False)
    language = SelectField(_l("Language"), default="", validate_choice=False)

    def set_choices(self, consultations) -> None:
        self.consultation.choices = [("", _("All my consultations"))] + [
            (str(c.id), str(c.title)) for c in consultations
        ]
        self.status.choices = _status_choices()
        self.flag_reason.choices = [("", _("Any reason"))] + [(r.value, r.label) for r in FlagReason]
        self.language.choices = [("", _("Any language")), *language_choices(native=True)]

    def validate_consultation(self, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("Choose one of your consultations from the list."))

    @property
    def consultation_id(self) -> int | None:
        return int(self.consultation.data) if self.consultation.data and not self.consultation.errors else None

    def validate_status(self, field) -> None:
        if field.data not in QUEUE_STATUSES:
            raise ValidationError(_("Choose what to show from the list."))

    def validate_flag_reason(self, field) -> None:
        if field.data and field.data not in set(FlagReason):
            raise ValidationError(_("Choose a flag reason from the list."))

    def validate_language(self, field) -> None:
        if field.data and field.data not in LOCALES:
            raise ValidationError(_("Choose English, French or Spanish."))


# --- Moderation actions ---------------------------------------------------


def reason_choices() -> list[tuple[str, str]]:
    return [("", _("Choose a reason"))] + [(r.value, r.label) for r in ModerationReason]


class ModerationForm(FlaskForm):
    """Approve, reject, hide or restore a comment; reject and hide need a reason."""

    reason = SelectField(
        _l("Reason"),
        validate_choice=False,
        description=_l("The author reads this reason in their own language."),
    )
    note = TextAreaField(
        _l("Note to the author"),
        validators=[Optional(), Length(max=MAX_NOTE_LENGTH)],
        description=_l("Optional, at most 2,000 characters; sent to the author as written."),
    )
    next = HiddenField()

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_required = reason_required
        self.reason.choices = reason_choices()

    def validate_reason(self, field) -> None:
        if not field.data:
            if self.reason_required:
                raise ValidationError(_("Choose the reason the author will be given."))
            return
        if field.data not in set(ModerationReason):
            raise ValidationError(_("Choose a reason from the list."))

    @property
    def reason_code(self) -> ModerationReason | None:
        return ModerationReason(self.reason.data) if self.reason.data else None


class DismissFlagsForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    next = HiddenField()


# --- Secretariat responses ------------------------------------------------


class ResponseForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), validate_choice=False)
    text = TextAreaField(
        _l("Response"),
        validators=[Optional(), Length(max=MAX_BODY_LENGTH)],
        description=_l("Markdown, at most 20,000 characters."),
    )
    language = SelectField(_l("Language of the response"), validate_choice=False)
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", _("Choose an outcome"))] + [(o.value, o.label) for o in ResponseOutcome]
        self.language.choices = language_choices(native=True)

    def validate_outcome(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose the outcome of the comment."))
        if field.data not in set(ResponseOutcome):
            raise ValidationError(_("Choose an outcome from the list."))

    def validate_language(self, field) -> None:
        if field.data not in LOCALES:
            raise ValidationError(_("Choose English, French or Spanish."))


class PublishResponsesForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=MAX_NOTE_LENGTH)],
        description=_l("Optional; kept in the audit log."),
    )


class CompilationFilterForm(FlaskForm):
    class Meta:
        csrf = False

    show = SelectField(_l("Show"), default="", validate_choice=False)

    def set_choices(self) -> None:
        self.show.choices = [("", _("All comments")), ("without_response", _("Without a response"))]

    def validate_show(self, field) -> None:
        if field.data not in ("", "without_response"):
            raise ValidationError(_("Choose what to show from the list."))
