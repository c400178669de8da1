"""A comment's moderation page: the whole comment, its revisions, flags, history and replies."""

from __future__ import annotations

from consult.comments.models import CommentRevision
from consult.extensions import db
from tests.comments.test_moderation_support import add_comment, add_flag, build_scene, counted_queries, page_text
from tests.helpers import submit


def test_the_page_shows_everything_a_moderator_needs(app, client_as):
    scene = build_scene(app, client_as)
    comment_id = add_comment(
        app, scene.consultation.id, scene.english.id, paragraph_id=scene.document.paragraph_ids[1],
        body="Inspect **every** parcel. <script>alert(1)</script>", proposed_wording="Every parcel is inspected.",
        comment_type="technical", position="oppose",
    )
    with app.app_context():
        db.session.add(CommentRevision(comment_id=comment_id, body="My first thoughts.", comment_type="general"))
        db.session.commit()
    add_flag(app, comment_id, scene.french.id, reason="off_topic", note="Not about parcels.")
    reply = add_comment(app, scene.consultation.id, scene.french.id, parent_id=comment_id, body="I agree with this.")
    submit(scene.moderator, f"/moderation/comments/{comment_id}/hide", {"reason": "offensive", "note": "Tone."},
           form_page="/moderation/")

    response = scene.moderator.get(f"/moderation/comments/{comment_id}")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<strong>every</strong>" in body
    assert "<script>alert(1)</script>" not in body
    text = page_text(response)
    assert f"Moderate comment #{comment_id}" in text
    assert "Every parcel is inspected." in text
    assert "Technical" in text and "Oppose" in text
    assert "Hidden by a moderator" in text
    assert "Reason given: Offensive or disrespectful language" in text
    assert "My first thoughts." in text  # the revision
    assert "Not about parcels." in text and "Camille Martin" in text  # the flag and who raised it
    assert "Comment hidden" in text and "Tone." in text  # the history, from the audit log
    assert "I agree with this." in text  # a hidden comment's replies stay in view of moderators
    assert f"/moderation/comments/{reply}" in body
    assert f'formaction="/moderation/comments/{comment_id}/restore"' in body
    assert f'/moderation/comments/{comment_id}/hide"' not in body  # only what applies is offered


def test_the_history_lists_only_this_comments_actions(app, client_as):
    scene = build_scene(app, client_as)
    first = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    second = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    submit(scene.moderator, f"/moderation/comments/{first}/reject", {"reason": "spam"}, form_page="/moderation/")
    submit(scene.moderator, f"/moderation/comments/{second}/approve", {}, form_page="/moderation/")

    text = page_text(scene.moderator.get(f"/moderation/comments/{first}"))

    assert "Comment rejected" in text
    assert "Comment approved" not in text


def test_the_page_costs_a_bounded_number_of_queries(app, client_as, make_user):
    scene = build_scene(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, paragraph_id=scene.document.paragraph_ids[0])

    def queries() -> int:
        with counted_queries(app) as statements:
            assert scene.moderator.get(f"/moderation/comments/{comment_id}").status_code == 200
        return len(statements)

    few = queries()
    for number in range(10):
        add_flag(app, comment_id, make_user().id, note=f"flag {number}")
        add_comment(app, scene.consultation.id, scene.french.id, parent_id=comment_id, body=f"reply {number}")
    assert queries() == few
