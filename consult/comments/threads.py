"""Loading threads for a viewer, in a number of queries that does not grow with the number of comments.

A thread shows what the viewer may read (Comment.visible_filter) and, in
place of withdrawn or hidden comments, a placeholder (Comment.placeholder_filter).
Top-level comments are paged; their replies come with them, nested to
MAX_DEPTH and flat after that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from consult.comments.models import Comment, CommentFlag, CommentStatus
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, ParagraphKind, WorkingDocument
from consult.extensions import db
from consult.i18n import utcnow

PREVIEW_SIZE = 5  # top-level comments shown under each paragraph of a document
THREAD_PAGE_SIZE = 20  # top-level comments per page of a whole thread


def shown_filter(user) -> ColumnElement[bool]:
    """Comments that appear in a thread for `user`: readable ones, and placeholders."""
    return or_(Comment.visible_filter(user), Comment.placeholder_filter(user))


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


@dataclass
class Viewer:
    """The person reading a thread, and what the page lets them do."""

    user: object
    consultation: Consultation
    accepts_replies: bool = False  # the consultation (and document) still take comments from them
    version: DocumentVersion | None = None  # the version of the document the page shows
    flagged: set[int] = field(default_factory=set)  # comments they have flagged
    reply_drafts: set[int] = field(default_factory=set)  # comments they have an unsent reply to
    may_respond: bool = False  # they write secretariat responses, and that page exists

    def can_reply(self, comment: Comment) -> bool:
        return self.accepts_replies and comment.status == CommentStatus.PUBLISHED.value

    def can_flag(self, comment: Comment) -> bool:
        return comment.id not in self.flagged and comment.can_flag(self.user)

    def other_version(self, comment: Comment) -> int | None:
        """The version number a comment was made on, when it is not the version shown."""
        paragraph = comment.paragraph
        if paragraph is None or self.version is None or paragraph.version_id == self.version.id:
            return None
        return paragraph.version.number


def viewer_for(consultation: Consultation, user, document: WorkingDocument | None = None,
               version: DocumentVersion | None = None, reply_drafts=(), now: datetime | None = None) -> Viewer:
    now = now or utcnow()
    accepts = consultation.can_contribute(user) and (document is None or document.accepts_comments_at(now))
    return Viewer(
        user=user,
        consultation=consultation,
        accepts_replies=accepts,
        version=version,
        flagged=flagged_by(user, consultation),
        reply_drafts=set(reply_drafts),
        may_respond=consultation.can_manage(user),
    )


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


def _replies_to(top_ids, user) -> list[Comment]:
    """Every shown reply under the given top-level comments, at any depth (one query)."""
    tree = select(Comment.id).where(Comment.parent_id.in_(top_ids)).cte("reply_tree", recursive=True)
    tree = tree.union_all(select(Comment.id).join(tree, Comment.parent_id == tree.c.id))
    query = _with_people(select(Comment).where(Comment.id.in_(select(tree.c.id)), shown_filter(user)))
    return list(db.session.scalars(_in_order(query)).unique())


def build_trees(top_level: list[Comment], replies: list[Comment], user) -> list[CommentNode]:
    """Nest replies under the comments they answer; below MAX_DEPTH a reply sits beside the comment it answers."""
    nodes: dict[int, CommentNode] = {}
    holders: dict[int, CommentNode] = {}  # the node whose replies list holds each reply
    roots = []
    for comment in top_level:
        nodes[comment.id] = CommentNode(comment, comment.visible_to(user))
        roots.append(nodes[comment.id])
    for reply in replies:  # oldest first, so a parent is always placed before its replies
        parent = nodes.get(reply.parent_id)
        if parent is None:
            continue  # its parent is not shown to this viewer, so neither is the reply
        node = CommentNode(reply, reply.visible_to(user))
        holder = parent
        if reply.depth <= parent.comment.depth and parent.comment.id in holders:
            holder = holders[parent.comment.id]  # flat: next to the comment it answers
            node.reply_to = parent.comment
        holder.replies.append(node)
        holders[reply.id] = holder
        nodes[reply.id] = node
    return roots


def _trees(top_level: list[Comment], user) -> list[CommentNode]:
    replies = _replies_to([comment.id for comment in top_level], user) if top_level else []
    return build_trees(top_level, replies, user)


def _same_thread(consultation_id: int, document_id: int | None, thread_key: str | None) -> ColumnElement[bool]:
    if thread_key is None:
        return and_(Comment.consultation_id == consultation_id, Comment.thread_key.is_(None))
    return and_(Comment.consultation_id == consultation_id, Comment.document_id == document_id,
                Comment.thread_key == thread_key)


def _page_of_thread(in_thread: ColumnElement[bool], user, page: int) -> tuple[Pagination, list[CommentNode]]:
    query = select(Comment).where(in_thread, Comment.parent_id.is_(None), shown_filter(user))
    pagination = db.paginate(_in_order(_with_people(query)), page=page, per_page=THREAD_PAGE_SIZE, error_out=True)
    return pagination, _trees(list(pagination.items), user)


def _visible_count(in_thread: ColumnElement[bool], user) -> int:
    query = select(func.count()).select_from(Comment).where(in_thread, Comment.visible_filter(user))
    return db.session.scalar(query) or 0


# --- The general thread of a consultation -----------------------------------------


def general_thread(consultation: Consultation, user, page: int = 1) -> tuple[Pagination, list[CommentNode]]:
    return _page_of_thread(_same_thread(consultation.id, None, None), user, page)


def general_count(consultation: Consultation, user) -> int:
    return _visible_count(_same_thread(consultation.id, None, None), user)


# --- The threads of a document's paragraphs -----------------------------------------


@dataclass
class ThreadPreview:
    """The start of one paragraph's thread, as the document page shows it."""

    key: str
    count: int  # comments the viewer may read
    top_level: int  # top-level comments and placeholders in the whole thread
    nodes: list[CommentNode]

    @property
    def has_more(self) -> bool:
        return self.top_level > len(self.nodes)


