"""The exports page, the streamed responses and comments exports, and background export jobs."""

from __future__ import annotations

from flask import Response as HttpResponse
from flask import abort, redirect, render_template, request, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult.audit import record_now
from consult.comments.models import STATUS_LABELS as COMMENT_STATUS_LABELS
from consult.consultations.queries import consultation_by_slug
from consult.directory.stakeholders import StakeholderType, country_choices
from consult.exports import jobs
from consult.exports.export_files import (
    FORMATS,
    MIMETYPES,
    ExportRequest,
    NothingToExport,
    build_export,
    remove_file,
    text_chunks,
    write_xlsx,
)
from consult.exports.export_forms import FORMAT_LABELS, ExportJobForm, ExportOptionsForm, choices
from consult.exports.filters import FILTER_NAMES
from consult.exports.models import ExportJobStatus
from consult.exports.responses import export_surveys
from consult.exports.spreadsheet import stream_file
from consult.exports.views import bp
from consult.i18n import LOCALES, current_locale_code, language_name, native_language_name
from consult.surveys.models import ResponseStatus
from consult.surveys.response_queries import group_choices

EXPORT = "/consultations/<slug>/export"
NO_STORE = {"Cache-Control": "no-store"}
OPTION_NAMES = (*FILTER_NAMES, "survey", "labels", "lang")


def _viewer():
    return current_user._get_current_object()


def _managed_consultation(slug: str):
    """404 to those who cannot see the consultation, 403 to those who can but do not run it."""
    user = _viewer()
    consultation = consultation_by_slug(slug)
    if consultation is None or not consultation.visible_to(user):
        abort(404)
    if not consultation.can_manage(user):
        abort(403)
    return consultation, user


# --- The exports page ---------------------------------------------------------------


def _options_form(args, surveys) -> ExportOptionsForm:
    form = ExportOptionsForm(formdata=args)
    form.survey.choices = choices(((s.id, s.title) for s in surveys), _("All questionnaires"))
    form.stakeholder_type.choices = choices(((t.value, t.label) for t in StakeholderType), _("All types"))
    form.group.choices = choices(((g.id, g.name) for g in group_choices()), _("All groups"))
    form.country.choices = choices(country_choices(), _("All countries"))
    form.language.choices = choices(((code, language_name(code)) for code in LOCALES), _("All languages"))
    form.status.choices = [
        *choices([], _("All statuses")),
        *choices(((s.value, s.label) for s in ResponseStatus), optgroup=_("Responses")),
        *choices(COMMENT_STATUS_LABELS.items(), optgroup=_("Comments")),
    ]
    form.lang.choices = choices((code, native_language_name(code)) for code in LOCALES)
    if not form.lang.data:
        form.lang.data = current_locale_code()
    return form


def _page(consultation, args, errors: dict[str, str], export_request: ExportRequest, status: int = 200):
    surveys = export_surveys(consultation)
    if export_request.survey_id is not None and export_request.survey_id not in {s.id for s in surveys}:
        errors.setdefault("survey", _("Choose a questionnaire of this consultation."))
    form = _options_form(args, surveys)
    for name, message in errors.items():
        if name in form:
            form[name].errors = [message]
    query = export_request.query_args()
    hidden = [(name, value) for name, values in query.items()
              for value in (values if isinstance(values, list) else [values])]
    job_form = ExportJobForm(formdata=None)
    return render_template(
        "exports/export.html",
        consultation=consultation,
        surveys=surveys,
        chosen_survey=next((s for s in surveys if s.id == export_request.survey_id), None),
        form=form,
        job_form=job_form,
        errors=errors,
        query=query,
        hidden=hidden,
        formats=FORMATS,
        format_labels=FORMAT_LABELS,
        recent=jobs.recent_jobs(_viewer(), consultation),
    ), (400 if errors else status)


@bp.get(f"{EXPORT}/")
@login_required
def export_index(slug: str):
    consultation, _user = _managed_consultation(slug)
    export_request, errors = ExportRequest.parse("responses", "csv", request.args, current_locale_code())
    return _page(consultation, request.args, errors, export_request)


