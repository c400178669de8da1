"""Public results: the page anyone may read once results are published, the managers' preview, publishing.

The results pages are the one exception to "sign in to see anything": they carry no login_required, and answer 404
until the results are public (see consult/exports/public.py), whoever asks. Managers preview the same pages at
.../results/preview and publish or unpublish from there.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult.consultations.extensions import consultation_section
from consult.consultations.forms import MAX_SLUG
from consult.consultations.models import Consultation
from consult.consultations.queries import consultation_by_slug
from consult.exports import public
from consult.exports.campaign_views import managed_consultation
from consult.exports.views import bp
from consult.markup import render_markdown

RESULTS = "/consultations/<slug>/results"


def _public_or_404(slug: str) -> Consultation:
    if len(slug) > MAX_SLUG or "\x00" in slug:
        abort(404)
    consultation = consultation_by_slug(slug)
    if consultation is None or not public.results_are_public(consultation):
        abort(404)
    return consultation


def _viewer():
    return current_user._get_current_object()


def _common(consultation: Consultation, preview: bool) -> dict:
    return {
        "consultation": consultation,
        "preview": preview,
        "is_public": public.results_are_public(consultation),
        "shows_comments": public.shows_comments(consultation),
        "manager": consultation.can_manage(_viewer()),
    }


def _results_page(consultation: Consultation, preview: bool, status: int = 200, error: str | None = None):
    surveys = public.published_surveys(consultation)
    return render_template(
        "exports/public_results.html",
        results=public.survey_results(surveys),
        responses=public.published_responses_page(consultation, surveys),
        chart=public.question_chart,
        error=error,
        **_common(consultation, preview),
    ), status


def _comments_page(consultation: Consultation, preview: bool):
    comments = public.published_comments_page(consultation)
    if comments is None:
        abort(404)
    return render_template(
        "exports/public_comments.html",
        comments=comments,
        markdown=render_markdown,
        comment_type_label=public.comment_type_label,
        **_common(consultation, preview),
    )


@bp.get(RESULTS)
def results(slug: str):
    return _results_page(_public_or_404(slug), preview=False)


@bp.get(f"{RESULTS}/comments")
def results_comments(slug: str):
    return _comments_page(_public_or_404(slug), preview=False)


@bp.get(f"{RESULTS}/preview")
@login_required
def results_preview(slug: str):
    return _results_page(managed_consultation(slug), preview=True)


@bp.get(f"{RESULTS}/preview/comments")
@login_required
def results_preview_comments(slug: str):
    return _comments_page(managed_consultation(slug), preview=True)


@bp.post(f"{RESULTS}/publish")
@login_required
def publish_results(slug: str):
    consultation = managed_consultation(slug)
    try:
        changed = public.publish_results(_viewer(), consultation)
    except public.Refused as refusal:
        return _results_page(consultation, preview=True, status=refusal.status, error=refusal.message)
    if changed:
        flash(_("The results are published: anyone with the address can read them."), "success")
    else:
        flash(_("The results were already published."), "info")
    return redirect(url_for("exports.results", slug=consultation.slug))


@bp.post(f"{RESULTS}/unpublish")
@login_required
def unpublish_results(slug: str):
    consultation = managed_consultation(slug)
    try:
        changed = public.unpublish_results(_viewer(), consultation)
    except public.Refused as refusal:
        return _results_page(consultation, preview=True, status=refusal.status, error=refusal.message)
    if changed:
        flash(_("The results are no longer public."), "success")
    else:
        flash(_("The results were not published."), "info")
    return redirect(url_for("exports.results_preview", slug=consultation.slug))


@consultation_section("results", "exports/public_section.html", order=90)
def results_section(consultation: Consultation, user) -> dict | None:
    """The audience gets a link once results are public; managers always get the preview and the campaigns."""
    manager = consultation.can_manage(user)
    is_public = public.results_are_public(consultation)
    if not manager and not (is_public and consultation.visible_to(user)):
        return None
    return {"consultation": consultation, "manager": manager, "is_public": is_public}
