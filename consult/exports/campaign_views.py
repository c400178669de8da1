"""Campaign pages for the consultation's managers: the groups of near-identical texts, and the members of one.

404 to whoever cannot see the consultation, 403 to whoever sees it without managing it.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import format_percent
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult.comments.models import Comment
from consult.consultations.forms import MAX_SLUG
from consult.consultations.models import Consultation
from consult.consultations.queries import consultation_by_slug
from consult.exports import campaigns
from consult.exports.campaign_analysis import current_campaigns
from consult.exports.public import stakeholder_label
from consult.exports.views import bp
from consult.extensions import db
from consult.markup import plain_text
from consult.surveys.models import Answer, Response

MAX_PAGE = 100_000
EXCERPT = 400


class ListPagination(Pagination):
    """Pages of a list already in memory (the groups, or one group's member ids), for the `pager` macro."""

    def _query_items(self) -> list:
        start = self._query_offset
        return list(self._query_args["items"][start:start + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def _page(items) -> ListPagination:
    page = request.args.get("page", 1, type=int)
    if not 0 < page <= MAX_PAGE:
        abort(404)
    return ListPagination(page=page, per_page=current_app.config["PAGE_SIZE"], error_out=True, items=items)


def managed_consultation(slug: str) -> Consultation:
    """The consultation for one of its managers: 404 if the person cannot see it, 403 if they do not manage it."""
    if len(slug) > MAX_SLUG or "\x00" in slug:
        abort(404)
    user = current_user._get_current_object()
    consultation = consultation_by_slug(slug)
    if consultation is None or not consultation.visible_to(user):
        abort(404)
    if not consultation.can_manage(user):
        abort(403)
    return consultation


@bp.get("/consultations/<slug>/campaigns", endpoint="campaigns")
@login_required
def campaigns_page(slug: str):
    consultation = managed_consultation(slug)
    found = current_campaigns(consultation)
    page = _page(found.groups or [])
    return render_template(
        "exports/campaigns.html",
        consultation=consultation,
        page=page,
        campaigns_pending=found.pending,
        campaigns_as_of=found.computed_at,
        excerpt=lambda text: plain_text(text, EXCERPT),
        threshold=format_percent(campaigns.THRESHOLD),
        min_words=campaigns.MIN_WORDS,
        stakeholder_label=stakeholder_label,
    )


@bp.get("/consultations/<slug>/campaigns/<int:number>")
@login_required
def campaign(slug: str, number: int):
    consultation = managed_consultation(slug)
    if number < 1:
        abort(404)
    found = current_campaigns(consultation).first(number) or []
    if len(found) < number:
        abort(404)
    group = found[number - 1]
    page = _page(group.member_ids)
    members = _answers(page.items) if group.kind == campaigns.ANSWER else _comments(page.items)
    return render_template(
        "exports/campaign.html",
        consultation=consultation,
        group=group,
        page=page,
        members=members,
        stakeholder_label=stakeholder_label,
    )


def _answers(ids: list[int]) -> list[Answer]:
    rows = db.session.scalars(
        select(Answer)
        .where(Answer.id.in_(ids))
        .options(
            joinedload(Answer.question),
            joinedload(Answer.response).joinedload(Response.respondent),
            joinedload(Answer.response).joinedload(Response.organization),
        )
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _comments(ids: list[int]) -> list[Comment]:
    rows = db.session.scalars(
        select(Comment)
        .where(Comment.id.in_(ids))
        .options(joinedload(Comment.author), joinedload(Comment.organization), joinedload(Comment.paragraph),
                 joinedload(Comment.document))
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]
