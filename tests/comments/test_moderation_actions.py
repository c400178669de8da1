"""Approve, reject, hide, restore and dismiss flags: who may, what changes, what is audited, what the author is told."""

from __future__ import annotations

import pytest

from consult.comments.models import Comment, CommentFlag
from tests.comments.test_moderation_support import (
    add_comment,
    add_flag,
    audit_rows,
    build_scene,
    comment_state,
    load,
    moderation_audit_count,
    open_flags,
    outbox,
    page_text,
)
from tests.helpers import submit


def act(client, comment_id: int, action: str, **data):
    return submit(client, f"/moderation/comments/{comment_id}/{action}", data,
                  form_page=f"/moderation/comments/{comment_id}")


@pytest.fixture
def scene(app, client_as):
    return build_scene(app, client_as, moderation_mode="pre")


def nothing_written(app, comment_id: int, before_state: tuple, before_audit: int, before_mail: int) -> None:
    assert comment_state(app, comment_id) == before_state
    assert moderation_audit_count(app) == before_audit
    assert len(outbox(app)) == before_mail


# --- Each action --------------------------------------------------------------


def test_a_moderator_approves_a_pending_comment(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending", body="Please add **X**.")

    response = act(scene.moderator, comment_id, "approve", reason="", note="")

    assert response.status_code == 302
    comment = load(app, Comment, comment_id)
    assert comment.status == "published"
    assert comment.moderated_by_id == scene.moderator.user.id
    assert comment.moderated_at is not None
    assert comment.moderation_reason is None
    [event] = audit_rows(app, "comment_approved")
    assert event.actor_id == scene.moderator.user.id
    assert event.target_type == "Comment" and event.target_id == comment_id
    assert event.data["from_status"] == "pending" and event.data["to_status"] == "published"
    [mail] = outbox(app, "john@example.org")
    assert "approved" in mail.body
    assert "The comment is approved and published." in page_text(scene.moderator.get(response.headers["Location"]))


def test_rejecting_records_the_reason_and_the_note(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")

    response = act(scene.moderator, comment_id, "reject", reason="duplicate", note="Same as comment 3.")

    assert response.status_code == 302
    assert comment_state(app, comment_id) == ("rejected", "duplicate", "Same as comment 3.", scene.moderator.user.id)
    [event] = audit_rows(app, "comment_rejected")
    assert event.data["reason"] == "duplicate"
    assert event.data["note"] == "Same as comment 3."
    [mail] = outbox(app, "john@example.org")
    assert "Repeats an earlier comment" in mail.body
    assert "Same as comment 3." in mail.body


def test_hiding_resolves_open_flags_and_leaves_replies_as_they_are(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, paragraph_id=scene.document.paragraph_ids[1])
    reply_id = add_comment(app, scene.consultation.id, scene.french.id, parent_id=comment_id, body="I disagree.")
    flag_id = add_flag(app, comment_id, scene.french.id, reason="offensive", note="Rude to customs.")

    response = act(scene.moderator, comment_id, "hide", reason="offensive", note="")

    assert response.status_code == 302
    assert comment_state(app, comment_id)[:2] == ("hidden", "offensive")
    assert open_flags(app, comment_id) == []
    flag = load(app, CommentFlag, flag_id)
    assert flag.resolved_by_id == scene.moderator.user.id
    assert flag.resolved_at is not None
    assert load(app, Comment, reply_id).status == "published"
    [event] = audit_rows(app, "comment_hidden")
    assert event.data["flags_resolved"] == 1
    assert event.data["reason"] == "offensive"


def test_restoring_a_hidden_or_rejected_comment_publishes_it_again(app, scene):
    hidden = add_comment(app, scene.consultation.id, scene.english.id, status="hidden", moderation_reason="spam")
    rejected = add_comment(app, scene.consultation.id, scene.english.id, status="rejected", moderation_reason="spam")
    add_flag(app, hidden, scene.french.id)

    assert act(scene.moderator, hidden, "restore", reason="", note="Flagged by mistake.").status_code == 302
    assert act(scene.moderator, rejected, "restore", reason="other", note="").status_code == 302

    assert comment_state(app, hidden)[:3] == ("published", None, "Flagged by mistake.")
    assert comment_state(app, rejected)[:2] == ("published", "other")
    assert open_flags(app, hidden) == []
    assert len(audit_rows(app, "comment_restored")) == 2


def test_dismissing_flags_resolves_them_without_touching_the_comment(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id)
    add_flag(app, comment_id, scene.french.id, reason="off_topic")
    before = comment_state(app, comment_id)

    response = submit(scene.moderator, f"/moderation/comments/{comment_id}/dismiss-flags", {"note": "Fine as it is."},
                      form_page=f"/moderation/comments/{comment_id}")

    assert response.status_code == 302
    assert comment_state(app, comment_id) == before
    assert open_flags(app, comment_id) == []
    [event] = audit_rows(app, "flags_dismissed")
    assert event.data["flags_resolved"] == 1
    assert outbox(app, "john@example.org") == []


def test_dismissing_when_no_flag_is_open_is_refused(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id)
    before_audit = moderation_audit_count(app)

    response = submit(scene.moderator, f"/moderation/comments/{comment_id}/dismiss-flags", {},
                      form_page=f"/moderation/comments/{comment_id}")

    assert response.status_code == 409
    assert "This comment has no open flags to dismiss." in page_text(response)
    assert moderation_audit_count(app) == before_audit


def test_staff_moderate_any_consultation(app, scene, staff_client):
    comment_id = add_comment(app, scene.other.id, scene.english.id, status="pending")

    assert act(staff_client, comment_id, "approve").status_code == 302
    assert load(app, Comment, comment_id).status == "published"


def test_the_moderator_returns_to_the_queue_they_came_from_but_never_off_site(app, scene):
    first = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    second = add_comment(app, scene.consultation.id, scene.english.id, status="pending")

    back = act(scene.moderator, first, "approve", next="/moderation/?status=pending")
    away = act(scene.moderator, second, "approve", next="https://evil.example/")

    assert back.headers["Location"] == "/moderation/?status=pending"
    assert away.headers["Location"] == f"/moderation/comments/{second}"


# --- Refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("published", "approve", "Only a comment awaiting moderation can be approved."),
        ("hidden", "reject", "Only a comment awaiting moderation can be rejected."),
        ("pending", "hide", "Only a published comment can be hidden."),
        ("published", "restore", "Only a hidden or rejected comment can be restored."),
        ("withdrawn", "restore", "Only a hidden or rejected comment can be restored."),
        ("withdrawn", "hide", "Only a published comment can be hidden."),
    ],
)
def test_an_impossible_transition_answers_409_and_changes_nothing(app, scene, status, action, message):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status=status)
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    response = act(scene.moderator, comment_id, action, reason="spam", note="")

    assert response.status_code == 409
    assert message in page_text(response)
    nothing_written(app, comment_id, *before)


