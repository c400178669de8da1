"""The survey builder (managers of the consultation): create, build, publish, preview, duplicate, export, import.

Question and condition routes are in builder_question_views. A consultation or survey the person may not see
answers 404; one they see but may not manage answers 403.
"""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import LOCALES, LocalizedText, current_locale_code, language_name
from consult.markup import render_markdown
from consult.surveys import builder, definition
from consult.surveys.builder_forms import ImportForm, NewQuestionForm, SectionForm, SurveyForm
from consult.surveys.builder_overview import completeness, describe_condition, order_keys
from consult.surveys.builder_rules import InvalidInput, Refused
from consult.surveys.models import OptionKind, Response, Survey, SurveySection
from consult.surveys.views import bp

MAX_ID = 2**31 - 1
SURVEY = "/consultations/<slug>/surveys/<int:survey_id>"


def actor():
    return current_user._get_current_object()


def consultation_or_404(slug: str) -> Consultation:
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or not consultation.visible_to(actor()):
        abort(404)
    return consultation


def managed_consultation(slug: str) -> Consultation:
    consultation = consultation_or_404(slug)
    if not consultation.can_manage(actor()):
        abort(403)
    return consultation


def managed_survey(slug: str, survey_id: int) -> Survey:
    consultation = consultation_or_404(slug)
    survey = builder.load_survey(survey_id) if 0 < survey_id <= MAX_ID else None
    if survey is None or survey.consultation_id != consultation.id or not survey.visible_to(actor()):
        abort(404)
    if not survey.can_manage(actor()):
        abort(403)
    return survey


