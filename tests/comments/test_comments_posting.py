"""Posting comments: the general thread, paragraph threads, replies, moderation modes, double submits, audit."""

from __future__ import annotations

from consult.audit import AuditEvent
from consult.comments import service
from consult.comments.models import MAX_BODY_LENGTH, Comment
from consult.extensions import db
from tests.comments.test_comments_support import (
    add_comment,
    audit_actions,
    build_discussion,
    comments,
    count_rows,
    post_comment,
    render_discussion,
    signed_in,
    text_of,
)


def test_a_delegate_posts_in_the_general_thread(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)

    response = post_comment(client, body="We welcome the **draft**.", position="support", language="fr",
                            comment_type="technical")

    assert response.status_code == 302
    [comment] = comments(app)
    assert response.headers["Location"].endswith(f"/consultations/guidelines#comment-{comment.id}")
    assert (comment.thread_key, comment.document_id, comment.paragraph_id, comment.parent_id) == (None,) * 4
    assert (comment.status, comment.visibility, comment.depth) == ("published", "audience", 0)
    assert (comment.position, comment.language, comment.comment_type) == ("support", "fr", "technical")
    assert comment.organization_id == scene.camille.organization_id
    assert comment.author_id == scene.camille.id
    assert audit_actions(app) == ["comment_posted"]
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="comment_posted").one()
        assert (event.target_type, event.target_id, event.target_type_label) == ("Comment", comment.id, "Comment")
    page = render_discussion(app, scene.pablo.id)
    assert "We welcome the" in page and "<strong>draft</strong>" in page
    assert "1 comment" in page


def test_a_comment_on_a_paragraph_belongs_to_its_exact_paragraph_and_thread(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.pablo)
    second = scene.paragraph_ids[1]

    response = post_comment(client, paragraph_id=str(second), body="Define small parcels.",
                            proposed_wording="Small parcels under 2 kg are inspected at the border.")

    assert response.status_code == 302
    [comment] = comments(app)
    # They land on the paragraph's thread page, where the comment is shown in full.
    assert response.headers["Location"].endswith(
        f"/consultations/guidelines/documents/{scene.document.id}/threads/{scene.document.thread_keys[1]}"
        f"#comment-{comment.id}")
    assert comment.paragraph_id == second
    assert comment.thread_key == scene.document.thread_keys[1]
    assert comment.document_id == scene.document.id
    assert comment.proposed_wording == "Small parcels under 2 kg are inspected at the border."


def test_replies_nest_to_depth_three_then_stay_flat(app, client_as):
    scene = build_discussion(app, client_as)
    camille, pablo = signed_in(app, scene.camille), signed_in(app, scene.pablo)
    post_comment(camille, body="Level 0")
    parent = comments(app)[-1].id
    for level in range(1, 6):
        client = pablo if level % 2 else camille
        response = post_comment(client, body=f"Level {level}", parent_id=str(parent))
        assert response.status_code == 302, text_of(response)[:500]
        parent = comments(app)[-1].id

    assert [c.depth for c in comments(app)] == [0, 1, 2, 3, 3, 3]
    assert {c.thread_key for c in comments(app)} == {None}
    page = render_discussion(app, scene.camille.id)
    assert "in reply to Pablo García" in page  # the flat replies say whom they answer
    assert page.index("Level 3") < page.index("Level 4") < page.index("Level 5")


def test_a_reply_in_a_paragraph_thread_stays_in_that_thread(app, client_as):
    scene = build_discussion(app, client_as)
    top = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0])
    response = post_comment(signed_in(app, scene.pablo), parent_id=str(top), body="Agreed.")
    assert response.status_code == 302
    reply = comments(app)[-1]
    assert (reply.parent_id, reply.depth, reply.thread_key, reply.paragraph_id, reply.document_id) == (
        top, 1, scene.document.thread_keys[0], scene.paragraph_ids[0], scene.document.id)


def test_pre_moderation_holds_new_comments_and_tells_the_author(app, client_as):
    scene = build_discussion(app, client_as, moderation_mode="pre")
    client = signed_in(app, scene.camille)

    response = post_comment(client, body="Please wait for me.")

    assert comments(app)[0].status == "pending"
    page = text_of(client.get(response.headers["Location"], follow_redirects=True))
    assert "awaiting moderation" in page
    assert "awaiting moderation" in render_discussion(app, scene.camille.id).lower()
    assert "Please wait for me." not in render_discussion(app, scene.pablo.id)
    assert "0 comments" in render_discussion(app, scene.pablo.id)


def test_managers_comments_are_published_at_once_even_in_pre_moderation(app, client_as):
    scene = build_discussion(app, client_as, moderation_mode="pre")
    assert post_comment(scene.moderator, body="A word from the secretariat.").status_code == 302
    assert comments(app)[0].status == "published"


