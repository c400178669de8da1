"""Answering a survey (participants). Builder and response routes register on the same blueprint.

The answer form posts back to the survey's own URL with `action` = save (keep
a draft) or review (check everything, then show the review page). The review
page carries the answers in hidden fields to .../submit, which checks them all
again: nothing a browser sends is trusted.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult.i18n import current_locale_code, format_local_datetime
from consult.surveys import answering
from consult.surveys.answer_display import FormState, show_answer
from consult.surveys.files import ACCEPT_ATTRIBUTE
from consult.surveys.models import (
    CONSENT_LABELS,
    PublicationConsent,
    QuestionType,
    Response,
    ResponseStatus,
)
from consult.surveys.validation import (
    as_form_data,
    date_bounds,
    integer_only,
    matrix_field,
    number_bounds,
    read_answers,
    scale_bounds,
)

bp = Blueprint("surveys", __name__, template_folder="templates")

SURVEY_URL = "/consultations/<slug>/surveys/<int:survey_id>"


def _user():
    return current_user._get_current_object()


def _survey_or_404(slug: str, survey_id: int) -> answering.LoadedSurvey:
    survey = answering.load_survey(slug, survey_id)
    if survey is None or not survey.visible_to(_user()):
        abort(404)
    return survey


def _base_version() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


def _sections(survey: answering.LoadedSurvey):
    return [(section, section.questions) for section in survey.sections]


def _answer_listing(survey: answering.LoadedSurvey, values: dict[int, Any], problems: dict | None = None):
    """[(section, [(question, shown answer, problem)])] of the questions the answers show."""
    visible = answering.visible_ids(survey, values)
    listing = []
    for section, questions in _sections(survey):
        items = [
            (q, show_answer(q, values.get(q.id)), (problems or {}).get(q.id)) for q in questions if q.id in visible
        ]
        if items:
            listing.append((section, items))
    return listing


def _page_context(survey: answering.LoadedSurvey) -> dict:
    wording = survey.structure.wording()
    return {
        "survey": survey,
        "consultation": survey.consultation,
        "intro": wording.intro,
        "wording": wording,
        "QuestionType": QuestionType,
        "matrix_field": matrix_field,
        "accept_files": ACCEPT_ATTRIBUTE,
        "scale_bounds": scale_bounds,
        "number_bounds": number_bounds,
        "integer_only": integer_only,
        "date_bounds": date_bounds,
    }


def _render_answer(
    survey: answering.LoadedSurvey,
    response: Response | None,
    *,
    data=None,
    errors: dict | None = None,
    status: int = 200,
    version: int | None = None,
    conflict: answering.Conflict | None = None,
    yours: dict[int, Any] | None = None,
    reupload=(),
    refusal: answering.Refused | None = None,
):
    user = _user()
    questions = survey.ordered_questions()
    values = answering.stored_values(response)
    problem = refusal or answering.refusal(survey, user, response)
    if problem is None:
        mode = "form"
    elif response is not None:
        mode = "readonly"
    else:
        mode = "preview"
    state = FormState(data if data is not None else as_form_data(questions, values))
    conflict_rows = []
    if conflict is not None:
        theirs = answering.stored_values(conflict.response)
        for question in questions:
            mine, saved = (yours or {}).get(question.id), theirs.get(question.id)
            if mine != saved:
                conflict_rows.append((question, show_answer(question, saved), show_answer(question, mine)))
    context = _page_context(survey) | {
        "response": response,
        "mode": mode,
        "refusal": problem,
        "editing_submitted": response is not None and response.status == ResponseStatus.SUBMITTED.value,
        "state": state,
        "entered": state.question_ids() | set(errors or {}),  # the other questions show as nobody answered them
        "errors": errors or {},
        "version": version if version is not None else (response.version if response else 0),
        "files": answering.known_files(response),
        "listing": _answer_listing(survey, values) if mode == "readonly" else [],
        "conflict": conflict.response if conflict else None,
        "conflict_rows": conflict_rows,
        "reupload": set(reupload),
    }
    return render_template("surveys/answer.html", **context), status


def _render_review(survey: answering.LoadedSurvey, response: Response | None, values: dict[int, Any], version: int,
                   errors: dict | None = None, consent: str | None = None, status: int = 200):
    questions = survey.ordered_questions()
    problems = {key: message for key, message in (errors or {}).items() if key != "consent"}
    problems = problems or answering.submission_problems(survey, values)
    context = _page_context(survey) | {
        "response": response,
        "listing": _answer_listing(survey, values, problems),
        "problems": problems,
        "consent_error": (errors or {}).get("consent"),
        "hidden_fields": FormState(as_form_data(questions, values)).items(),
        "version": version,
        "consent_choices": [(choice.value, CONSENT_LABELS[choice]) for choice in PublicationConsent],
        "consent": consent or (response.consent if response else None),
        "editing_submitted": response is not None and response.status == ResponseStatus.SUBMITTED.value,
    }
    return render_template("surveys/review.html", **context), status


def _refused_page(survey: answering.LoadedSurvey, response: Response | None, problem: answering.Refused):
    return _render_answer(survey, response, status=problem.status, refusal=problem)


# --- The answer page ---------------------------------------------------------------------


@bp.get(SURVEY_URL)
@login_required
def answer(slug: str, survey_id: int):
    survey = _survey_or_404(slug, survey_id)
    return _render_answer(survey, answering.find_response(survey, _user()))


@bp.post(SURVEY_URL)
@login_required
def save(slug: str, survey_id: int):
    survey = _survey_or_404(slug, survey_id)
    user = _user()
    response = answering.find_response(survey, user)
    problem = answering.refusal(survey, user, response)
    if problem is not None:
        return _refused_page(survey, response, problem)
    action = request.form.get("action", "save")
    if action == "edit":  # "Change your answers" on the review page: back to the form, nothing written
        return _render_answer(survey, response, data=request.form, version=_base_version())
    reading = read_answers(survey.ordered_questions(), request.form, request.files, answering.known_files(response))
    cleaned = answering.clean(survey, reading)
    base_version = _base_version()
    if cleaned.errors:
        return _render_answer(survey, response, data=request.form, errors=cleaned.errors, status=400,
                              version=base_version, reupload=reading.uploads.keys())
    if response is not None and response.status == ResponseStatus.SUBMITTED.value:
        return _review_changes(survey, user, response, cleaned, base_version, reading)
    try:
        response = answering.save_draft(survey, user, response, cleaned, base_version, current_locale_code())
    except answering.Conflict as conflict:
        if not answering.repeats_last_write(conflict.response, user, cleaned.values, base_version):
            return _conflict_page(survey, conflict, cleaned, reading)
        response = conflict.response  # the same form sent twice: the first one saved it
    except answering.Refused as refused:
        return _refused_page(survey, response, refused)
    if action == "review":
        return redirect(url_for("surveys.review", slug=slug, survey_id=survey_id), 303)
    flash(_("Your draft is saved (%(time)s). You can come back and finish it at any time before the survey closes.",
            time=format_local_datetime(response.last_edited_at)), "success")
    return redirect(url_for("surveys.answer", slug=slug, survey_id=survey_id) + "#survey-form", 303)


def _conflict_page(survey: answering.LoadedSurvey, conflict: answering.Conflict, cleaned: answering.Cleaned, reading):
    return _render_answer(
        survey,
        conflict.response,
        data=request.form,
        status=409,
        version=conflict.response.version,
        conflict=conflict,
        yours=cleaned.values,
        reupload=reading.uploads.keys(),
    )


def _review_changes(survey, user, response, cleaned, base_version: int, reading):
    """A submitted response being changed: nothing replaces it until it is submitted again."""
    problems = answering.submission_problems(survey, cleaned.values)
    if problems:
        return _render_answer(survey, response, data=request.form, errors=problems, status=400,
                              version=base_version, reupload=reading.uploads.keys())
    if base_version != response.version:
        return _conflict_page(survey, answering.Conflict(response), cleaned, reading)
    values = answering.store_pending_uploads(survey, user, response, cleaned)
    return _render_review(survey, response, values, base_version)


# --- Review and submit -------------------------------------------------------------------


@bp.get(SURVEY_URL + "/review")
@login_required
def review(slug: str, survey_id: int):
    survey = _survey_or_404(slug, survey_id)
    response = answering.find_response(survey, _user())
    if answering.refusal(survey, _user(), response) is not None:  # the answer page says why
        return redirect(url_for("surveys.answer", slug=slug, survey_id=survey_id), 303)
    if response is None:
        flash(_("Answer the questions first: there is nothing to review yet."), "info")
        return redirect(url_for("surveys.answer", slug=slug, survey_id=survey_id), 303)
    if response.status == ResponseStatus.SUBMITTED.value:
        return redirect(url_for("surveys.receipt", slug=slug, survey_id=survey_id), 303)
    return _render_review(survey, response, answering.stored_values(response), response.version)


@bp.post(SURVEY_URL + "/submit")
@login_required
def submit(slug: str, survey_id: int):
    survey = _survey_or_404(slug, survey_id)
    user = _user()
    response = answering.find_response(survey, user)
    reading = read_answers(survey.ordered_questions(), request.form, None, answering.known_files(response))
    cleaned = answering.clean(survey, reading)
    base_version = _base_version()
    consent = request.form.get("consent")
    problem = answering.refusal(survey, user, response)
    if problem is not None:
        if answering.repeats_last_write(response, user, cleaned.values, base_version, consent):
            return _submitted(slug, survey_id, answering.Submitted.already(response))  # sent twice: already in
        return _refused_page(survey, response, problem)
    if cleaned.errors:
        return _render_answer(survey, response, data=request.form, errors=cleaned.errors, status=400,
                              version=base_version)
    try:
        done = answering.submit(survey, user, response, cleaned, consent, base_version, current_locale_code())
    except answering.Invalid as invalid:
        return _render_review(survey, response, cleaned.values, base_version, invalid.errors, consent, status=400)
    except answering.Conflict as conflict:
        if not answering.repeats_last_write(conflict.response, user, cleaned.values, base_version, consent):
            return _conflict_page(survey, conflict, cleaned, reading)
        done = answering.Submitted.already(conflict.response)  # the first of two identical submits
    except answering.Refused as refused:
        return _refused_page(survey, response, refused)
    return _submitted(slug, survey_id, done)


def _submitted(slug: str, survey_id: int, done: answering.Submitted):
    """Say so and go to the receipt, from what is known already: nothing is read again after the commit."""
    flash(_("Your response is submitted. Your receipt number is %(number)s.", number=done.receipt_number),
          "success")
    if not done.email_sent:
        flash(_("We could not send the confirmation email. Your response is safely submitted; print or note "
                "this receipt instead."), "warning")
    return redirect(url_for("surveys.receipt", slug=slug, survey_id=survey_id), 303)


# --- Autosave ----------------------------------------------------------------------------


@bp.post(SURVEY_URL + "/draft")
@login_required
def autosave(slug: str, survey_id: int):
    """The answer form, saved as a draft by script: JSON in, JSON out. Files are only sent with the buttons."""
    survey = _survey_or_404(slug, survey_id)
    user = _user()
    response = answering.find_response(survey, user)
    problem = answering.refusal(survey, user, response)
    if problem is None and response is not None and response.status == ResponseStatus.SUBMITTED.value:
        problem = answering.Refused(409, _("This response has been submitted: changes are saved when you submit "
                                           "it again."))
    if problem is not None:
        return jsonify(error=problem.message), problem.status
    reading = read_answers(survey.ordered_questions(), request.form, None, answering.known_files(response))
    cleaned = answering.clean(survey, reading)
    if cleaned.errors:
        return jsonify(error=_("Not saved: some answers need correcting."),
                       errors={f"q{qid}": message for qid, message in cleaned.errors.items()}), 400
    try:
        response = answering.save_draft(survey, user, response, cleaned, _base_version(), current_locale_code())
    except answering.Conflict as conflict:
        editor = conflict.response.last_edited_by
        return jsonify(
            error=_("Not saved: %(name)s saved this response in the meantime. Use “Save draft” to compare both "
                    "versions.", name=editor.display_name if editor else _("someone else")),
            version=conflict.response.version,
        ), 409
    except answering.Refused as refused:
        return jsonify(error=refused.message), refused.status
    saved_at = response.last_edited_at
    return jsonify(
        saved_at=saved_at.isoformat(),
        version=response.version,
        message=_("Draft saved automatically (%(time)s).", time=format_local_datetime(saved_at, "short")),
    )


# --- Receipt, printable copy, files ----------------------------------------------------


def _submitted_response_or_404(survey: answering.LoadedSurvey) -> Response:
    response = answering.find_response(survey, _user())
    if response is None or response.status != ResponseStatus.SUBMITTED.value:
        abort(404)
    return response


@bp.get(SURVEY_URL + "/receipt")
@login_required
def receipt(slug: str, survey_id: int):
    survey = _survey_or_404(slug, survey_id)
    response = _submitted_response_or_404(survey)
    context = _page_context(survey) | {
        "response": response,
        "consent_label": CONSENT_LABELS[PublicationConsent(response.consent)] if response.consent else "",
        "can_change": answering.refusal(survey, _user(), response) is None,
    }
    return render_template("surveys/receipt.html", **context)


@bp.get(SURVEY_URL + "/print")
@login_required
def print_copy(slug: str, survey_id: int):
    survey = _survey_or_404(slug, survey_id)
    response = _submitted_response_or_404(survey)
    context = _page_context(survey) | {
        "response": response,
        "listing": _answer_listing(survey, answering.stored_values(response)),
        "consent_label": CONSENT_LABELS[PublicationConsent(response.consent)] if response.consent else "",
    }
    return render_template("surveys/print.html", **context)


@bp.get(SURVEY_URL + "/files/<int:file_id>")
@login_required
def download_file(slug: str, survey_id: int, file_id: int):
    survey = _survey_or_404(slug, survey_id)
    stored = answering.file_of(survey, file_id)
    if stored is None or not stored.response.visible_to(_user()):
        abort(404)
    return send_file(BytesIO(stored.content), mimetype=stored.mimetype, as_attachment=True,
                     download_name=stored.filename, max_age=0)
