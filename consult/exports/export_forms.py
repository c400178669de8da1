"""The exports page's forms: what to export (a GET form, checked by ExportFilters) and a background job (POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from consult.exports.export_files import FORMATS, KINDS

FORMAT_LABELS = {"csv": _l("CSV"), "xlsx": _l("Excel (XLSX)"), "json": _l("JSON")}


def choices(pairs, everything: str | None = None, optgroup: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as select options, after an "all" option (the empty value) when `everything` is given."""
    first = [SelectChoice("", everything)] if everything is not None else []
    return first + [SelectChoice(str(value), str(label), optgroup=optgroup) for value, label in pairs]


class ExportOptionsForm(FlaskForm):
    """Filters and options; read from the query string, so it needs no CSRF token and changes nothing."""

    class Meta:
        csrf = False

    survey = SelectField(_l("Questionnaire"), choices=[], validate_choice=False)
    stakeholder_type = SelectField(_l("Stakeholder type"), choices=[], validate_choice=False)
    group = SelectField(_l("Group"), choices=[], validate_choice=False)
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    language = SelectField(_l("Language"), choices=[], validate_choice=False)
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    date_from = StringField(_l("From (UTC date)"), render_kw={"type": "date"})
    date_to = StringField(_l("To (UTC date, included)"), render_kw={"type": "date"})
    labels = RadioField(
        _l("Answers and categories written as"),
        choices=[SelectChoice("text", _l("Words")), SelectChoice("codes", _l("Codes")),
                 SelectChoice("both", _l("Codes and words"))],
        default="text",
        validate_choice=False,
    )
    lang = SelectField(_l("Language of the words"), choices=[], validate_choice=False)


class ExportJobForm(FlaskForm):
    """Prepare a file in the background; the filters travel as hidden fields next to these."""

    kind = HiddenField(validators=[])
    format = SelectField(_l("Format"), choices=[SelectChoice(f, FORMAT_LABELS[f]) for f in FORMATS])

    def kind_is_known(self) -> bool:
        return self.kind.data in KINDS
