"""The compilation of comments (DOCX, XLSX) and the summary report (printable page, XLSX): managers only."""

from __future__ import annotations

from flask import Response as HttpResponse
from flask import abort, render_template, request, stream_with_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from consult.audit import record_now
from consult.consultations.extensions import consultation_section
from consult.consultations.models import Consultation
from consult.consultations.queries import consultation_by_slug
from consult.exports import compilation, report_xlsx
from consult.exports.filters import ExportFilters
from consult.exports.report import build_report
from consult.exports.report_page import report_page_context
from consult.exports.spreadsheet import stream_file
from consult.exports.views import bp
from consult.i18n import LOCALES, current_locale_code, utcnow

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SLUG = 120


def _managed_consultation(slug: str) -> Consultation:
    """404 to people who cannot see the consultation, 403 to those who see it but do not manage it."""
    if len(slug) > MAX_SLUG:
        abort(404)
    user = current_user._get_current_object()
    consultation = consultation_by_slug(slug)
    if consultation is None or not consultation.visible_to(user):
        abort(404)
    if not consultation.can_manage(user):
        abort(403)
    return consultation


PARAMETER_LABELS = {
    "stakeholder_type": _l("Stakeholder type"),
    "group": _l("Group"),
    "country": _l("Country"),
    "language": _l("Language"),
    "status": _l("Status"),
    "date_from": _l("From (UTC date)"),
    "date_to": _l("To (UTC date, included)"),
    "lang": _l("Language of the headings"),
    "include": _l("Comments included"),
}


def _invalid(consultation: Consultation, errors: dict[str, str]):
    """A page in the person's language naming each value that could not be used (never a half-made file)."""
    problems = [(str(PARAMETER_LABELS.get(name, name)), message) for name, message in errors.items()]
    return render_template("exports/report_invalid.html", consultation=consultation, problems=problems), 400


def _download_name(consultation: Consultation, what: str, extension: str) -> str:
    return f"{consultation.slug}-{what}-{utcnow():%Y%m%d}.{extension}"


def _attachment(body, mimetype: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The compilation of comments ---------------------------------------------------------


@bp.get("/consultations/<slug>/export/compilation.<any(docx, xlsx):extension>")
@login_required
def compilation_export(slug: str, extension: str):
    consultation = _managed_consultation(slug)
    filters, errors = ExportFilters.from_args(request.args)
    language = request.args.get("lang") or current_locale_code()
    if language not in LOCALES:
        errors["lang"] = _("Choose English, French or Spanish.")
    include = request.args.get("include", "")
    if include not in ("", "all"):
        errors["include"] = _("Leave out “include”, or set it to “all” to add withdrawn and rejected comments.")
    if errors:
        return _invalid(consultation, errors)
    options = compilation.Options(filters=filters, language=language, include_all=include == "all")
    # Names of members and their comments leave the platform: who took them, and which, is kept.
    record_now(current_user._get_current_object(), "data_exported", consultation, kind="compilation",
               format=extension, filters=filters.to_args(), lang=language, include=include or None)
    with force_locale(language):
        if extension == "docx":
            body = compilation.write_docx(consultation, options)
            return _attachment(body, DOCX_TYPE, _download_name(consultation, "compilation", "docx"))
        path = compilation.write_xlsx(consultation, options)
    return _attachment(stream_file(path), XLSX_TYPE, _download_name(consultation, "compilation", "xlsx"))


# --- The summary report ---------------------------------------------------------------------


@bp.get("/consultations/<slug>/report")
@login_required
def report(slug: str):
    consultation = _managed_consultation(slug)
    filters, errors = ExportFilters.from_args(request.args)
    summary = None if errors else build_report(consultation, filters)
    context = report_page_context(consultation, summary, filters, errors, request.args)
    return render_template("exports/report.html", **context), 400 if errors else 200


@bp.get("/consultations/<slug>/report.xlsx")
@login_required
def report_workbook(slug: str):
    consultation = _managed_consultation(slug)
    filters, errors = ExportFilters.from_args(request.args)
    if errors:
        return _invalid(consultation, errors)
    summary = build_report(consultation, filters)
    path = report_xlsx.write_report(summary)
    return _attachment(stream_with_context(stream_file(path)), XLSX_TYPE,
                       _download_name(consultation, "report", "xlsx"))


@consultation_section("report", "exports/report_section.html", order=85)
def report_section(consultation: Consultation, user) -> dict | None:
    """Links to the report and the compilation files, for the people who manage the consultation."""
    if not consultation.can_manage(user):
        return None
    return {"consultation": consultation}
