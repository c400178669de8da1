"""Forms to write, edit and flag comments.

Choices are not checked by the fields themselves: the service does, with a
message a person understands, so a tampered value gets the same clear answer.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField

from consult.comments.models import CommentType, FlagReason, Position, Visibility
from consult.i18n import current_locale_code, language_choices

MARKDOWN_HINT = _l("You can use Markdown: **bold**, *italic*, lists and links. At most 20,000 characters.")


def _type_choices() -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in CommentType]


def _position_choices() -> list[tuple[str, str]]:
    return [("", str(_l("No position"))), *((member.value, member.label) for member in Position)]


def _visibility_choices() -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in Visibility]


def unique_ids(form: FlaskForm, prefix: str) -> FlaskForm:
    """Give every field of `form` an id starting with `prefix`, so many forms can share a page."""
    if prefix:
        for form_field in form:
            form_field.id = f"{prefix}{form_field.id}"
            form_field.label.field_id = form_field.id
    return form


class CommentContentForm(FlaskForm):
    """What an author writes, and may change later."""

    body = TextAreaField(_l("Your comment"), description=MARKDOWN_HINT, render_kw={"rows": 6})
    comment_type = SelectField(_l("Type of comment"), validate_choice=False)
    position = SelectField(_l("Your position on the text"), validate_choice=False)
    proposed_wording = TextAreaField(
        _l("Proposed wording (optional)"),
        description=_l("The paragraph as you would write it; it is shown word by word as a change to the text."),
        render_kw={"rows": 4},
    )
    language = SelectField(_l("Language of your comment"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.comment_type.choices = _type_choices()
        self.position.choices = _position_choices()
        self.language.choices = language_choices(native=True)
        # Defaults only for a field not sent at all: an empty or unknown value sent gets a message.
        if self.language.data is None:
            self.language.data = current_locale_code()
        if self.comment_type.data is None:
            self.comment_type.data = CommentType.GENERAL.value

    def content(self) -> dict[str, str]:
        return {
            "body": self.body.data or "",
            "comment_type": self.comment_type.data or "",
            "position": self.position.data or "",
            "proposed_wording": self.proposed_wording.data or "",
            "language": self.language.data or "",
        }


class CommentForm(CommentContentForm):
    """A new comment: in the general thread, on a paragraph, or in reply to another comment."""

    visibility = RadioField(_l("Who may read it"), validate_choice=False)
    paragraph_id = HiddenField()
    parent_id = HiddenField()
    # Generated when the form is shown: the same form sent twice makes one comment.
    submission_key = HiddenField()
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.visibility.choices = _visibility_choices()
        if self.visibility.data is None:
            self.visibility.data = Visibility.AUDIENCE.value
        if not self.submission_key.data:
            self.submission_key.data = uuid.uuid4().hex

    def content(self) -> dict[str, str]:
        return {**super().content(), "visibility": self.visibility.data or ""}


class FlagForm(FlaskForm):
    reason = RadioField(_l("Why should a moderator look at this comment?"), validate_choice=False)
    note = TextAreaField(
        _l("Anything the moderators should know (optional)"),
        description=_l("At most 2,000 characters. Only moderators read it."),
        render_kw={"rows": 3},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [(member.value, member.label) for member in FlagReason]