def section_or_404(survey: Survey, section_id: int) -> SurveySection:
    section = next((s for s in survey.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    return section


def builder_url(survey: Survey, anchor: str | None = None) -> str:
    return url_for("surveys.builder", slug=survey.consultation.slug, survey_id=survey.id, _anchor=anchor)


def show_errors(form, errors: dict[str, str]) -> None:
    """Put the service's messages next to their fields ("title.fr" belongs to title_fr)."""
    for key, message in errors.items():
        name = key.replace(".", "_")
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")


def on_original(errors: dict[str, str], original: str) -> dict[str, str]:
    """A missing original text ("title") belongs under the original language's input."""
    return {(f"{key}.{original}" if key in ("title", "intro", "label") else key): message
            for key, message in errors.items()}


def refused(survey: Survey, refusal: Refused):
    db.session.rollback()
    flash(str(refusal), "error")
    return builder_page(builder.load_survey(survey.id), status=400)  # reloaded whole after the rollback


def builder_page(survey: Survey, status: int = 200):
    by_id = {question.id: question for question in survey.questions}
    keys = order_keys(survey)
    numbers = {qid: index for index, qid in enumerate(sorted(keys, key=keys.__getitem__), start=1)}
    conditions = {
        question.id: [(c, describe_condition(c, by_id[c.source_question_id])) for c in question.conditions]
        for question in survey.questions
    }
    response_count = db.session.scalar(select(func.count()).where(Response.survey_id == survey.id))
    return render_template(
        "surveys/builder.html",
        survey=survey,
        consultation=survey.consultation,
        languages=completeness(survey),
        conditions=conditions,
        numbers=numbers,
        response_count=response_count,
        new_question=NewQuestionForm(formdata=None),
    ), status


# --- The survey -------------------------------------------------------------------------


def _survey_fields(form: SurveyForm) -> builder.SurveyFields:
    return builder.SurveyFields(
        title=form.texts("title"),
        intro=form.texts("intro"),
        original=form.original_locale.data or "",
        response_policy=form.response_policy.data or "",
        allow_edit_after_submit=bool(form.allow_edit_after_submit.data),
    )


@bp.route("/consultations/<slug>/surveys/new", methods=["GET", "POST"])
@login_required
def builder_new_survey(slug: str):
    consultation = managed_consultation(slug)
    form = SurveyForm()
    if request.method == "GET":
        form.original_locale.data = current_locale_code()
    if form.validate_on_submit():
        try:
            survey = builder.create_survey(actor(), consultation, _survey_fields(form))
        except InvalidInput as invalid:
            db.session.rollback()
            show_errors(form, on_original(invalid.errors, form.original_locale.data))
        else:
            flash(_("The survey is created. Add its sections and questions."), "success")
            return redirect(builder_url(survey))
    return render_template("surveys/builder_survey_form.html", form=form, consultation=consultation,
                           survey=None), 400 if form.is_submitted() else 200


@bp.get(f"{SURVEY}/edit", endpoint="builder")
@login_required
def show_builder(slug: str, survey_id: int):
    return builder_page(managed_survey(slug, survey_id))


@bp.route(f"{SURVEY}/edit/details", methods=["GET", "POST"])
@login_required
def builder_details(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    form = SurveyForm()
    if request.method == "GET":
        form.fill(survey)
    if form.validate_on_submit():
        try:
            builder.update_survey(actor(), survey, _survey_fields(form))
        except InvalidInput as invalid:
            db.session.rollback()
            show_errors(form, on_original(invalid.errors, form.original_locale.data))
        else:
            flash(_("The survey's details are saved."), "success")
            return redirect(builder_url(survey))
    return render_template("surveys/builder_survey_form.html", form=form, consultation=survey.consultation,
                           survey=survey), 400 if form.is_submitted() else 200


@bp.post(f"{SURVEY}/delete")
@login_required
def builder_delete_survey(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    try:
        builder.delete_survey(actor(), survey)
    except Refused as refusal:
        return refused(survey, refusal)
    flash(_("The survey is deleted."), "success")
    return redirect(url_for("consultations.consultation", slug=slug))


# --- Sections ---------------------------------------------------------------------------


def _section_fields(form: SectionForm) -> builder.SectionFields:
    return builder.SectionFields(title=form.texts("title"), intro=form.texts("intro"))


def _section_page(form, survey, section):
    return render_template("surveys/builder_section_form.html", form=form, survey=survey, section=section,
                           original=builder.original_locale(survey)), 400 if form.is_submitted() else 200


@bp.route(f"{SURVEY}/sections/new", methods=["GET", "POST"])
@login_required
def builder_new_section(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            section = builder.add_section(actor(), survey, _section_fields(form))
        except InvalidInput as invalid:
            db.session.rollback()
            show_errors(form, on_original(invalid.errors, builder.original_locale(survey)))
        else:
            flash(_("The section is added."), "success")
            return redirect(builder_url(survey, f"section-{section.id}"))
    return _section_page(form, survey, None)


@bp.route(f"{SURVEY}/sections/<int:section_id>/edit", methods=["GET", "POST"])
@login_required
def builder_edit_section(slug: str, survey_id: int, section_id: int):
    survey = managed_survey(slug, survey_id)
    section = section_or_404(survey, section_id)
    form = SectionForm()
    if request.method == "GET":
        form.fill(section)
    if form.validate_on_submit():
        try:
            builder.update_section(actor(), section, _section_fields(form))
        except InvalidInput as invalid:
            db.session.rollback()
            show_errors(form, on_original(invalid.errors, builder.original_locale(survey)))
        else:
            flash(_("The section is saved."), "success")
            return redirect(builder_url(survey, f"section-{section.id}"))
    return _section_page(form, survey, section)


@bp.post(f"{SURVEY}/sections/<int:section_id>/delete")
@login_required
def builder_delete_section(slug: str, survey_id: int, section_id: int):
    survey = managed_survey(slug, survey_id)
    try:
        builder.delete_section(actor(), section_or_404(survey, section_id))
    except Refused as refusal:
        return refused(survey, refusal)
    flash(_("The section is deleted."), "success")
    return redirect(builder_url(survey))


@bp.post(f"{SURVEY}/sections/<int:section_id>/move")
@login_required
def builder_move_section(slug: str, survey_id: int, section_id: int):
    survey = managed_survey(slug, survey_id)
    section = section_or_404(survey, section_id)
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400)
    try:
        builder.move_section(actor(), section, direction)
    except Refused as refusal:
        return refused(survey, refusal)
    return redirect(builder_url(survey, f"section-{section.id}"))


# --- Publishing, copies, definitions ---------------------------------------------------------


@bp.post(f"{SURVEY}/publish")
@login_required
def builder_publish(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    try:
        incomplete = builder.publish(actor(), survey, confirmed=request.form.get("confirm") == "yes")
    except Refused as refusal:
        return refused(survey, refusal)
    if incomplete:
        return render_template("surveys/builder_publish.html", survey=survey, incomplete=incomplete)
    flash(_("The survey is published."), "success")
    return redirect(builder_url(survey))


@bp.post(f"{SURVEY}/unpublish")
@login_required
def builder_unpublish(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    try:
        builder.unpublish(actor(), survey)
    except Refused as refusal:
        return refused(survey, refusal)
    flash(_("The survey is no longer published."), "success")
    return redirect(builder_url(survey))


@bp.post(f"{SURVEY}/duplicate")
@login_required
def builder_duplicate(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    copy = builder.duplicate_survey(actor(), survey)
    flash(_("This is the copy of the survey. It is not published."), "success")
    return redirect(builder_url(copy))


@bp.get(f"{SURVEY}/definition.json")
@login_required
def builder_definition(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    body = json.dumps(definition.to_json(definition.from_survey(survey)), ensure_ascii=False, indent=2)
    response = current_app.response_class(body + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-survey-{survey.id}.json"'
    return response


@bp.route("/consultations/<slug>/surveys/import", methods=["GET", "POST"])
@login_required
def builder_import(slug: str):
    consultation = managed_consultation(slug)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        content = form.definition.data.read(definition.MAX_BYTES + 1)
        try:
            survey = builder.import_survey(actor(), consultation, content)
        except definition.InvalidDefinition as invalid:
            db.session.rollback()
            problems = invalid.lines
        else:
            flash(_("The survey is imported. It is not published."), "success")
            return redirect(builder_url(survey))
    return render_template("surveys/builder_import.html", form=form, consultation=consultation,
                           problems=problems), 400 if form.is_submitted() else 200


# --- Preview -------------------------------------------------------------------------------


def _markdown_block(value, lang: str) -> Markup:
    """Markdown content in `lang`, or in the original with the fallback notice."""
    shown = value.render(lang)
    if not shown.text:
        return Markup("")
    html = Markup('<div lang="{}">{}</div>').format(shown.lang, render_markdown(shown.text))
    if shown.is_fallback:
        html += Markup('<p class="fallback-notice">{}</p>').format(shown.notice)
    return html


def _end_label(question, key: str) -> LocalizedText:
    """A scale's end label ({locale: text} in the settings) as translatable content."""
    return LocalizedText(dict((question.settings or {}).get(key) or {}), question.label.original)


@bp.get(f"{SURVEY}/preview")
@login_required
def builder_preview(slug: str, survey_id: int):
    survey = managed_survey(slug, survey_id)
    lang = request.args.get("lang") or current_locale_code()
    if lang not in LOCALES:
        abort(404)
    by_id = {question.id: question for question in survey.questions}
    with force_locale(lang):
        conditions = {
            question.id: [describe_condition(c, by_id[c.source_question_id]) for c in question.conditions]
            for question in survey.questions
        }
        body = render_template("surveys/preview_survey.html", survey=survey, lang=lang, conditions=conditions,
                               markdown=_markdown_block, end_label=_end_label, OptionKind=OptionKind)
    return render_template("surveys/preview.html", survey=survey, lang=lang, language=language_name(lang),
                           body=Markup(body))  # noqa: S704  (rendered by Jinja with autoescaping just above)


from consult.surveys import builder_question_views  # noqa: E402, F401  (its routes register on bp)
