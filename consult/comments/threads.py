"""Loading threads for a viewer, in a number of queries that does not grow with the number of comments.

A thread shows what the viewer may read (Comment.visible_filter) and, in
place of withdrawn or hidden comments, a placeholder (Comment.placeholder_filter).
Top-level comments are paged; their replies come with them, nested to
MAX_DEPTH and flat after that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context, url_for
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from consult.comments.models import (
    COMMENT_TYPE_LABELS,
    MODERATION_REASON_LABELS,
    OUTCOME_LABELS,
    POSITION_LABELS,
    Comment,
    CommentFlag,
    CommentStatus,
)
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, ParagraphKind, WorkingDocument
from consult.extensions import db
from consult.i18n import LocalTime, language_name, utcnow

PREVIEW_SIZE = 2  # the most recent top-level comments shown, without their replies, under each paragraph
THREAD_PAGE_SIZE = 20  # top-level comments per page of a whole thread


def known_for(consultation: Consultation, user) -> dict[str, bool]:
    """What the comment rules need to know of `user` and one consultation, worked out once.

    Passed to Comment.visible_to / visible_filter and the like, in pages and queries that stay within that
    consultation, so that neither Python nor the database works it out again for every comment.
    """
    return {"sees_consultation": consultation.visible_to(user), "manages": consultation.can_manage(user)}


def shown_filter(user, **known: bool) -> ColumnElement[bool]:
    """Comments that appear in a thread for `user`: readable ones, and placeholders."""
    return or_(Comment.visible_filter(user, **known), Comment.placeholder_filter(user, **known))


def _with_people(query: Select) -> Select:
    """Everything a comment shows, loaded in the same query."""
    return query.options(
        joinedload(Comment.author),
        joinedload(Comment.organization),
        joinedload(Comment.paragraph).joinedload(Paragraph.version),
        joinedload(Comment.response),
    )


def _in_order(query: Select) -> Select:
    return query.order_by(Comment.created_at, Comment.id)


# --- What the viewer may do, worked out once per page ---------------------------

_SENTINEL_ID = 2**31 - 1  # stands for a comment's id in the link patterns built once per page

# The pages a comment card links to: endpoint and the arguments naming the comment.
_COMMENT_LINKS = {
    "show": ("comments.show", "comment_id"),
    "reply": ("comments.new", "parent"),
    "edit": ("comments.edit", "comment_id"),
    "withdraw": ("comments.withdraw", "comment_id"),
    "flag": ("comments.flag", "comment_id"),
    "revisions": ("comments.revisions", "comment_id"),
    "response": ("moderation.response", "comment_id"),
}


@dataclass
class Viewer:
    """The person reading a thread, and what the page lets them do.

    Everything that depends only on the viewer and the consultation (their rights, the link patterns, labels,
    organization lines) is worked out once per page, not once per comment.
    """

    user: object
    consultation: Consultation
    accepts_replies: bool = False  # the consultation (and document) still take comments from them
    version: DocumentVersion | None = None  # the version of the document the page shows
    flagged: set[int] = field(default_factory=set)  # comments they have flagged
    reply_drafts: set[int] = field(default_factory=set)  # comments they have an unsent reply to
    may_respond: bool = False  # they write secretariat responses, and that page exists
    sees_consultation: bool = False  # Consultation.visible_to
    manages: bool = False  # Consultation.can_manage: they moderate its comments
    _links: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _organizations: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)
    _labels: dict[tuple[str, str | None], str] = field(default_factory=dict, repr=False)
    _texts: dict[str, Markup] | None = field(default=None, repr=False)
    _local_time: LocalTime | None = field(default=None, repr=False)

    @property
    def _known(self) -> dict[str, bool]:
        return {"sees_consultation": self.sees_consultation, "manages": self.manages}

    def can_read(self, comment: Comment) -> bool:
        return comment.visible_to(self.user, **self._known)

    def can_reply(self, comment: Comment) -> bool:
        return self.accepts_replies and comment.status == CommentStatus.PUBLISHED.value

    def can_flag(self, comment: Comment) -> bool:
        return comment.id not in self.flagged and comment.can_flag(self.user, **self._known)

    def sees_response(self, comment: Comment) -> bool:
        return comment.response_visible_to(self.user, **self._known)

    def other_version(self, comment: Comment) -> int | None:
        """The version number a comment was made on, when it is not the version shown."""
        paragraph = comment.paragraph
        if paragraph is None or self.version is None or paragraph.version_id == self.version.id:
            return None
        return paragraph.version.number

    def url(self, action: str, comment_id: int) -> str:
        """The page for `action` on a comment (see _COMMENT_LINKS), from a pattern built once per page."""
        pattern = self._links.get(action)
        if pattern is None:
            endpoint, argument = _COMMENT_LINKS[action]
            args = {argument: _SENTINEL_ID}
            if endpoint.startswith("comments."):
                args["slug"] = self.consultation.slug
            before, _sentinel, after = url_for(endpoint, **args).rpartition(str(_SENTINEL_ID))
            pattern = self._links[action] = (before, after)
        return f"{pattern[0]}{comment_id}{pattern[1]}"

    def label(self, kind: str, code: str | None) -> str:
        """comment_label, looked up once per page for each code."""
        key = (kind, code)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = comment_label(kind, code)
        return found

    def when(self, moment: datetime) -> str:
        """A moment as every page shows it (format_local_datetime), with the zone and language looked up once."""
        if self._local_time is None:
            self._local_time = LocalTime()
        return self._local_time(moment)

    @property
    def texts(self) -> dict[str, Markup]:
        """The words every comment card repeats, translated once per page (placeholders filled in by the card)."""
        if self._texts is None:
            self._texts = card_texts()
        return self._texts

    def organization(self, organization) -> tuple[str, str]:
        """An organization's stakeholder type and country, in the reader's language (once per organization)."""
        found = self._organizations.get(organization.id)
        if found is None:
            found = self._organizations[organization.id] = (organization.stakeholder.label, organization.country_name)
        return found


def card_texts() -> dict[str, Markup]:
    """Translations are trusted markup, as the templates' own _() makes them; `%` escapes what fills them in."""
    texts = {
        "reply": _("Reply"),
        "continue_reply": _("Continue your unsent reply"),
        "to_comment_by": _("to the comment by %(name)s"),
        "edit": _("Edit"),
        "withdraw": _("Withdraw"),
        "your_comment": _("your comment"),
        "flagged": _("You flagged this comment"),
        "flag": _("Flag"),
        "flag_comment_by": _("the comment by %(name)s for a moderator"),
        "respond": _("Write the secretariat response"),
        "position": _("Position: %(position)s"),
        "written_in": _("Written in %(language)s"),
        "edited": _("edited"),
        "earlier_versions": _("(see the earlier versions)"),
    }
    return {key: Markup(text) for key, text in texts.items()}  # noqa: S704  (translations, not user input)