# --- Downloads, streamed ---------------------------------------------------------------


def _choices_given() -> dict[str, list[str]]:
    """The query string's export choices only: other names (even `slug`) never reach url_for."""
    return {name: values for name, values in request.args.lists() if name in OPTION_NAMES}


def _error_page(consultation, errors: dict[str, str], status: int):
    """The messages, and a way back to the exports page with the same choices (shown there next to each field)."""
    return render_template(
        "exports/export_error.html",
        consultation=consultation,
        messages=list(errors.values()),
        back=url_for("exports.export_index", slug=consultation.slug, **_choices_given()),
    ), status


def _export(slug: str, kind: str, ext: str):
    if ext not in FORMATS:
        abort(404)
    consultation, user = _managed_consultation(slug)
    export_request, errors = ExportRequest.parse(kind, ext, request.args, current_locale_code())
    if errors:
        return _error_page(consultation, errors, 400)
    try:
        export, errors = build_export(export_request, consultation, user)
    except NothingToExport as nothing:
        return _error_page(consultation, {"survey": nothing.message}, 404)
    if errors:
        return _error_page(consultation, errors, 400)
    # Who took which data out, and with which filters, is part of the record.
    record_now(user, "data_exported", consultation, **export_request.to_options(), kind=kind, format=ext)
    headers = {
        "Content-Disposition": f'attachment; filename="{export_request.filename(consultation)}"',
        **NO_STORE,
    }
    if ext != "xlsx":
        body = stream_with_context(text_chunks(export, ext))
        return HttpResponse(body, content_type=export_request.mimetype, headers=headers)
    path = write_xlsx(export)
    response = HttpResponse(stream_file(path), content_type=export_request.mimetype, headers=headers)
    # stream_file removes the file once sent; this also covers a download abandoned before its first byte.
    response.call_on_close(lambda: remove_file(path))
    return response


@bp.get(f"{EXPORT}/responses.<ext>")
@login_required
def export_responses(slug: str, ext: str):
    return _export(slug, "responses", ext)


@bp.get(f"{EXPORT}/comments.<ext>")
@login_required
def export_comments(slug: str, ext: str):
    return _export(slug, "comments", ext)


# --- Background jobs --------------------------------------------------------------------


@bp.post(f"{EXPORT}/jobs")
@login_required
def export_job_create(slug: str):
    consultation, user = _managed_consultation(slug)
    form = ExportJobForm()
    if not form.validate_on_submit() or not form.kind_is_known():
        abort(400)
    export_request, errors = ExportRequest.parse(form.kind.data, form.format.data, request.form,
                                                 current_locale_code())
    if not errors:
        try:
            _export, errors = build_export(export_request, consultation, user)
        except NothingToExport as nothing:
            errors = {"survey": nothing.message}
    if errors:
        return _page(consultation, request.form, errors, export_request)
    job = jobs.request_job(user, consultation, export_request)
    return redirect(url_for("exports.export_job", token=job.token), 303)


def _job_or_404(token: str):
    return jobs.job_for(token, _viewer()) or abort(404)


def _job_page(job, gone: bool = False):
    """The job's progress; 410 once its file is gone (expired, or removed)."""
    expired = job.is_expired()
    return render_template(
        "exports/job.html",
        job=job,
        expired=expired,
        gone=gone or expired,
        format_label=FORMAT_LABELS[job.format],
    ), (410 if gone or expired else 200), NO_STORE


@bp.get("/exports/jobs/<token>")
@login_required
def export_job(token: str):
    return _job_page(_job_or_404(token))


@bp.get("/exports/jobs/<token>/download")
@login_required
def export_job_download(token: str):
    job = _job_or_404(token)
    if job.job_status is not ExportJobStatus.DONE and not job.is_expired():
        return redirect(url_for("exports.export_job", token=job.token))
    path = jobs.stored_path(job)
    if job.is_expired() or path is None or not path.is_file():
        return _job_page(job, gone=True)
    response = send_file(path, mimetype=MIMETYPES[job.format], as_attachment=True,
                         download_name=job.download_name, max_age=0)
    response.headers.update(NO_STORE)
    return response