def paragraph_threads(document: WorkingDocument, version: DocumentVersion, user) -> dict[str, ThreadPreview]:
    """Per thread of the version's numbered paragraphs: its count and first PREVIEW_SIZE comments with replies.

    Comments made on earlier versions of an unchanged paragraph share its thread key and appear too.
    """
    keys = select(Paragraph.thread_key).where(
        Paragraph.version_id == version.id, Paragraph.kind == ParagraphKind.PARAGRAPH.value
    )
    in_document = and_(Comment.document_id == document.id, Comment.thread_key.in_(keys))
    shown = shown_filter(user)
    counts = db.session.execute(
        select(
            Comment.thread_key,
            func.sum(case((Comment.visible_filter(user), 1), else_=0)),
            func.sum(case((Comment.parent_id.is_(None), 1), else_=0)),
        )
        .where(in_document, shown)
        .group_by(Comment.thread_key)
    ).all()
    ranked = (
        select(
            Comment.id.label("id"),
            func.row_number()
            .over(partition_by=Comment.thread_key, order_by=(Comment.created_at, Comment.id))
            .label("rank"),
        )
        .where(in_document, Comment.parent_id.is_(None), shown)
        .subquery()
    )
    first = select(ranked.c.id).where(ranked.c.rank <= PREVIEW_SIZE)
    top_level = list(db.session.scalars(_in_order(_with_people(select(Comment).where(Comment.id.in_(first))))).unique())
    replies = _replies_to(first, user) if top_level else []
    by_key: dict[str, list[CommentNode]] = {}
    for node in build_trees(top_level, replies, user):
        by_key.setdefault(node.comment.thread_key, []).append(node)
    return {
        key: ThreadPreview(key, int(readable or 0), int(tops or 0), by_key.get(key, []))
        for key, readable, tops in counts
    }


def paragraph_thread(document: WorkingDocument, thread_key: str, user, page: int = 1):
    return _page_of_thread(_same_thread(document.consultation_id, document.id, thread_key), user, page)


def paragraph_thread_count(document: WorkingDocument, thread_key: str, user) -> int:
    return _visible_count(_same_thread(document.consultation_id, document.id, thread_key), user)


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
        shown_filter(user),
        earlier,
    )
    return max(db.session.scalar(query) or 0, 1)
