"""Secretariat responses: the response form, the compilation of comments, publishing, the consultation page section."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult.comments import responses
from consult.comments.models import Comment
from consult.comments.moderation import load_comment, refusal_status, template_helpers
from consult.comments.moderation_forms import CompilationFilterForm, PublishResponsesForm, ResponseForm
from consult.consultations.extensions import consultation_section
from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import current_locale_code
from consult.urls import safe_next_url

responses_bp = Blueprint("responses", __name__, template_folder="templates")


@responses_bp.context_processor
def _helpers():
    return template_helpers()


@responses_bp.route("/consultations/<slug>/comments/<int:comment_id>/response", methods=["GET", "POST"])
@login_required
def consultation_comment_response(slug: str, comment_id: int):
    """The same form under the consultation's URL; a comment of another consultation is not found here."""
    return _response_page(comment_id, slug)


@login_required
def comment_response(comment_id: int):
    """Registered on the moderation blueprint as moderation.response."""
    return _response_page(comment_id)


def _response_page(comment_id: int, slug: str | None = None):
    comment = load_comment(comment_id)
    if comment is None or (slug is not None and comment.consultation.slug != slug):
        abort(404)
    _require_manager(comment.consultation)
    form = ResponseForm(obj=comment.response) if comment.response else ResponseForm(language=current_locale_code())
    if request.method == "GET" and not form.next.data:
        form.next.data = safe_next_url(request.args.get("next")) or ""
    if form.validate_on_submit():
        try:
            responses.write_response(
                current_user._get_current_object(), comment, form.outcome.data, form.text.data or "", form.language.data
            )
        except responses.Refused as refusal:
            return _render_response_form(comment, form, refusal.message), refusal.status
        flash(_("The secretariat response is saved."), "success")
        back = safe_next_url(form.next.data) or url_for("responses.compilation", slug=comment.consultation.slug)
        return redirect(back)
    status = 400 if form.is_submitted() else 200
    return _render_response_form(comment, form), status


def _render_response_form(comment: Comment, form: ResponseForm, error: str | None = None):
    return render_template(
        "comments/response_form.html",
        comment=comment,
        form=form,
        answerable=responses.is_answerable(comment),
        error=error,
    )


@responses_bp.get("/consultations/<slug>/responses")
@login_required
def compilation(slug: str):
    consultation = _managed_consultation(slug)
    return _compilation_page(consultation, PublishResponsesForm(formdata=None))


@responses_bp.post("/consultations/<slug>/responses/publish")
@login_required
def publish(slug: str):
    return _change_publication(slug, responses.publish_responses,
                               _("The secretariat responses are now shown to the audience."),
                               _("The secretariat responses were already published."))


@responses_bp.post("/consultations/<slug>/responses/unpublish")
@login_required
def unpublish(slug: str):
    return _change_publication(slug, responses.unpublish_responses,
                               _("The secretariat responses are no longer shown to the audience."),
                               _("The secretariat responses were not published."))


def _change_publication(slug: str, change, done: str, unchanged: str):
    consultation = _managed_consultation(slug)
    form = PublishResponsesForm()
    if not form.validate_on_submit():
        return _compilation_page(consultation, form, status=400)
    try:
        changed = change(current_user._get_current_object(), consultation, form.reason.data or "")
    except responses.Refused as refusal:
        return _compilation_page(consultation, form, status=refusal.status, error=refusal.message)
    flash(done if changed else unchanged, "success" if changed else "info")
    return redirect(url_for("responses.compilation", slug=consultation.slug))


def _compilation_page(consultation: Consultation, publish_form: PublishResponsesForm, status: int = 200,
                      error: str | None = None):
    filters = CompilationFilterForm(formdata=request.args)
    filters.set_choices()
    valid = filters.validate()
    without = not filters.show.errors and filters.show.data == "without_response"
    page = db.paginate(
        responses.compilation_query(consultation, without_response=without),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=True,
    )
    return render_template(
        "comments/response_compilation.html",
        consultation=consultation,
        page=page,
        filters=filters,
        counts=responses.response_counts(consultation),
        publish_form=publish_form,
        error=error,
        here=request.full_path if request.query_string else request.path,
    ), status if valid or status != 200 else 400


def _managed_consultation(slug: str) -> Consultation:
    consultation = responses.consultation_by_slug(slug)
    if consultation is None:
        abort(404)
    _require_manager(consultation)
    return consultation


def _require_manager(consultation: Consultation) -> None:
    status = refusal_status(consultation, current_user._get_current_object())
    if status:
        abort(status)


@consultation_section("secretariat", "comments/response_section.html", order=80)
def secretariat_section(consultation: Consultation, user):
    """Counts and the secretariat's tools, for the people who manage the consultation; nothing for the others."""
    if not consultation.can_manage(user):
        return None
    return {
        "consultation": consultation,
        "counts": responses.response_counts(consultation),
    }