def test_a_form_sent_twice_makes_one_comment(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    key = "0f" * 16

    first = post_comment(client, body="Only once.", submission_key=key)
    second = post_comment(client, body="Only once.", submission_key=key)

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(comments(app)) == 1
    assert audit_actions(app) == ["comment_posted"]
    # Another person's identical key is theirs: it makes their own comment.
    assert post_comment(signed_in(app, scene.pablo), submission_key=key).status_code == 302
    assert len(comments(app)) == 2


def test_a_double_submit_racing_past_the_check_gets_the_first_comment_not_a_500(app, client_as, monkeypatch):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    key = "ab" * 16
    post_comment(client, body="First.", submission_key=key)
    first = comments(app)[0]
    real = service._already_posted
    calls = []

    def miss_once(author, submitted):
        calls.append(submitted)
        return None if len(calls) == 1 else real(author, submitted)

    monkeypatch.setattr(service, "_already_posted", miss_once)
    response = post_comment(client, body="First.", submission_key=key)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#comment-{first.id}")
    assert len(comments(app)) == 1
    assert audit_actions(app) == ["comment_posted"]


def test_the_authors_organization_is_kept_as_it_was(app, client_as):
    scene = build_discussion(app, client_as)
    post_comment(signed_in(app, scene.camille))
    from consult.directory.models import User

    with app.app_context():
        db.session.get(User, scene.camille.id).organization_id = scene.pablo.organization_id
        db.session.commit()
    assert comments(app)[0].organization_id == scene.camille.organization_id


# --- Bad input ---------------------------------------------------------------------


def _refused(app, client, expected_status: int, message: str, **fields):
    before = count_rows(app, Comment)
    audit_before = audit_actions(app)
    response = post_comment(client, **fields)
    assert response.status_code == expected_status, text_of(response)[:1000]
    page = text_of(response)
    assert message in page, page[:3000]
    assert count_rows(app, Comment) == before
    assert audit_actions(app) == audit_before
    return page


def test_empty_and_blank_bodies_are_refused_with_the_text_kept(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    page = _refused(app, client, 400, "Write your comment.", body="   \n  ", proposed_wording="",
                    position="oppose")
    assert 'id="body-error"' in page
    assert '<option selected value="oppose">' in page


def test_an_over_long_body_is_refused_and_kept_whole(app, client_as):
    scene = build_discussion(app, client_as)
    client = scene.moderator  # reads English
    body = "x" * (MAX_BODY_LENGTH + 1)
    page = _refused(app, client, 400, "Shorten this to 20,000 characters at most; it has 20,001.", body=body)
    assert body in page
    # Exactly the limit, with surrounding spaces stripped, is fine.
    assert post_comment(client, body="  " + "y" * MAX_BODY_LENGTH + "  ").status_code == 302
    assert comments(app)[0].body == "y" * MAX_BODY_LENGTH


def test_unknown_choices_are_refused_with_clear_messages(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    _refused(app, client, 400, "Choose a type of comment from the list.", comment_type="rant")
    _refused(app, client, 400, "Choose a position from the list, or no position.", position="maybe")
    _refused(app, client, 400, "Choose the language of your comment from the list.", language="de")
    _refused(app, client, 400, "Choose who may read your comment.", visibility="everyone")
    _refused(app, client, 400, "Choose the language of your comment from the list.", language="")


def test_proposed_wording_only_on_a_paragraph(app, client_as):
    scene = build_discussion(app, client_as)
    client = scene.moderator
    _refused(app, client, 400, "Proposed wording can only be given on a paragraph of a document.",
             proposed_wording="A new sentence.")
    _refused(app, client, 400, "Shorten this to 20,000 characters at most; it has 20,001.",
             paragraph_id=str(scene.paragraph_ids[0]), proposed_wording="z" * (MAX_BODY_LENGTH + 1))


def test_tampered_paragraph_ids(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    before = count_rows(app, Comment)
    # Another consultation's paragraph, one that does not exist, or not a number at all: no such page.
    for value in (str(scene.other_document.paragraph_ids[0]), "999999", "abc", "-3", "99999999999999"):
        assert post_comment(client, paragraph_id=value).status_code == 404, value
    _refused(app, client, 400, "Headings cannot be commented on. Choose a numbered paragraph.",
             paragraph_id=str(scene.heading_id))
    assert count_rows(app, Comment) == before


def test_tampered_or_unanswerable_parents(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.pablo)
    elsewhere = add_comment(app, scene.other.id, scene.moderator.user.id)
    hidden = add_comment(app, scene.consultation.id, scene.camille.id, status="hidden")
    withdrawn = add_comment(app, scene.consultation.id, scene.camille.id, status="withdrawn")
    pending = add_comment(app, scene.consultation.id, scene.camille.id, status="pending")
    rejected = add_comment(app, scene.consultation.id, scene.camille.id, status="rejected")
    confidential = add_comment(app, scene.consultation.id, scene.camille.id, visibility="confidential")
    on_paragraph = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0])
    before = count_rows(app, Comment)

    for parent in (elsewhere, pending, rejected, confidential, 123456, "x"):
        assert post_comment(client, parent_id=str(parent)).status_code == 404, parent
    _refused(app, client, 400, "This comment was hidden by a moderator and cannot be replied to.",
             parent_id=str(hidden))
    _refused(app, client, 400, "This comment was withdrawn by its author and cannot be replied to.",
             parent_id=str(withdrawn))
    _refused(app, client, 400, "A reply belongs to the thread of the comment it answers.",
             parent_id=str(on_paragraph), paragraph_id=str(scene.paragraph_ids[1]))
    # The author sees their own pending comment but cannot reply to it yet.
    _refused(app, signed_in(app, scene.camille), 400, "awaiting moderation", parent_id=str(pending))
    assert count_rows(app, Comment) == before


def test_a_reply_to_a_confidential_comment_is_confidential(app, client_as):
    scene = build_discussion(app, client_as)
    confidential = add_comment(app, scene.consultation.id, scene.camille.id, visibility="confidential")
    response = post_comment(scene.moderator, parent_id=str(confidential), visibility="audience", body="Noted.")
    assert response.status_code == 302
    assert comments(app)[-1].visibility == "confidential"


def test_an_unchanged_paragraph_of_an_older_version_is_fine_a_changed_one_is_not(app, client_as):
    from tests.comments.test_comments_support import add_version

    scene = build_discussion(app, client_as)
    add_version(app, scene.document.id, [None, "Small parcels are inspected at random."])
    client = signed_in(app, scene.camille)
    old_unchanged, old_changed = scene.paragraph_ids

    assert post_comment(client, paragraph_id=str(old_unchanged), body="Still fine.").status_code == 302
    comment = comments(app)[-1]
    assert (comment.paragraph_id, comment.thread_key) == (old_unchanged, scene.document.thread_keys[0])
    _refused(app, client, 409, "This paragraph has changed in a newer version of the document.",
             paragraph_id=str(old_changed), body="Too late for this text.")


def test_people_outside_a_restricted_consultation_get_404_and_nothing_is_written(app, client_as):
    scene = build_discussion(app, client_as, audience_mode="restricted")
    outsider = signed_in(app, scene.outsider)
    assert post_comment(outsider).status_code == 404
    assert post_comment(outsider, paragraph_id=str(scene.paragraph_ids[0])).status_code == 404
    assert outsider.get("/consultations/guidelines/comments/new").status_code == 404
    assert count_rows(app, Comment) == 0
    # The audience can.
    assert post_comment(signed_in(app, scene.camille)).status_code == 302


def test_a_draft_consultation_takes_no_comments_and_keeps_the_text(app, client_as):
    scene = build_discussion(app, client_as, state="draft")
    assert post_comment(signed_in(app, scene.camille)).status_code == 404  # not published to them
    response = post_comment(scene.moderator, body="Testing before it opens.")
    assert response.status_code == 409
    assert "The consultation is not open yet" in text_of(response)
    assert "Testing before it opens." in text_of(response)
    assert count_rows(app, Comment) == 0


def test_a_scheduled_consultation_takes_no_comments_yet(app, client_as):
    scene = build_discussion(app, client_as, state="scheduled")
    response = post_comment(signed_in(app, scene.pablo), body="Too early.")
    assert response.status_code == 409
    assert "The consultation is not open yet" in text_of(response) and "Too early." in text_of(response)
    assert count_rows(app, Comment) == 0


def test_the_new_comment_page_shows_the_paragraph_and_parent(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.pablo)
    page = text_of(client.get(f"/consultations/guidelines/comments/new?paragraph={scene.paragraph_ids[1]}"))
    assert "Comment on paragraph 2" in page and "Small parcels are inspected at the border." in page
    assert "Proposed wording (optional)" in page
    parent = add_comment(app, scene.consultation.id, scene.camille.id, body="An opinion to answer.")
    page = text_of(client.get(f"/consultations/guidelines/comments/new?parent={parent}"))
    assert "Reply to a comment" in page and "An opinion to answer." in page
    assert client.get(f"/consultations/guidelines/comments/new?paragraph={scene.heading_id}").status_code == 400
    assert client.get("/consultations/nope/comments/new").status_code == 404


def test_the_comment_permalink_leads_to_its_thread(app, client_as):
    scene = build_discussion(app, client_as)
    general = add_comment(app, scene.consultation.id, scene.camille.id)
    client = signed_in(app, scene.pablo)
    response = client.get(f"/consultations/guidelines/comments/{general}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/consultations/guidelines#comment-{general}")
    assert client.get(f"/consultations/other-consultation/comments/{general}").status_code == 404
    pending = add_comment(app, scene.consultation.id, scene.camille.id, status="pending")
    assert client.get(f"/consultations/guidelines/comments/{pending}").status_code == 404
