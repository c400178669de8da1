"""Threads load in a bounded number of queries, paginate, and count only what the reader may see."""

from __future__ import annotations

import itertools
import uuid

from flask import session
from flask_login import AnonymousUserMixin, login_user
from sqlalchemy import event, select

from consult.comments import sections
from consult.comments.models import Comment, CommentFlag, SecretariatResponse
from consult.consultations.extensions import participation_counts
from consult.consultations.models import Consultation, WorkingDocument
from consult.directory.models import User
from consult.extensions import db
from consult.i18n import utcnow
from tests.comments.test_comments_support import (
    _render_threads,
    add_comment,
    build_discussion,
    render_discussion,
    render_document_threads,
    signed_in,
    text_of,
)
from tests.factories import create_document
from tests.helpers import create_organization, create_user


def _add_comments(app, consultation_id: int, document_id: int | None, paragraph_ids: list[int | None],
                  authors: list[int], viewer_id: int, how_many: int) -> None:
    """`how_many` comments spread over the paragraphs: a third are replies, some flagged, some answered."""
    with app.app_context():
        document = db.session.get(WorkingDocument, document_id) if document_id else None
        keys = {p.id: p.thread_key for p in document.current_version.paragraphs} if document else {}
        organizations = {u.id: u.organization_id for u in db.session.scalars(select(User).where(User.id.in_(authors)))}
        made: list[Comment] = []
        for number in range(how_many):
            author = authors[number % len(authors)]
            paragraph_id = paragraph_ids[number % len(paragraph_ids)]
            parent = made[number - len(paragraph_ids)] if number % 3 == 2 and number >= len(paragraph_ids) else None
            if parent is not None:
                paragraph_id = parent.paragraph_id
            comment = Comment(
                consultation_id=consultation_id,
                document_id=document_id if paragraph_id else None,
                paragraph_id=paragraph_id,
                thread_key=keys.get(paragraph_id),
                parent=parent,
                depth=min(parent.depth + 1, 3) if parent is not None else 0,
                author_id=author,
                organization_id=organizations[author],
                body=f"Comment {number} with **Markdown**.",
                proposed_wording="A better sentence." if paragraph_id and number % 4 == 0 else None,
                status="withdrawn" if number % 17 == 5 else "published",
                visibility="confidential" if number % 19 == 7 else "audience",
            )
            db.session.add(comment)
            made.append(comment)
        db.session.flush()
        for comment in made[::7]:
            if comment.author_id != viewer_id:
                db.session.add(CommentFlag(comment_id=comment.id, user_id=viewer_id, reason="spam"))
        for comment in made[::5]:
            db.session.add(SecretariatResponse(comment_id=comment.id, outcome="noted", text="*Thanks.*"))
        db.session.get(Consultation, consultation_id).responses_published_at = utcnow()
        db.session.commit()


def _count_statements(app, work) -> tuple[int, str]:
    with app.app_context():
        engine = db.engine
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        html = work()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return len(statements), html


def _document_queries(app, user_id: int, document_id: int) -> tuple[int, str]:
    with app.test_request_context(f"/consultations/guidelines/documents/{document_id}"):
        session["locale"] = "en"
        user = db.session.get(User, user_id)
        login_user(user)
        return _count_statements(app, lambda: _render_threads(user, document_id, None))


def _many_authors(app, client_as, scene, number: int) -> list[int]:
    with app.app_context():
        ids = [scene.camille.id, scene.pablo.id, scene.moderator.user.id]
        for _ in range(number):
            organization = create_organization(stakeholder_type="rights_holder").id
            ids.append(create_user(organization_id=organization).id)
        return ids


def test_a_document_of_200_paragraphs_loads_in_as_many_queries_with_1000_comments_as_with_10(app, client_as):
    scene = build_discussion(app, client_as)
    with app.app_context():
        big = create_document(scene.consultation.id, paragraphs=[f"Paragraph {n}." for n in range(1, 201)])
    authors = _many_authors(app, client_as, scene, 12)

    _add_comments(app, scene.consultation.id, big.id, big.paragraph_ids[:10], authors, scene.pablo.id, 10)
    few, few_html = _document_queries(app, scene.pablo.id, big.id)
    crowded = big.paragraph_ids + big.paragraph_ids[:20] * 5  # some paragraphs draw many comments
    _add_comments(app, scene.consultation.id, big.id, crowded, authors, scene.pablo.id, 990)
    many, many_html = _document_queries(app, scene.pablo.id, big.id)
    moderator_many, _ = _document_queries(app, scene.moderator.user.id, big.id)

    assert few == many, (few, many)
    assert moderator_many <= many + 2  # the moderator's rights are looked up once, not per comment
    assert few <= 20
    # A preview: at most two top-level comments under each of the 200 paragraphs, never their replies.
    assert 400 >= many_html.count('class="comment ') > 300 > 10 >= few_html.count('class="comment ')
    assert "comment-replies" not in many_html and "Comment 2 with" not in many_html  # comment 2 is a reply
    assert "Read all" in many_html and "You flagged this comment" in many_html
    assert "Secretariat response" in many_html and "Proposed change to paragraph" in many_html
    assert "<form" not in many_html


