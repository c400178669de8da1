"""Forms for working documents: details, content (pasted or uploaded), new version, translation.

Choices (languages, categories) are not checked by the fields: the service
checks them and says what is wrong in words a person understands.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from consult.consultations.document_service import MAX_NOTE, MAX_TITLE
from consult.consultations.models import DocumentCategory
from consult.i18n import LOCALES, language_choices, language_name

DEADLINE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class DocumentDetailsForm(FlaskForm):
    original_locale = SelectField(
        _l("Original language"),
        validate_choice=False,
        description=_l("The language the document was written in. Its title must be given in that language."),
    )
    category = RadioField(_l("Agenda category"), validate_choice=False, default=DocumentCategory.B.value)
    comment_deadline = DateTimeLocalField(
        _l("Comment deadline"),
        format=DEADLINE_FORMATS,
        validators=[Optional()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in LOCALES:
            self[f"title_{code}"].label.text = _("Title in %(language)s", language=language_name(code))

    def set_choices(self) -> None:
        self.original_locale.choices = language_choices()
        self.category.choices = [(c.value, c.label) for c in DocumentCategory]

    def titles(self) -> dict[str, str]:
        return {code: self[f"title_{code}"].data or "" for code in LOCALES}

    def fill_titles(self, texts: dict[str, str]) -> None:
        for code in LOCALES:
            self[f"title_{code}"].data = texts.get(code, "")


for _code in LOCALES:
    setattr(
        DocumentDetailsForm,
        f"title_{_code}",
        StringField(validators=[Optional(), Length(max=MAX_TITLE)], render_kw={"lang": _code}),
    )
del _code


class ContentFieldsMixin:
    content = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Optional()],
        description=_l(
            "Headings start with #. Each paragraph, list, table or quotation becomes one numbered paragraph."
        ),
    )
    upload = FileField(
        _l("Or upload a file"),
        description=_l("A Word document (.docx), or a Markdown or text file (.md, .markdown, .txt) in UTF-8."),
    )


class NewDocumentForm(ContentFieldsMixin, DocumentDetailsForm):
    pass


class NewVersionForm(ContentFieldsMixin, FlaskForm):
    original_locale = SelectField(
        _l("Language of this text"),
        validate_choice=False,
        description=_l("Paragraphs that are the same as in the previous version keep their translations."),
    )
    note = StringField(
        _l("What changed"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        description=_l("A short note for readers, shown with the version."),
    )

    def set_choices(self) -> None:
        self.original_locale.choices = language_choices()


class TranslationFormBase(FlaskForm):
    version = HiddenField()
    title = StringField(validators=[Optional(), Length(max=MAX_TITLE)])


def translation_form(paragraphs, locale: str, **kwargs) -> TranslationFormBase:
    """A form with one text area per block of the version, labelled in the viewer's language."""
    language = language_name(locale)

    class TranslationForm(TranslationFormBase):
        pass

    for paragraph in paragraphs:
        if paragraph.is_heading:
            label = _("Heading in %(language)s", language=language)
        else:
            label = _("§%(number)s in %(language)s", number=paragraph.number, language=language)
        setattr(
            TranslationForm,
            f"block_{paragraph.id}",
            TextAreaField(
                label, validators=[Optional()], render_kw={"lang": locale, "rows": 2 if paragraph.is_heading else 5}
            ),
        )
    form = TranslationForm(**kwargs)
    form.title.label.text = _("Title in %(language)s", language=language)
    form.title.render_kw = {"lang": locale}
    return form
