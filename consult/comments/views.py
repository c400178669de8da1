"""Comment pages: post, reply, edit, withdraw, flag, revision history and a paragraph's whole thread."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in
from sqlalchemy import select
from werkzeug.routing import BuildError

from consult.auth.service import COMMENT_DRAFT_SESSION_KEY
from consult.comments import drafts, service, threads
from consult.comments.forms import CommentContentForm, CommentForm, FlagForm
from consult.comments.models import Comment, CommentStatus
from consult.comments.sections import new_comment_form, reply_draft_ids
from consult.comments.wording import proposed_change_to
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
from consult.extensions import db
from consult.markup import render_markdown
from consult.urls import safe_next_url

bp = Blueprint("comments", __name__, template_folder="templates")

MAX_ID = 2**31 - 1  # the largest id an integer column holds on every database
MAX_PAGE = 100_000


# --- Template helpers ----------------------------------------------------------


@bp.app_template_global()
def comment_markdown(source: str | None):
    return render_markdown(source)


@bp.app_template_global()
def proposed_change_for(comment: Comment):
    return proposed_change_to(comment.paragraph, comment.proposed_wording, comment.language)


@bp.app_template_global()
def comment_label(kind: str, code: str | None) -> str:
    """The reader's-language label of a comment's type, position, moderation reason or response outcome."""
    return threads.comment_label(kind, code)


# --- Loading, with the permission rules ------------------------------------------


def _user():
    return current_user._get_current_object()


def _optional_id(value) -> int | None:
    """An id sent by a form or a link; anything that cannot be one is a page that does not exist."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < number <= MAX_ID:
        abort(404)
    return number


def _page() -> int:
    page = request.args.get("page", 1, type=int)
    if not 0 < page <= MAX_PAGE:
        abort(404)
    return page


def _consultation_or_404(slug: str) -> Consultation:
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or not consultation.visible_to(_user()):
        abort(404)
    return consultation


def _comment_or_404(consultation: Consultation, comment_id: int, placeholder_too: bool = False) -> Comment:
    comment = db.session.get(Comment, comment_id) if 0 < comment_id <= MAX_ID else None
    if comment is None or comment.consultation_id != consultation.id:
        abort(404)
    user = _user()
    if not (comment.visible_to(user) or (placeholder_too and comment.shows_placeholder_to(user))):
        abort(404)
    return comment


def _target_or_404(consultation: Consultation, paragraph_id: int | None, parent_id: int | None):
    """The thread a form names, or the refusal to show; a paragraph or comment they cannot see is a 404."""
    try:
        return service.resolve_target(consultation, _user(), paragraph_id, parent_id), None
    except service.NotAvailable:
        abort(404)
    except service.Refused as refusal:
        return None, refusal


# --- Where things are ---------------------------------------------------------------


def consultation_url(consultation: Consultation, **args) -> str:
    try:
        return url_for("consultations.consultation", slug=consultation.slug, **args)
    except BuildError:  # the consultation pages are not installed
        return url_for("site.home")


def document_url(consultation: Consultation, document_id: int, **args) -> str:
    try:
        return url_for("consultations.document", slug=consultation.slug, document_id=document_id, **args)
    except BuildError:
        return consultation_url(consultation)


def thread_url(consultation: Consultation, document_id: int, thread_key: str, **args) -> str:
    return url_for("comments.thread", slug=consultation.slug, document_id=document_id, thread_key=thread_key, **args)


def location_of(comment: Comment) -> str:
    """Where a comment is read in full, with its replies: the page of the consultation's general discussion,
    or of its paragraph's thread, that holds it (the document page only previews the latest comments)."""
    user = _user()
    consultation = comment.consultation
    rank = threads.top_level_rank(threads.root_of(comment), user)
    page = (rank - 1) // threads.THREAD_PAGE_SIZE + 1
    paging = {"page": page} if page > 1 else {}
    anchor = f"comment-{comment.id}"
    if comment.thread_key is None:
        return consultation_url(consultation, _anchor=anchor, **paging)
    return thread_url(consultation, comment.document_id, comment.thread_key, _anchor=anchor, **paging)