def test_the_general_thread_loads_in_as_many_queries_whatever_its_length(app, client_as):
    scene = build_discussion(app, client_as)
    authors = _many_authors(app, client_as, scene, 5)

    def queries() -> int:
        with app.test_request_context("/consultations/guidelines"):
            session["locale"] = "en"
            user = db.session.get(User, scene.pablo.id)
            login_user(user)
            consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "guidelines"))
            return _count_statements(app, lambda: _render_general(consultation, user))[0]

    _add_comments(app, scene.consultation.id, None, [None], authors, scene.pablo.id, 10)
    few = queries()
    _add_comments(app, scene.consultation.id, None, [None], authors, scene.pablo.id, 300)
    assert queries() == few


def _render_general(consultation, user) -> str:
    from flask import render_template

    from consult.consultations.extensions import consultation_sections

    [section] = [s for s in consultation_sections(consultation, user) if s.name == "discussion"]
    return render_template(section.template, section=section, consultation=consultation)


def test_the_general_thread_pages_twenty_top_level_comments_with_their_replies(app, client_as):
    scene = build_discussion(app, client_as)
    tops = [add_comment(app, scene.consultation.id, scene.camille.id, body=f"Top {n:02d}.") for n in range(1, 26)]
    add_comment(app, scene.consultation.id, scene.pablo.id, parent_id=tops[0], body="Reply to the first.")
    add_comment(app, scene.consultation.id, scene.pablo.id, parent_id=tops[24], body="Reply to the last.")

    first = render_discussion(app, scene.pablo.id)
    assert "Top 20." in first and "Top 21." not in first and "Reply to the first." in first
    assert "Reply to the last." not in first
    assert "27 comments" in first and "Page 1 of 2" in first
    second = render_discussion(app, scene.pablo.id, query="?page=2")
    assert "Top 21." in second and "Top 25." in second and "Reply to the last." in second
    assert "Top 01." not in second


def test_each_paragraph_previews_its_two_latest_comments_without_replies_and_links_to_the_thread(app, client_as):
    scene = build_discussion(app, client_as)
    first_key = scene.document.thread_keys[0]
    points = [add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0],
                          body=f"Point {number}.") for number in range(1, 8)]
    reply = add_comment(app, scene.consultation.id, scene.pablo.id, parent_id=points[-1],
                        paragraph_id=scene.paragraph_ids[0], body="A reply to point 7.")
    add_comment(app, scene.consultation.id, scene.camille.id, parent_id=reply, paragraph_id=scene.paragraph_ids[0],
                body="A reply to the reply.")
    add_comment(app, scene.consultation.id, scene.pablo.id, paragraph_id=scene.paragraph_ids[1], body="Alone.")

    page = render_document_threads(app, scene.pablo.id, scene.document.id)
    first, second = page.split('<div id="p2">')
    assert "Point 6." in first and "Point 7." in first and "Point 5." not in first
    assert first.index("Point 6.") < first.index("Point 7.")  # in the order the thread reads
    assert first.count('class="comment ') == 2
    assert "A reply to" not in first and "2 replies" in first  # replies at every depth are counted, not shown
    assert "9 comments on paragraph 1" in first and "Read all 9 comments on §1" in first
    thread = f"/consultations/guidelines/documents/{scene.document.id}/threads/{first_key}"
    assert f'href="{thread}"' in first and f'href="{thread}#thread-comment-heading">Comment on §1</a>' in first
    assert f'href="/consultations/guidelines/comments/{points[-1]}">2 replies' in first
    assert "1 comment on paragraph 2" in second and "Read the 1 comment on §2" in second
    assert second.count('class="comment ') == 1 and "replies" not in second
    assert "<form" not in page


