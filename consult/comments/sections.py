"""What the comments package adds to the consultation and document pages (see consultations/extensions.py)."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from sqlalchemy import func, select

from consult.comments import drafts, threads
from consult.comments.forms import CommentForm, unique_ids
from consult.comments.models import Comment, CommentDraft, CommentStatus
from consult.consultations.extensions import consultation_section, document_section, participation_source
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
from consult.extensions import db

MAX_PAGE = 100_000


def here(anchor: str = "") -> str:
    """The page being shown, to come back to after signing in again or saving a draft."""
    path = request.full_path if request.query_string else request.path
    return f"{path}#{anchor}" if anchor else path


def new_comment_form(draft: CommentDraft | None, id_prefix: str = "", **fields) -> CommentForm:
    """An empty comment form, or one holding the person's unsent draft."""
    data = dict(draft.fields) if draft is not None else {}
    data.update(fields)
    return unique_ids(CommentForm(formdata=None, data=data), id_prefix)


def reply_draft_ids(found: dict[str, CommentDraft]) -> set[int]:
    ids = set()
    for context in found:
        kind, _, number = context.partition(":")
        if kind == "reply" and number.isdigit():
            ids.add(int(number))
    return ids


@consultation_section("discussion", "comments/_general_thread.html", order=50)
def general_thread_section(consultation: Consultation, user) -> dict | None:
    if not consultation.visible_to(user):
        return None
    page = request.args.get("page", 1, type=int)
    if not 0 < page <= MAX_PAGE:
        abort(404)
    pagination, nodes = threads.general_thread(consultation, user, page)
    found = drafts.drafts_by_context(user, consultation.id)
    viewer = threads.viewer_for(consultation, user, reply_drafts=reply_draft_ids(found))
    draft = found.get(drafts.GENERAL)
    form = None
    if viewer.accepts_replies:
        form = new_comment_form(draft, id_prefix="general-", next=here("discussion"))
    return {
        "consultation": consultation,
        "pagination": pagination,
        "nodes": nodes,
        "count": threads.general_count(consultation, user),
        "viewer": viewer,
        "form": form,
        "draft": draft,
    }


_SENTINEL_KEY = "thread-key"  # stands for a thread key in the link pattern built once per page


@document_section("threads", "comments/_paragraph_thread.html")
def paragraph_threads_section(document: WorkingDocument, version: DocumentVersion, user, request_args) -> dict | None:
    """Under each numbered paragraph: how many comments, the latest ones, and the way to the whole thread.

    The document page is for reading: the comment form and the full threads are on each paragraph's thread page.
    """
    consultation = document.consultation
    if not consultation.visible_to(user):
        return None
    found = drafts.drafts_by_context(user, consultation.id)
    viewer = threads.viewer_for(
        consultation, user, document=document, version=version, reply_drafts=reply_draft_ids(found)
    )
    current = document.current_version
    current_keys = {p.thread_key for p in current.paragraphs} if current is not version else None
    before, _sentinel, after = url_for(
        "comments.thread", slug=consultation.slug, document_id=document.id, thread_key=_SENTINEL_KEY
    ).rpartition(_SENTINEL_KEY)

    def can_comment(paragraph: Paragraph) -> bool:
        """Only on the current version's paragraphs, or an older version's that are unchanged since."""
        return (viewer.accepts_replies and not paragraph.is_heading
                and (current_keys is None or paragraph.thread_key in current_keys))

    def draft_for(paragraph: Paragraph) -> CommentDraft | None:
        return found.get(drafts.context_for(paragraph_id=paragraph.id))

    def thread_url(paragraph: Paragraph) -> str:
        return f"{before}{paragraph.thread_key}{after}"

    return {
        "consultation": consultation,
        "document": document,
        "threads": threads.paragraph_threads(document, version, user),
        "viewer": viewer,
        "can_comment": can_comment,
        "draft_for": draft_for,
        "thread_url": thread_url,
        # The card macro, imported once for the page rather than once per paragraph's include.
        "comment_card": current_app.jinja_env.get_template("comments/_macros.html").module.comment_card,
    }


@participation_source("comments")
def comments_by_organization(consultation: Consultation) -> dict[int, int]:
    """How many comments each organization has made, leaving out withdrawn and rejected ones."""
    rows = db.session.execute(
        select(Comment.organization_id, func.count())
        .where(
            Comment.consultation_id == consultation.id,
            Comment.organization_id.is_not(None),
            Comment.status.not_in((CommentStatus.WITHDRAWN.value, CommentStatus.REJECTED.value)),
        )
        .group_by(Comment.organization_id)
    )
    return dict(rows.all())
