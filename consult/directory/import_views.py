"""CSV import of participants (admin): upload and check, confirm, see the result."""

from flask import Response, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.directory import importer
from consult.directory.import_checks import COLUMNS, REQUIRED_COLUMNS
from consult.directory.import_forms import ConfirmImportForm, ImportUploadForm
from consult.directory.views import bp
from consult.security import admin_required

RESULT_SESSION_KEY = "participants_import_result"


def _upload_page(form: ImportUploadForm, status: int = 200):
    page = render_template(
        "directory/import.html",
        form=form,
        columns=COLUMNS,
        required_columns=REQUIRED_COLUMNS,
        max_rows=importer.MAX_ROWS,
    )
    return page, status


def _refused_upload_page(problems: list[str], status: int = 400):
    form = ImportUploadForm(formdata=None)
    form.file.errors = list(problems)
    return _upload_page(form, status)


def _preview_page(plan: importer.ImportPlan, text: str, file_name: str):
    confirm = ConfirmImportForm(formdata=None, csv_text=text, file_name=file_name)
    page = render_template("directory/import_preview.html", plan=plan, confirm=confirm, file_name=file_name)
    return page, 200 if plan.is_valid else 400


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_participants():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400 if form.is_submitted() else 200)
    upload = form.file.data
    file_name = importer.clean_file_name(upload.filename)
    try:
        text = importer.decode_upload(upload.read(importer.MAX_FILE_BYTES + 1))
    except importer.FileRefused as refused:
        return _refused_upload_page(refused.problems)
    plan = importer.plan_import(text)
    if plan.file_problems:
        return _refused_upload_page(plan.file_problems)
    return _preview_page(plan, text, file_name)


@bp.post("/import/confirm")
@admin_required
def confirm_import():
    form = ConfirmImportForm()
    text = form.csv_text.data or ""
    file_name = importer.clean_file_name(form.file_name.data)
    plan = importer.plan_import(text)
    if plan.file_problems:
        return _refused_upload_page(plan.file_problems)
    if not plan.is_valid:
        return _preview_page(plan, text, file_name)
    try:
        result = importer.apply_import(plan, current_user._get_current_object(), file_name)
    except importer.ImportConflict:
        message = _(
            "The directory changed while the file was being imported, so nothing was imported. "
            "Upload the file again to check it against the directory as it is now."
        )
        return _refused_upload_page([message], 409)
    session[RESULT_SESSION_KEY] = result.as_dict()
    return redirect(url_for("directory.import_result"))


@bp.get("/import/result")
@admin_required
def import_result():
    result = session.get(RESULT_SESSION_KEY)
    if not result:
        return redirect(url_for("directory.import_participants"))
    return render_template("directory/import_result.html", result=importer.ImportResult(**result))


@bp.get("/import/template.csv")
@admin_required
def import_template():
    return Response(
        importer.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="participants-template.csv"'},
    )
