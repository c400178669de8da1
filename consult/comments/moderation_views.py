"""The moderation queue, a comment's moderation page and the moderation actions."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult.comments import moderation, response_views
from consult.comments.models import Comment
from consult.comments.moderation import TRANSITIONS, ModerationAction, Refused, template_helpers
from consult.comments.moderation_forms import DismissFlagsForm, ModerationForm, QueueFilterForm, reason_choices
from consult.extensions import db
from consult.security import Role, role_required
from consult.urls import safe_next_url

bp = Blueprint("moderation", __name__, url_prefix="/moderation", template_folder="templates")

# The secretariat response form of a comment also answers here, so that
# url_for("moderation.response", comment_id=...) works (see response_views).
bp.add_url_rule(
    "/comments/<int:comment_id>/response",
    endpoint="response",
    view_func=response_views.comment_response,
    methods=["GET", "POST"],
)



@bp.context_processor
def _helpers():
    return template_helpers()


DONE_MESSAGES = {
    ModerationAction.APPROVE: lambda: _("The comment is approved and published."),
    ModerationAction.REJECT: lambda: _("The comment is rejected."),
    ModerationAction.HIDE: lambda: _("The comment is hidden. Its replies stay as they are."),
    ModerationAction.RESTORE: lambda: _("The comment is restored and published."),
}


@bp.get("/")
@role_required(Role.MODERATOR)
def queue():
    user = current_user._get_current_object()
    filters = QueueFilterForm(formdata=request.args)
    filters.set_choices(moderation.managed_consultations(user))
    valid = filters.validate()
    query = moderation.queue_query(
        user,
        consultation_id=filters.consultation_id,
        status=_accepted(filters.status) or "",
        flag_reason=_accepted(filters.flag_reason) or "",
        language=_accepted(filters.language) or "",
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=True)
    flags = moderation.open_flags_by_comment([comment.id for comment in page.items])
    return render_template(
        "comments/moderation_queue.html",
        filters=filters,
        page=page,
        flags=flags,
        transitions=TRANSITIONS,
        reason_choices=reason_choices(),
        here=request.full_path if request.query_string else request.path,
    ), 200 if valid else 400


@bp.get("/comments/<int:comment_id>")
@login_required
def comment(comment_id: int):
    return _comment_page(_moderated_comment(comment_id))


@bp.post("/comments/<int:comment_id>/<any(approve, reject, hide, restore):action>")
@login_required
def act(comment_id: int, action: str):
    comment = _moderated_comment(comment_id)
    action = ModerationAction(action)
    form = ModerationForm(reason_required=TRANSITIONS[action].reason_required)
    if not form.validate_on_submit():
        return _comment_page(comment, form=form, status=400)
    try:
        outcome = moderation.moderate(
            current_user._get_current_object(), comment, action, form.reason_code, form.note.data or ""
        )
    except Refused as refusal:
        return _comment_page(comment, form=form, error=refusal.message, status=refusal.status)
    flash(DONE_MESSAGES[action](), "success")
    if not outcome.author_notified:
        flash(_("The author could not be told by email."), "warning")
    return redirect(_back(form, comment))


@bp.post("/comments/<int:comment_id>/dismiss-flags")
@login_required
def dismiss_flags(comment_id: int):
    comment = _moderated_comment(comment_id)
    form = DismissFlagsForm()
    # The page shows one form for every action: it comes back with what was typed in it.
    typed = ModerationForm()
    if not form.validate_on_submit():
        return _comment_page(comment, form=typed, dismiss_form=form, status=400)
    try:
        outcome = moderation.dismiss_flags(current_user._get_current_object(), comment, form.note.data or "")
    except Refused as refusal:
        return _comment_page(comment, form=typed, dismiss_form=form, error=refusal.message, status=refusal.status)
    flash(_("%(count)s flags dismissed; the comment is unchanged.", count=outcome.flags_resolved), "success")
    return redirect(_back(form, comment))


def _moderated_comment(comment_id: int) -> Comment:
    comment = moderation.load_comment(comment_id)
    if comment is None:
        abort(404)
    status = moderation.refusal_status(comment.consultation, current_user._get_current_object())
    if status:
        abort(status)
    return comment


def _comment_page(comment: Comment, form=None, dismiss_form=None, error: str | None = None, status: int = 200):
    return render_template(
        "comments/moderation_comment.html",
        comment=comment,
        form=form or ModerationForm(formdata=None),
        dismiss_form=dismiss_form or DismissFlagsForm(formdata=None),
        actions=moderation.allowed_actions(comment),
        transitions=TRANSITIONS,
        flags=moderation.all_flags(comment),
        history=moderation.moderation_history(comment),
        replies=moderation.replies(comment),
        error=error,
    ), status


def _back(form, comment: Comment) -> str:
    return safe_next_url(form.next.data) or url_for("moderation.comment", comment_id=comment.id)


def _accepted(field):
    """A filter's value, or None when it was refused (the page says why)."""
    return None if field.errors else field.data