def comment_label(kind: str, code: str | None) -> str:
    """The reader's-language label of a comment's type, position, moderation reason or response outcome,
    or of the language it is written in."""
    if code is None:
        return ""
    if kind == "language":
        return language_name(code)
    labels = {
        "type": COMMENT_TYPE_LABELS,
        "position": POSITION_LABELS,
        "reason": MODERATION_REASON_LABELS,
        "outcome": OUTCOME_LABELS,
    }[kind]
    return str(next((label for member, label in labels.items() if member.value == code), code))


def viewer_for(consultation: Consultation, user, document: WorkingDocument | None = None,
               version: DocumentVersion | None = None, reply_drafts=(), now: datetime | None = None) -> Viewer:
    now = now or utcnow()
    accepts = consultation.can_contribute(user) and (document is None or document.accepts_comments_at(now))
    manages = consultation.can_manage(user)
    return Viewer(
        user=user,
        consultation=consultation,
        accepts_replies=accepts,
        version=version,
        flagged=flagged_by(user, consultation),
        reply_drafts=set(reply_drafts),
        may_respond=manages and _has_endpoint(_COMMENT_LINKS["response"][0]),
        sees_consultation=consultation.visible_to(user),
        manages=manages,
    )


def _has_endpoint(endpoint: str) -> bool:
    return has_app_context() and endpoint in current_app.view_functions


def flagged_by(user, consultation: Consultation) -> set[int]:
    """The comments of this consultation `user` has flagged (one query)."""
    rows = db.session.scalars(
        select(CommentFlag.comment_id)
        .join(Comment, Comment.id == CommentFlag.comment_id)
        .where(CommentFlag.user_id == user.id, Comment.consultation_id == consultation.id)
    )
    return set(rows)


