"""Forms of the survey builder. Every text has one input per language, side by side.

The forms only parse; the rules (codes, settings, conditions, what answers protect) live in builder_rules and
the builder services, which report problems by path; `QuestionForm.show_errors` puts each next to its field.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional

from consult.i18n import LOCALES, language_choices, language_name
from consult.surveys.builder_rules import (
    CHOICE_LISTS,
    MAX_CHOICES,
    MAX_FILE_BYTES,
    MEGABYTE,
    TEXT_LIMITS,
    ChoiceSpec,
    QuestionSpec,
)
from consult.surveys.models import QuestionType, ResponsePolicy

EXTRA_ROWS = 3  # blank rows offered under a list, and added by "More rows"


def _texts(form, prefix: str) -> dict[str, str]:
    return {code: form[f"{prefix}_{code}"].data or "" for code in LOCALES}


def _fill(form, prefix: str, texts: dict[str, str]) -> None:
    for code in LOCALES:
        form[f"{prefix}_{code}"].data = texts.get(code, "")


def _label_languages(form, prefix: str, label) -> None:
    """`label(language)` is the translated label of the input for that language."""
    for code in LOCALES:
        form[f"{prefix}_{code}"].label.text = label(language_name(code))


def _add_translations(form_class, prefix: str, make_field) -> None:
    for code in LOCALES:
        setattr(form_class, f"{prefix}_{code}", make_field())


def _show(field, message: str) -> None:
    field.errors = [*(field.errors or []), message]


# --- Survey and section ---------------------------------------------------------------


class SurveyForm(FlaskForm):
    original_locale = SelectField(
        _l("Original language"),
        validate_choice=False,
        description=_l("The language the survey is first written in; participants reading another language "
                       "see this one where a translation is missing."),
    )
    response_policy = RadioField(_l("Who answers"), validate_choice=False, default=ResponsePolicy.PERSON.value)
    allow_edit_after_submit = BooleanField(
        _l("Participants may change a submitted response while the survey is open"), default=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_locale.choices = language_choices()
        self.response_policy.choices = [(policy.value, policy.label) for policy in ResponsePolicy]
        _label_languages(self, "title", lambda language: _("Title in %(language)s", language=language))
        _label_languages(self, "intro", lambda language: _("Introduction in %(language)s", language=language))

    def texts(self, prefix: str) -> dict[str, str]:
        return _texts(self, prefix)

    def fill(self, survey) -> None:
        self.original_locale.data = survey.title.original
        _fill(self, "title", survey.title.texts)
        _fill(self, "intro", survey.intro.texts)
        self.response_policy.data = survey.response_policy
        self.allow_edit_after_submit.data = survey.allow_edit_after_submit


_add_translations(SurveyForm, "title", lambda: StringField())
_add_translations(SurveyForm, "intro", lambda: TextAreaField(render_kw={"rows": 4}))


class SectionForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_languages(self, "title", lambda language: _("Title in %(language)s", language=language))
        _label_languages(self, "intro", lambda language: _("Introduction in %(language)s", language=language))

    def texts(self, prefix: str) -> dict[str, str]:
        return _texts(self, prefix)

    def fill(self, section) -> None:
        _fill(self, "title", section.title.texts)
        _fill(self, "intro", section.intro.texts)


_add_translations(SectionForm, "title", lambda: StringField())
_add_translations(SectionForm, "intro", lambda: TextAreaField(render_kw={"rows": 3}))


# --- Questions ---------------------------------------------------------------------------


class ChoiceRowForm(Form):
    """One option, matrix row or matrix column; its CSRF token is the question form's."""

    option_id = HiddenField()
    code = StringField(_l("Code"))
    remove = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return not self.option_id.data and not (self.code.data or "").strip() and not any(
            (self[f"label_{code}"].data or "").strip() for code in LOCALES
        )

    def existing_id(self) -> int | None:
        value = (self.option_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None


_add_translations(ChoiceRowForm, "label", lambda: StringField())


def _choice_list(label):
    return FieldList(FormField(ChoiceRowForm), label=label, max_entries=MAX_CHOICES + 50)


def _optional_integer(label, description=None, low=None, high=None):
    validators = [Optional()]
    if low is not None:
        validators.append(NumberRange(min=low, max=high))
    return IntegerField(label, validators=validators, description=description)


# Which form field shows each setting of each type (the settings use the JSON definition's names).
SETTING_FIELDS = {
    QuestionType.SHORT_TEXT: {"max_length": "max_length"},
    QuestionType.LONG_TEXT: {"max_length": "max_length"},
    QuestionType.SINGLE_CHOICE: {"display": "display"},
    QuestionType.MULTIPLE_CHOICE: {"min_selections": "min_selections", "max_selections": "max_selections"},
    QuestionType.SCALE: {"max": "scale_max", "min_label": "min_label", "max_label": "max_label"},
    QuestionType.NUMBER: {"min": "number_min", "max": "number_max", "integer_only": "integer_only"},
    QuestionType.DATE: {"min": "date_min", "max": "date_max"},
    QuestionType.FILE: {"max_bytes": "max_megabytes"},
}


class QuestionForm(FlaskForm):
    question_type = SelectField(_l("Type"), validate_choice=False)
    code = StringField(
        _l("Code"),
        description=_l("Letters, digits, hyphens and underscores. Left empty, the next free Q1, Q2… is given."),
    )
    required = BooleanField(_l("An answer is required"))
    max_length = _optional_integer(_l("Maximum length (characters)"))
    display = SelectField(_l("Shown as"), validate_choice=False, default="radio")
    min_selections = _optional_integer(_l("Smallest number of choices"))
    max_selections = _optional_integer(_l("Largest number of choices"), _l("Left empty: no limit."))
    scale_max = SelectField(_l("Scale"), validate_choice=False, default="5")
    number_min = StringField(_l("Smallest value"), description=_l("Optional, such as 0 or 2.5."))
    number_max = StringField(_l("Largest value"), description=_l("Optional."))
    integer_only = BooleanField(_l("Whole numbers only"))
    date_min = StringField(_l("Earliest date"), render_kw={"type": "date"}, description=_l("Optional, YYYY-MM-DD."))
    date_max = StringField(_l("Latest date"), render_kw={"type": "date"}, description=_l("Optional, YYYY-MM-DD."))
    max_megabytes = _optional_integer(
        _l("Size limit (MB)"),
        _l("PDF, DOCX, XLSX and ODT files are accepted, checked by their content."),
        1,
        MAX_FILE_BYTES // MEGABYTE,
    )
    allow_other = BooleanField(_l("Offer “Other, please specify”"))
    options = _choice_list(_l("Choices"))
    rows = _choice_list(_l("Rows"))
    columns = _choice_list(_l("Columns"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.question_type.choices = [(kind.value, kind.label) for kind in QuestionType]
        self.display.choices = [("radio", _("Radio buttons")), ("dropdown", _("A drop-down list"))]
        self.scale_max.choices = [("5", _("1 to 5")), ("10", _("1 to 10"))]
        _label_languages(self, "label", lambda language: _("Question in %(language)s", language=language))
        _label_languages(self, "help", lambda language: _("Help text in %(language)s", language=language))
        _label_languages(self, "min_label", lambda language: _("Label of 1 in %(language)s", language=language))
        _label_languages(
            self, "max_label", lambda language: _("Label of the highest value in %(language)s", language=language)
        )
        self.list_errors: dict[str, list[str]] = {name: [] for name in CHOICE_LISTS}
        self.other_errors: list[str] = []
        self._row_of: dict[tuple[str, int], int] = {}

    @property
    def kind(self) -> QuestionType:
        try:
            return QuestionType(self.question_type.data)
        except ValueError:
            return QuestionType.SHORT_TEXT

    def setting_fields(self) -> list[str]:
        fields = []
        for name in SETTING_FIELDS.get(self.kind, {}).values():
            if name in ("min_label", "max_label"):
                fields.extend(f"{name}_{code}" for code in LOCALES)
            else:
                fields.append(name)
        return fields

    def add_blank_rows(self, names=CHOICE_LISTS, count: int = EXTRA_ROWS) -> None:
        for name in names:
            for _n in range(count):
                if len(self[name].entries) < self[name].max_entries:
                    self[name].append_entry()

    # --- from and to a QuestionSpec ---------------------------------------------------

    def fill(self, spec: QuestionSpec) -> None:
        self.question_type.data = spec.question_type
        self.code.data = spec.code
        self.required.data = spec.required
        _fill(self, "label", spec.label)
        _fill(self, "help", spec.help)
        settings = spec.settings
        kind = spec.kind
        if kind in TEXT_LIMITS:
            self.max_length.data = settings.get("max_length")
        self.display.data = settings.get("display", "radio")
        self.min_selections.data = settings.get("min_selections")
        self.max_selections.data = settings.get("max_selections")
        if kind is QuestionType.SCALE:
            self.scale_max.data = str(settings.get("max", 5))
            _fill(self, "min_label", settings.get("min_label") or {})
            _fill(self, "max_label", settings.get("max_label") or {})
        if kind is QuestionType.NUMBER:
            self.number_min.data = settings.get("min") or ""
            self.number_max.data = settings.get("max") or ""
            self.integer_only.data = bool(settings.get("integer_only"))
        if kind is QuestionType.DATE:
            self.date_min.data = settings.get("min") or ""
            self.date_max.data = settings.get("max") or ""
        if kind is QuestionType.FILE and settings.get("max_bytes"):
            self.max_megabytes.data = max(1, settings["max_bytes"] // MEGABYTE)
        self.allow_other.data = any(choice.is_other for choice in spec.options)
        for name in CHOICE_LISTS:
            while self[name].entries:
                self[name].pop_entry()
            for choice in spec.choices(name):
                if choice.is_other:
                    continue
                entry = self[name].append_entry().form
                entry.option_id.data = str(choice.existing_id or "")
                entry.code.data = choice.code
                _fill(entry, "label", choice.label)

    def settings(self) -> dict:
        kind = self.kind
        if kind in TEXT_LIMITS:
            return {"max_length": self.max_length.data}
        if kind is QuestionType.SINGLE_CHOICE:
            return {"display": self.display.data}
        if kind is QuestionType.MULTIPLE_CHOICE:
            return {"min_selections": self.min_selections.data, "max_selections": self.max_selections.data}
        if kind is QuestionType.SCALE:
            size = self.scale_max.data
            return {
                "max": int(size) if size in ("5", "10") else size,
                "min_label": _texts(self, "min_label"),
                "max_label": _texts(self, "max_label"),
            }
        if kind is QuestionType.NUMBER:
            return {
                "min": (self.number_min.data or "").strip() or None,
                "max": (self.number_max.data or "").strip() or None,
                "integer_only": bool(self.integer_only.data),
            }
        if kind is QuestionType.DATE:
            return {
                "min": (self.date_min.data or "").strip() or None,
                "max": (self.date_max.data or "").strip() or None,
            }
        if kind is QuestionType.FILE:
            megabytes = self.max_megabytes.data
            return {"max_bytes": megabytes * MEGABYTE if megabytes is not None else None}
        return {}

    def spec(self, other: ChoiceSpec | None) -> QuestionSpec:
        """The question as entered; `other` is the "Other" choice to append when its box is ticked."""
        kind = self.kind
        lists: dict[str, list[ChoiceSpec]] = {name: [] for name in CHOICE_LISTS}
        self._row_of = {}
        wanted = ("rows", "columns") if kind is QuestionType.MATRIX else ("options",) if kind.has_options else ()
        for name in wanted:
            for row_index, entry in enumerate(self[name].entries):
                row = entry.form
                if row.is_blank() or row.remove.data:
                    continue
                self._row_of[(name, len(lists[name]))] = row_index
                lists[name].append(ChoiceSpec(row.code.data or "", _texts(row, "label"), False, row.existing_id()))
        if other is not None and self.allow_other.data and kind in (
            QuestionType.SINGLE_CHOICE,
            QuestionType.MULTIPLE_CHOICE,
        ):
            lists["options"].append(other)
        return QuestionSpec(
            code=self.code.data or "",
            question_type=self.question_type.data or "",
            label=_texts(self, "label"),
            help=_texts(self, "help"),
            required=bool(self.required.data),
            settings=self.settings(),
            **lists,
        )

    def show_errors(self, errors: dict[str, str], original: str) -> list[str]:
        """Put each of the service's messages next to its field; return those that have none."""
        unplaced = []
        for path, message in errors.items():
            field = self._field_for(path, original)
            if field == "other":
                self.other_errors.append(message)
            elif isinstance(field, str):
                self.list_errors[field].append(message)
            elif field is not None:
                _show(field, message)
            else:
                unplaced.append(message)
        return unplaced

    def _field_for(self, path: str, original: str):
        head, _dot, rest = path.partition(".")
        if head in ("code", "question_type"):
            return self[head]
        if head in ("label", "help"):
            return self[f"{head}_{rest or original}"]
        if head == "settings":
            name, _dot, language = rest.partition(".")
            field = SETTING_FIELDS.get(self.kind, {}).get(name)
            if field in ("min_label", "max_label"):
                return self[f"{field}_{language or original}"]
            return self[field] if field else None
        if head in CHOICE_LISTS:
            return head
        list_name, _bracket, index = head.partition("[")
        if list_name in CHOICE_LISTS and index.endswith("]") and index[:-1].isdigit():
            row_index = self._row_of.get((list_name, int(index[:-1])))
            if row_index is None:
                return "other"
            row = self[list_name].entries[row_index].form
            part, _dot, language = rest.partition(".")
            if part == "label":
                return row[f"label_{language or original}"]
            return row.code if part == "code" else list_name
        return None

    def summary(self) -> list[tuple[str, str]]:
        """Every problem on the page, with the id of the input it belongs to (for the list at the top)."""
        items: list[tuple[str, str]] = []
        for field in self:
            if field.type == "CSRFTokenField":
                items.extend(("", _("Your form expired. Please submit it again.")) for _e in field.errors)
            elif field.type == "FieldList":
                for number, entry in enumerate(field.entries, start=1):
                    items.extend(
                        (sub.id, _("%(list)s, entry %(number)d: %(message)s",
                                   list=field.label.text, number=number, message=message))
                        for sub in entry
                        for message in sub.errors
                    )
                items.extend((f"{field.name}-list", f"{field.label.text}: {message}")
                             for message in self.list_errors[field.name])
            else:
                items.extend((field.id, f"{field.label.text}: {message}") for message in field.errors)
        other = self.allow_other
        items.extend((other.id, f"{other.label.text}: {message}") for message in self.other_errors)
        return items


for _prefix in ("label", "help"):
    _add_translations(QuestionForm, _prefix, lambda: TextAreaField(render_kw={"rows": 2}))
for _prefix in ("min_label", "max_label"):
    _add_translations(QuestionForm, _prefix, lambda: StringField())


class NewQuestionForm(FlaskForm):
    """The type picked under a section before the question form opens (a GET form: no token)."""

    class Meta:
        csrf = False

    type = SelectField(_l("Type of the new question"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = [(kind.value, kind.label) for kind in QuestionType]


class ConditionForm(FlaskForm):
    source = SelectField(_l("Earlier question"), validate_choice=False)
    operator = SelectField(_l("Its answer"), validate_choice=False)
    value = SelectField(_l("Value"), validate_choice=False)
    value_text = StringField(_l("Text"))


class ImportForm(FlaskForm):
    definition = FileField(
        _l("Survey definition (JSON)"),
        validators=[FileRequired(_l("Choose a .json file."))],
        description=_l("A file downloaded from another survey, at most 1 MB."),
    )