def test_the_link_under_a_paragraph_leads_to_its_thread_with_the_paragraph_and_the_form(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[1],
                             body="Which border?")
    add_comment(app, scene.consultation.id, scene.pablo.id, parent_id=comment_id,
                paragraph_id=scene.paragraph_ids[1], body="The external one.")
    client = signed_in(app, scene.pablo)
    document_page = client.get(f"/consultations/guidelines/documents/{scene.document.id}").get_data(as_text=True)
    thread = f"/consultations/guidelines/documents/{scene.document.id}/threads/{scene.document.thread_keys[1]}"
    assert f'<a href="{thread}">Read all 2 comments on §2</a>' in document_page
    assert 'id="p2"' in document_page and "<form method=\"post\" action=\"/consultations/guidelines/comments\"" \
        not in document_page

    page = text_of(client.get(thread))
    assert "Which border?" in page and "The external one." in page  # the whole thread, replies included
    heading = page.index('id="thread-comment-heading"')
    form = page.index('<form method="post" action="/consultations/guidelines/comments"')
    assert heading < page.index("Small parcels are inspected at the border.", heading) < form
    assert f'name="paragraph_id" type="hidden" value="{scene.paragraph_ids[1]}"' in page


def test_what_a_reader_may_not_see_is_neither_previewed_nor_counted(app, client_as):
    scene = build_discussion(app, client_as)
    paragraph = scene.paragraph_ids[0]
    shown = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=paragraph, body="Public remark.")
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=paragraph, parent_id=shown,
                body="Public reply.")
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=paragraph, parent_id=shown,
                body="Confidential reply.", visibility="confidential")
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=paragraph, body="Secret remark.",
                visibility="confidential")
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=paragraph, body="Hidden remark.",
                status="hidden")
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=paragraph, body="Waiting remark.",
                status="pending")

    reader = render_document_threads(app, scene.pablo.id, scene.document.id)
    for secret in ("Secret remark.", "Hidden remark.", "Waiting remark.", "Confidential reply.", "Hidden by a"):
        assert secret not in reader, secret
    assert "2 comments on paragraph 1" in reader and "Read all 2 comments on §1" in reader
    assert "Public remark." in reader and "1 reply" in reader and "Public reply." not in reader

    author = render_document_threads(app, scene.camille.id, scene.document.id)  # they read all they wrote
    assert "6 comments on paragraph 1" in author and "Waiting remark." in author and "Hidden remark." in author
    moderator = render_document_threads(app, scene.moderator.user.id, scene.document.id)
    assert "6 comments on paragraph 1" in moderator and "Waiting remark." in moderator
    assert "Hidden remark." in moderator and "Secret remark." not in moderator  # only the two latest


def test_participation_counts_comments_by_organization_in_one_query(app, client_as):
    scene = build_discussion(app, client_as)
    for status in ("published", "pending", "hidden", "withdrawn", "rejected"):
        add_comment(app, scene.consultation.id, scene.camille.id, status=status)
    add_comment(app, scene.consultation.id, scene.pablo.id, visibility="confidential")
    add_comment(app, scene.other.id, scene.pablo.id)
    with app.app_context():
        consultation = db.session.get(Consultation, scene.consultation.id)
        assert participation_counts(consultation)["comments"] == {
            scene.camille.organization_id: 3,
            scene.pablo.organization_id: 1,
        }
        count, _ = _count_statements(app, lambda: sections.comments_by_organization(consultation))
        assert count == 1


def test_sections_are_empty_for_people_who_cannot_see_the_consultation(app, client_as):
    scene = build_discussion(app, client_as, audience_mode="restricted")
    add_comment(app, scene.consultation.id, scene.camille.id, body="Inside only.")
    assert render_discussion(app, scene.outsider.id) == ""
    assert render_document_threads(app, scene.outsider.id, scene.document.id) == ""
    assert "Inside only." in render_discussion(app, scene.pablo.id)


def test_placeholder_filter_agrees_with_shows_placeholder_to(app, client_as):
    scene = build_discussion(app, client_as, audience_mode="restricted")
    for consultation_id, status, visibility in itertools.product(
        (scene.consultation.id, scene.other.id),
        ("pending", "published", "rejected", "hidden", "withdrawn"),
        ("audience", "confidential"),
    ):
        add_comment(app, consultation_id, scene.camille.id, status=status, visibility=visibility,
                    submission_key=uuid.uuid4().hex)
    with app.app_context():
        people = [AnonymousUserMixin()] + [
            db.session.get(User, i) for i in (scene.camille.id, scene.pablo.id, scene.outsider.id,
                                              scene.moderator.user.id)]
        for person in people:
            by_method = {c.id for c in db.session.scalars(select(Comment)) if c.shows_placeholder_to(person)}
            by_query = set(db.session.scalars(select(Comment.id).where(Comment.placeholder_filter(person))))
            assert by_method == by_query, person
        assert by_method  # the moderator does get placeholders of audience comments