def _new_url(slug: str, paragraph_id: int | None, parent_id: int | None) -> str:
    """The comment form on a page of its own, for this thread."""
    args = {key: value for key, value in (("paragraph", paragraph_id), ("parent", parent_id)) if value is not None}
    return url_for("comments.new", slug=slug, **args)


# --- Drafts kept while the session had expired ---------------------------------------


@bp.record_once
def _claim_at_sign_in(state) -> None:
    user_logged_in.connect(claim_kept_comments, state.app)


def claim_kept_comments(app, user, **extra) -> None:
    """At sign-in (a POST, never a page view), the comments kept for this browser become the person's drafts."""
    if COMMENT_DRAFT_SESSION_KEY not in session:
        return
    if drafts.claim_session_drafts(user):
        flash(
            _(
                "You were signed out while writing a comment. It was kept and is back in its form below: "
                "check it and post it."
            ),
            "info",
        )


def _keep_until_signed_in(slug: str, form: CommentForm, paragraph_id: int | None, parent_id: int | None):
    """The session expired as the person posted: keep what they wrote and ask them to sign in again."""
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    fields = form.content()
    if consultation is not None and drafts.has_text(fields):
        drafts.keep_for_session(consultation.id, drafts.context_for(paragraph_id, parent_id), fields)
    flash(
        _("Your session had expired, so your comment was not posted yet. It is kept: sign in again to post it."),
        "warning",
    )
    back = safe_next_url(form.next.data) or _new_url(slug, paragraph_id, parent_id)
    return redirect(url_for("auth.login", next=back))


# --- Writing a comment -------------------------------------------------------------------


def _new_page(consultation: Consultation, form: CommentForm, target, status: int = 200,
              problem: str | None = None, closed: bool = False, draft=None):
    """The comment form on a page of its own: for a reply, after a failed submit, or when it cannot be posted."""
    user = _user()
    viewer = parent = paragraph_html = None
    if target is not None:
        viewer = threads.viewer_for(consultation, user, document=target.document)
        if target.parent is not None:
            parent = threads.CommentNode(target.parent, target.parent.visible_to(user))
        if target.paragraph is not None:
            paragraph_html = render_markdown(target.paragraph.text.render().text)
    page = render_template(
        "comments/new.html",
        consultation=consultation,
        consultation_url=consultation_url(consultation),
        form=form,
        target=target,
        viewer=viewer,
        parent=parent,
        paragraph_html=paragraph_html,
        document_url=document_url(consultation, target.document.id) if target and target.document else None,
        problem=problem,
        closed=closed,
        can_post=problem is None and viewer is not None and viewer.accepts_replies,
        draft=draft,
    )
    return page, status


def _show_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")


@bp.get("/consultations/<slug>/comments/new")
@login_required
def new(slug: str):
    consultation = _consultation_or_404(slug)
    paragraph_id, parent_id = _optional_id(request.args.get("paragraph")), _optional_id(request.args.get("parent"))
    target, refusal = _target_or_404(consultation, paragraph_id, parent_id)
    if refusal is not None:
        return _new_page(consultation, CommentForm(formdata=None), None, refusal.status, problem=refusal.message)
    draft = drafts.drafts_by_context(_user(), consultation.id).get(target.context)
    form = new_comment_form(
        draft,
        paragraph_id=str(paragraph_id) if paragraph_id and parent_id is None else "",
        parent_id=str(parent_id or ""),
        next=_new_url(consultation.slug, paragraph_id, parent_id),
    )
    return _new_page(consultation, form, target, draft=draft)


