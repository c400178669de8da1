"""Builder routes for questions and their conditions (managers of the consultation)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from consult.extensions import db
from consult.i18n import LOCALES, language_name
from consult.surveys import builder_questions
from consult.surveys.builder import original_locale
from consult.surveys.builder_forms import ConditionForm, QuestionForm
from consult.surveys.builder_overview import describe_condition, order_keys
from consult.surveys.builder_rules import (
    CHOICE_LISTS,
    TEXT_KINDS,
    InvalidInput,
    Refused,
    allowed_operators,
    allowed_values,
)
from consult.surveys.builder_views import SURVEY, actor, builder_url, managed_survey, refused, section_or_404
from consult.surveys.models import Question, QuestionType, Survey
from consult.surveys.views import bp


def question_or_404(survey: Survey, question_id: int) -> Question:
    question = next((q for q in survey.questions if q.id == question_id), None)
    if question is None:
        abort(404)
    return question


def _redisplayed(form: QuestionForm) -> bool:
    """"More rows" and "Show this type's settings" show the form again; nothing is saved."""
    more = request.form.get("more")
    if more in CHOICE_LISTS:
        form.add_blank_rows([more])
        return True
    if "refresh" in request.form:
        for name in CHOICE_LISTS:
            if not form[name].entries:
                form.add_blank_rows([name])
        return True
    return False


def _question_page(form: QuestionForm, survey: Survey, section, question: Question | None, status: int):
    conditions = []
    if question is not None:
        by_id = {q.id: q for q in survey.questions}
        conditions = [(c, describe_condition(c, by_id[c.source_question_id])) for c in question.conditions]
    return render_template(
        "surveys/builder_question.html",
        form=form,
        survey=survey,
        section=section,
        question=question,
        conditions=conditions,
        original=original_locale(survey),
        language_names={code: language_name(code) for code in LOCALES},
    ), status


def _save_failed(form: QuestionForm, survey: Survey, invalid: InvalidInput) -> None:
    db.session.rollback()
    for message in form.show_errors(invalid.errors, original_locale(survey)):
        flash(message, "error")


@bp.route(f"{SURVEY}/sections/<int:section_id>/questions/new", methods=["GET", "POST"])
@login_required
def builder_new_question(slug: str, survey_id: int, section_id: int):
    survey = managed_survey(slug, survey_id)
    section = section_or_404(survey, section_id)
    form = QuestionForm()
    if request.method == "GET":
        wanted = request.args.get("type", "")
        form.question_type.data = wanted if wanted in {k.value for k in QuestionType} else QuestionType.SHORT_TEXT
        form.add_blank_rows(count=4)
        return _question_page(form, survey, section, None, 200)
    if _redisplayed(form):
        return _question_page(form, survey, section, None, 200)
    if form.validate_on_submit():
        try:
            question = builder_questions.add_question(actor(), section, form.spec(builder_questions.other_choice(None)))
        except InvalidInput as invalid:
            _save_failed(form, survey, invalid)
        else:
            flash(_("Question %(code)s is added.", code=question.code), "success")
            return redirect(builder_url(survey, f"question-{question.id}"))
    return _question_page(form, survey, section, None, 400)


@bp.route(f"{SURVEY}/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def builder_edit_question(slug: str, survey_id: int, question_id: int):
    survey = managed_survey(slug, survey_id)
    question = question_or_404(survey, question_id)
    form = QuestionForm()
    if request.method == "GET":
        form.fill(builder_questions.spec_of(question))
        form.add_blank_rows()
        return _question_page(form, survey, question.section, question, 200)
    if _redisplayed(form):
        return _question_page(form, survey, question.section, question, 200)
    if form.validate_on_submit():
        try:
            builder_questions.update_question(actor(), question, form.spec(builder_questions.other_choice(question)))
        except InvalidInput as invalid:
            _save_failed(form, survey, invalid)
        else:
            flash(_("Question %(code)s is saved.", code=question.code), "success")
            return redirect(builder_url(survey, f"question-{question.id}"))
    return _question_page(form, survey, question.section, question, 400)


@bp.post(f"{SURVEY}/questions/<int:question_id>/delete")
@login_required
def builder_delete_question(slug: str, survey_id: int, question_id: int):
    survey = managed_survey(slug, survey_id)
    question = question_or_404(survey, question_id)
    code = question.code
    try:
        builder_questions.delete_question(actor(), question)
    except Refused as refusal:
        return refused(survey, refusal)
    flash(_("Question %(code)s is deleted.", code=code), "success")
    return redirect(builder_url(survey))


@bp.post(f"{SURVEY}/questions/<int:question_id>/move")
@login_required
def builder_move_question(slug: str, survey_id: int, question_id: int):
    survey = managed_survey(slug, survey_id)
    question = question_or_404(survey, question_id)
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    target = request.form.get("section_id", "")
    try:
        if direction is not None:
            builder_questions.move_question(actor(), question, direction)
        elif target.isdigit() and len(target) < 10:
            builder_questions.move_question_to_section(actor(), question, section_or_404(survey, int(target)))
        else:
            abort(400)
    except Refused as refusal:
        return refused(survey, refusal)
    return redirect(builder_url(survey, f"question-{question.id}"))


# --- Conditions ---------------------------------------------------------------------------


def _earlier_questions(survey: Survey, question: Question) -> list[Question]:
    keys = order_keys(survey)
    return sorted((q for q in survey.questions if keys[q.id] < keys[question.id]), key=lambda q: keys[q.id])


def _value_choices(source: Question) -> list[tuple[str, str]]:
    if source.kind is QuestionType.YES_NO:
        return [("yes", _("Yes")), ("no", _("No"))]
    codes = allowed_values(source.kind, [o.code for o in source.options_of()])
    labels = {option.code: str(option.label) for option in source.options_of()}
    return [(code, f"{labels.get(code) or code} ({code})") for code in codes or []]


@bp.route(f"{SURVEY}/questions/<int:question_id>/conditions/new", methods=["GET", "POST"])
@login_required
def builder_new_condition(slug: str, survey_id: int, question_id: int):
    survey = managed_survey(slug, survey_id)
    question = question_or_404(survey, question_id)
    earlier = _earlier_questions(survey, question)
    form = ConditionForm()
    chosen = request.form.get("source") if request.method == "POST" else request.args.get("source")
    source = next((q for q in survey.questions if str(q.id) == chosen), None)
    form.source.choices = [(str(q.id), f"{q.code} — {q.label}") for q in earlier]
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        text_value = source is not None and source.kind in TEXT_KINDS
        value = form.value_text.data if text_value else form.value.data
        try:
            builder_questions.add_condition(
                actor(), question, source.id if source else None, form.operator.data or "", value or ""
            )
        except InvalidInput as invalid:
            db.session.rollback()
            for key, message in invalid.errors.items():
                field = form.value_text if key == "value" and text_value else form[key]
                field.errors = [*field.errors, message]
        except Refused as refusal:
            db.session.rollback()
            flash(str(refusal), "error")
        else:
            flash(_("The condition is added to %(code)s.", code=question.code), "success")
            return redirect(url_for("surveys.builder_edit_question", slug=slug, survey_id=survey.id,
                                    question_id=question.id))
        status = 400
    elif request.method == "POST":
        status = 400
    if source is not None:
        form.source.data = str(source.id)
        form.operator.choices = [(op.value, op.label) for op in allowed_operators(source.kind)]
        form.value.choices = _value_choices(source)
    return render_template(
        "surveys/builder_condition.html", form=form, survey=survey, question=question, earlier=earlier,
        source=source, text_source=source is not None and source.kind in TEXT_KINDS,
    ), status


@bp.post(f"{SURVEY}/questions/<int:question_id>/conditions/<int:condition_id>/delete")
@login_required
def builder_delete_condition(slug: str, survey_id: int, question_id: int, condition_id: int):
    survey = managed_survey(slug, survey_id)
    question = question_or_404(survey, question_id)
    condition = next((c for c in question.conditions if c.id == condition_id), None)
    if condition is None:
        abort(404)
    builder_questions.remove_condition(actor(), condition)
    flash(_("The condition is removed."), "success")
    return redirect(url_for("surveys.builder_edit_question", slug=slug, survey_id=survey.id, question_id=question.id))