# --- Trees --------------------------------------------------------------------


@dataclass
class CommentNode:
    comment: Comment
    shows_content: bool  # False: a placeholder ("Withdrawn by its author", "Hidden by a moderator")
    replies: list[CommentNode] = field(default_factory=list)
    # Set on replies shown flat below MAX_DEPTH: the comment they answer.
    reply_to: Comment | None = None
    # In a preview, which shows no replies: how many the viewer may read under it (at any depth).
    reply_count: int | None = None


def _replies_to(top_ids, user, known: dict[str, bool]) -> list[Comment]:
    """Every shown reply under the given top-level comments of one consultation, at any depth (one query)."""
    tree = select(Comment.id).where(Comment.parent_id.in_(top_ids)).cte("reply_tree", recursive=True)
    tree = tree.union_all(select(Comment.id).join(tree, Comment.parent_id == tree.c.id))
    query = _with_people(select(Comment).where(Comment.id.in_(select(tree.c.id)), shown_filter(user, **known)))
    return list(db.session.scalars(_in_order(query)).unique())


def reader(user) -> Callable[[Comment], bool]:
    """Comment.visible_to for `user`, with what depends on the consultation worked out once per consultation."""
    known: dict[int, dict[str, bool]] = {}

    def readable(comment: Comment) -> bool:
        facts = known.get(comment.consultation_id)
        if facts is None:
            facts = known[comment.consultation_id] = known_for(comment.consultation, user)
        return comment.visible_to(user, **facts)

    return readable


def build_trees(top_level: list[Comment], replies: list[Comment], user) -> list[CommentNode]:
    """Nest replies under the comments they answer; below MAX_DEPTH a reply sits beside the comment it answers."""
    nodes: dict[int, CommentNode] = {}
    holders: dict[int, CommentNode] = {}  # the node whose replies list holds each reply
    roots = []
    readable = reader(user)
    for comment in top_level:
        nodes[comment.id] = CommentNode(comment, readable(comment))
        roots.append(nodes[comment.id])
    for reply in replies:  # oldest first, so a parent is always placed before its replies
        parent = nodes.get(reply.parent_id)
        if parent is None:
            continue  # its parent is not shown to this viewer, so neither is the reply
        node = CommentNode(reply, readable(reply))
        holder = parent
        if reply.depth <= parent.comment.depth and parent.comment.id in holders:
            holder = holders[parent.comment.id]  # flat: next to the comment it answers
            node.reply_to = parent.comment
        holder.replies.append(node)
        holders[reply.id] = holder
        nodes[reply.id] = node
    return roots


def _trees(top_level: list[Comment], user, known: dict[str, bool]) -> list[CommentNode]:
    replies = _replies_to([comment.id for comment in top_level], user, known) if top_level else []
    return build_trees(top_level, replies, user)


def _same_thread(consultation_id: int, document_id: int | None, thread_key: str | None) -> ColumnElement[bool]:
    if thread_key is None:
        return and_(Comment.consultation_id == consultation_id, Comment.thread_key.is_(None))
    return and_(Comment.consultation_id == consultation_id, Comment.document_id == document_id,
                Comment.thread_key == thread_key)


def _page_of_thread(consultation: Consultation, in_thread: ColumnElement[bool], user,
                    page: int) -> tuple[Pagination, list[CommentNode]]:
    known = known_for(consultation, user)
    query = select(Comment).where(in_thread, Comment.parent_id.is_(None), shown_filter(user, **known))
    pagination = db.paginate(_in_order(_with_people(query)), page=page, per_page=THREAD_PAGE_SIZE, error_out=True)
    return pagination, _trees(list(pagination.items), user, known)


def _visible_count(consultation: Consultation, in_thread: ColumnElement[bool], user) -> int:
    readable = Comment.visible_filter(user, **known_for(consultation, user))
    query = select(func.count()).select_from(Comment).where(in_thread, readable)
    return db.session.scalar(query) or 0


# --- The general thread of a consultation -----------------------------------------


def general_thread(consultation: Consultation, user, page: int = 1) -> tuple[Pagination, list[CommentNode]]:
    return _page_of_thread(consultation, _same_thread(consultation.id, None, None), user, page)


def general_count(consultation: Consultation, user) -> int:
    return _visible_count(consultation, _same_thread(consultation.id, None, None), user)


# --- The threads of a document's paragraphs -----------------------------------------