@bp.post("/consultations/<slug>/comments")
def post(slug: str):
    form = CommentForm()
    paragraph_id, parent_id = _optional_id(form.paragraph_id.data), _optional_id(form.parent_id.data)
    if not current_user.is_authenticated:
        return _keep_until_signed_in(slug, form, paragraph_id, parent_id)
    user = _user()
    consultation = _consultation_or_404(slug)
    target, refusal = _target_or_404(consultation, paragraph_id, parent_id)
    if refusal is not None:
        return _new_page(consultation, form, None, refusal.status, problem=refusal.message)
    content = service.CommentInput.from_fields(form.content())
    if request.form.get("save_draft"):
        return _save_draft(consultation, form, target, content)
    key = service.submission_key(form.submission_key.data)
    try:
        comment, _created = service.post_comment(user, target, content, key)
    except service.InvalidInput as invalid:
        _show_errors(form, invalid.errors)
        return _new_page(consultation, form, target, 400)
    except service.Closed as closed:
        return _new_page(consultation, form, target, closed.status, problem=closed.message, closed=True)
    except service.Refused as refused:
        return _new_page(consultation, form, target, refused.status, problem=refused.message)
    if comment.status == CommentStatus.PENDING.value:
        flash(_("Your comment is saved and awaiting moderation. It will appear once a moderator approves it."),
              "success")
    else:
        flash(_("Your comment is posted."), "success")
    return redirect(location_of(comment))


def _save_draft(consultation: Consultation, form: CommentForm, target, content: service.CommentInput):
    fields = content.as_fields()
    too_long = [name for name in ("body", "proposed_wording") if len(fields.get(name) or "") > drafts.MAX_FIELD_LENGTH]
    if too_long:  # a draft is never cut short behind the person's back
        message = _("This text is too long to keep as a draft: at most %(limit)s characters.",
                    limit=format_decimal(drafts.MAX_FIELD_LENGTH))
        _show_errors(form, dict.fromkeys(too_long, message))
        return _new_page(consultation, form, target, 400)
    if drafts.has_text(fields):
        drafts.save_for_user(_user(), consultation.id, target.context, fields)
        flash(_("Your draft is saved. It will be in this form when you come back."), "success")
    else:
        flash(_("There was nothing to save: the comment is empty."), "info")
    return redirect(safe_next_url(form.next.data) or _new_url(consultation.slug, *_ids_of(target)))


def _ids_of(target) -> tuple[int | None, int | None]:
    if target.parent is not None:
        return None, target.parent.id
    return (target.paragraph.id if target.paragraph is not None else None), None


# --- One comment ----------------------------------------------------------------


@bp.get("/consultations/<slug>/comments/<int:comment_id>")
@login_required
def show(slug: str, comment_id: int):
    comment = _comment_or_404(_consultation_or_404(slug), comment_id, placeholder_too=True)
    return redirect(location_of(comment))


def _change_page(template: str, consultation: Consultation, comment: Comment, status: int = 200, **context):
    return render_template(
        template,
        consultation=consultation,
        comment=comment,
        viewer=threads.viewer_for(consultation, _user()),
        back_url=location_of(comment),
        **context,
    ), status