@pytest.mark.parametrize("action", ["reject", "hide"])
def test_reject_and_hide_need_a_reason(app, scene, action):
    status = "pending" if action == "reject" else "published"
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status=status)
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    response = act(scene.moderator, comment_id, action, reason="", note="My note stays here.")

    assert response.status_code == 400
    text = page_text(response)
    assert "Choose the reason the author will be given." in text
    assert "My note stays here." in text  # the moderator's input is kept
    nothing_written(app, comment_id, *before)


def test_an_unknown_reason_code_is_refused(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="published")
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    response = act(scene.moderator, comment_id, "hide", reason="because-i-said-so")

    assert response.status_code == 400
    assert "Choose a reason from the list." in page_text(response)
    nothing_written(app, comment_id, *before)


def test_an_over_long_note_is_refused(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="published")
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    response = act(scene.moderator, comment_id, "hide", reason="spam", note="x" * 2001)

    assert response.status_code == 400
    assert "2000" in page_text(response)
    nothing_written(app, comment_id, *before)


def test_a_post_without_csrf_token_is_refused(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    response = scene.moderator.post(f"/moderation/comments/{comment_id}/approve", data={"reason": ""})

    assert response.status_code == 400
    assert "Your form expired" in page_text(response)
    nothing_written(app, comment_id, *before)


def test_a_moderator_of_another_group_may_not_act(app, scene, client_as):
    outsider = client_as("moderator")
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    # The consultation is public, so they can see it: 403, not 404.
    assert act(outsider, comment_id, "approve").status_code == 403
    assert outsider.get(f"/moderation/comments/{comment_id}").status_code == 403
    nothing_written(app, comment_id, *before)


def test_a_restricted_consultation_answers_404_to_those_outside_it(app, client_as):
    scene = build_scene(app, client_as, audience_mode="restricted")
    outsider = client_as("moderator")
    customs = client_as("participant")
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    before = (comment_state(app, comment_id), moderation_audit_count(app), len(outbox(app)))

    for person in (outsider, customs):
        assert person.get(f"/moderation/comments/{comment_id}").status_code == 404
        assert act(person, comment_id, "approve").status_code == 404
        assert submit(person, f"/moderation/comments/{comment_id}/dismiss-flags", {}, form_page="/").status_code == 404
    nothing_written(app, comment_id, *before)


def test_participants_may_not_moderate(app, scene):
    delegate = scene.moderator.application.test_client()
    from tests.helpers import login

    login(delegate, scene.french.email, scene.french.password)
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")

    assert act(delegate, comment_id, "approve").status_code == 403
    assert load(app, Comment, comment_id).status == "pending"


def test_an_unknown_comment_is_not_found(app, scene):
    assert scene.moderator.get("/moderation/comments/999999").status_code == 404
    assert act(scene.moderator, 999999, "approve").status_code == 404
    assert scene.moderator.post("/moderation/comments/1/promote").status_code in (404, 405)


def test_anonymous_visitors_are_sent_to_sign_in(app, scene, client):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    response = client.get(f"/moderation/comments/{comment_id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_an_over_long_note_when_dismissing_flags_is_refused(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.english.id)
    add_flag(app, comment_id, scene.french.id)
    audits = moderation_audit_count(app)

    response = submit(scene.moderator, f"/moderation/comments/{comment_id}/dismiss-flags", {"note": "y" * 2001},
                      form_page=f"/moderation/comments/{comment_id}")

    assert response.status_code == 400
    text = page_text(response)
    assert "2000" in text
    assert "y" * 2001 in text  # what was typed is still there
    assert len(open_flags(app, comment_id)) == 1
    assert moderation_audit_count(app) == audits
