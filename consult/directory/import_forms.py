"""Forms of the participants import: the upload, and the confirmation that sends the checked text back."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose the CSV file to import."))],
        description=_l("Saved as “CSV UTF-8”, with a header row. Nothing is saved before you confirm."),
        render_kw={"accept": ".csv,text/csv"},
    )


class ConfirmImportForm(FlaskForm):
    # The decoded text of the file the person checked; it is parsed and checked again on arrival.
    csv_text = HiddenField()
    file_name = HiddenField()