@dataclass
class ThreadPreview:
    """A paragraph's thread as the document page previews it."""

    key: str
    count: int  # comments the viewer may read
    latest: list[CommentNode]  # the PREVIEW_SIZE most recent top-level comments they may read, oldest first


def paragraph_threads(document: WorkingDocument, version: DocumentVersion, user) -> dict[str, ThreadPreview]:
    """Per thread of the version's numbered paragraphs: how many comments the viewer may read, and the
    PREVIEW_SIZE most recent top-level ones, each with the number of its replies instead of the replies.

    Comments made on earlier versions of an unchanged paragraph share its thread key and appear too.
    Three queries, whatever the number of paragraphs and comments.
    """
    keys = select(Paragraph.thread_key).where(
        Paragraph.version_id == version.id, Paragraph.kind == ParagraphKind.PARAGRAPH.value
    )
    in_document = and_(Comment.consultation_id == document.consultation_id, Comment.document_id == document.id,
                       Comment.thread_key.in_(keys))
    known = known_for(document.consultation, user)
    readable = Comment.visible_filter(user, **known)
    counts = db.session.execute(
        select(Comment.thread_key, func.count()).where(in_document, readable).group_by(Comment.thread_key)
    ).all()
    ranked = (
        select(
            Comment.id.label("id"),
            func.row_number()
            .over(partition_by=Comment.thread_key, order_by=(Comment.created_at.desc(), Comment.id.desc()))
            .label("rank"),
        )
        .where(in_document, Comment.parent_id.is_(None), readable)
        .subquery()
    )
    latest = select(ranked.c.id).where(ranked.c.rank <= PREVIEW_SIZE)
    query = _in_order(_with_people(select(Comment).where(Comment.id.in_(latest))))
    top_level = list(db.session.scalars(query).unique())
    replies = _reply_counts([comment.id for comment in top_level], user, known) if top_level else {}
    by_key: dict[str, list[CommentNode]] = {}
    for comment in top_level:
        node = CommentNode(comment, shows_content=True, reply_count=replies.get(comment.id, 0))
        by_key.setdefault(comment.thread_key, []).append(node)
    return {key: ThreadPreview(key, int(count or 0), by_key.get(key, [])) for key, count in counts}


def _reply_counts(top_ids: list[int], user, known: dict[str, bool]) -> dict[int, int]:
    """How many replies the viewer may read under each of the given comments of one consultation, at any depth
    (one query).

    A reply counts where the whole thread would show it: under comments shown, or shown as placeholders.
    """
    shown = shown_filter(user, **known)
    tree = (
        select(Comment.id.label("id"), Comment.parent_id.label("root"))
        .where(Comment.parent_id.in_(top_ids), shown)
        .cte("reply_counts", recursive=True)
    )
    tree = tree.union_all(select(Comment.id, tree.c.root).join(tree, Comment.parent_id == tree.c.id).where(shown))
    rows = db.session.execute(
        select(tree.c.root, func.count())
        .join(Comment, Comment.id == tree.c.id)
        .where(Comment.visible_filter(user, **known))
        .group_by(tree.c.root)
    )
    return {root: int(count) for root, count in rows}


def paragraph_thread(document: WorkingDocument, thread_key: str, user, page: int = 1):
    in_thread = _same_thread(document.consultation_id, document.id, thread_key)
    return _page_of_thread(document.consultation, in_thread, user, page)


def paragraph_thread_count(document: WorkingDocument, thread_key: str, user) -> int:
    return _visible_count(document.consultation, _same_thread(document.consultation_id, document.id, thread_key),
                          user)


# --- Where a comment is ---------------------------------------------------------------


def root_of(comment: Comment) -> Comment:
    while comment.parent is not None:
        comment = comment.parent
    return comment


def top_level_rank(root: Comment, user) -> int:
    """Where a top-level comment comes in its thread for `user`, counting from 1."""
    earlier = or_(
        Comment.created_at < root.created_at,
        and_(Comment.created_at == root.created_at, Comment.id <= root.id),
    )
    query = select(func.count()).select_from(Comment).where(
        _same_thread(root.consultation_id, root.document_id, root.thread_key),
        Comment.parent_id.is_(None),
        shown_filter(user, **known_for(root.consultation, user)),
        earlier,
    )
    return max(db.session.scalar(query) or 0, 1)