@bp.route("/consultations/<slug>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, comment_id: int):
    consultation = _consultation_or_404(slug)
    comment = _comment_or_404(consultation, comment_id)
    user = _user()
    form = CommentContentForm(obj=comment)
    if request.method == "GET":
        refusal = service.change_refusal(user, comment, service.EDIT_CLOSED)
        if refusal is not None:
            return _change_page("comments/edit.html", consultation, comment, refusal.status, form=form,
                                problem=refusal.message, closed=isinstance(refusal, service.Closed))
        return _change_page("comments/edit.html", consultation, comment, form=form)
    try:
        changed = service.edit_comment(user, comment, service.CommentInput.from_fields(form.content()))
    except service.InvalidInput as invalid:
        _show_errors(form, invalid.errors)
        return _change_page("comments/edit.html", consultation, comment, 400, form=form)
    except service.Refused as refusal:
        return _change_page("comments/edit.html", consultation, comment, refusal.status, form=form,
                            problem=refusal.message, closed=isinstance(refusal, service.Closed))
    flash(_("Your comment is updated.") if changed else _("Nothing was changed."), "success" if changed else "info")
    return redirect(location_of(comment))


@bp.get("/consultations/<slug>/comments/<int:comment_id>/revisions")
@login_required
def revisions(slug: str, comment_id: int):
    consultation = _consultation_or_404(slug)
    comment = _comment_or_404(consultation, comment_id)
    return _change_page("comments/revisions.html", consultation, comment, revisions=list(reversed(comment.revisions)))


@bp.route("/consultations/<slug>/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(slug: str, comment_id: int):
    consultation = _consultation_or_404(slug)
    comment = _comment_or_404(consultation, comment_id)
    user = _user()
    if request.method == "GET":
        refusal = service.change_refusal(user, comment, service.WITHDRAW_CLOSED)
        if refusal is not None:
            return _change_page("comments/withdraw.html", consultation, comment, refusal.status,
                                problem=refusal.message)
        return _change_page("comments/withdraw.html", consultation, comment)
    try:
        service.withdraw_comment(user, comment)
    except service.Refused as refusal:
        return _change_page("comments/withdraw.html", consultation, comment, refusal.status, problem=refusal.message)
    flash(_("Your comment is withdrawn. The thread shows that it was withdrawn by its author."), "success")
    return redirect(location_of(comment))


@bp.route("/consultations/<slug>/comments/<int:comment_id>/flag", methods=["GET", "POST"])
@login_required
def flag(slug: str, comment_id: int):
    consultation = _consultation_or_404(slug)
    comment = _comment_or_404(consultation, comment_id)
    user = _user()
    form = FlagForm()
    if request.method == "GET":
        refusal = service.flag_refusal(user, comment)
        if refusal is not None:
            return _change_page("comments/flag.html", consultation, comment, refusal.status, form=form,
                                problem=refusal.message)
        return _change_page("comments/flag.html", consultation, comment, form=form)
    try:
        service.flag_comment(user, comment, form.reason.data or "", form.note.data or "")
    except service.InvalidInput as invalid:
        _show_errors(form, invalid.errors)
        return _change_page("comments/flag.html", consultation, comment, 400, form=form)
    except service.Refused as refusal:
        return _change_page("comments/flag.html", consultation, comment, refusal.status, form=form,
                            problem=refusal.message)
    flash(_("Thank you. A moderator will look at this comment."), "success")
    return redirect(location_of(comment))


# --- A paragraph's whole thread ----------------------------------------------------------


def _latest_paragraph(document: WorkingDocument, thread_key: str) -> Paragraph | None:
    return db.session.scalar(
        select(Paragraph)
        .join(DocumentVersion, DocumentVersion.id == Paragraph.version_id)
        .where(DocumentVersion.document_id == document.id, Paragraph.thread_key == thread_key)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )


@bp.get("/consultations/<slug>/documents/<int:document_id>/threads/<thread_key>")
@login_required
def thread(slug: str, document_id: int, thread_key: str):
    consultation = _consultation_or_404(slug)
    document = db.session.get(WorkingDocument, document_id) if 0 < document_id <= MAX_ID else None
    if document is None or document.consultation_id != consultation.id or len(thread_key) > 32:
        abort(404)
    paragraph = _latest_paragraph(document, thread_key)
    if paragraph is None or paragraph.is_heading:
        abort(404)
    user = _user()
    pagination, nodes = threads.paragraph_thread(document, thread_key, user, _page())
    found = drafts.drafts_by_context(user, consultation.id)
    viewer = threads.viewer_for(consultation, user, document=document, version=paragraph.version,
                                reply_drafts=reply_draft_ids(found))
    in_current = paragraph.version_id == document.current_version.id
    form = None
    if viewer.accepts_replies and in_current:
        form = new_comment_form(found.get(drafts.context_for(paragraph_id=paragraph.id)),
                                paragraph_id=str(paragraph.id), next=request.path)
    return render_template(
        "comments/thread.html",
        consultation=consultation,
        consultation_url=consultation_url(consultation),
        document=document,
        document_url=document_url(consultation, document.id, _anchor=paragraph.anchor) if in_current else None,
        paragraph=paragraph,
        paragraph_html=render_markdown(paragraph.text.render().text),
        pagination=pagination,
        nodes=nodes,
        count=threads.paragraph_thread_count(document, thread_key, user),
        viewer=viewer,
        form=form,
        draft=found.get(drafts.context_for(paragraph_id=paragraph.id)),
    )
