"""Authors edit (with a revision history) and withdraw their comments; anyone else may flag them once."""

from __future__ import annotations

from datetime import timedelta

from consult.comments.models import Comment, CommentFlag, CommentRevision
from consult.consultations.models import Consultation, WorkingDocument
from consult.i18n import utcnow
from tests.comments.test_comments_support import (
    add_comment,
    audit_actions,
    build_discussion,
    comments,
    count_rows,
    render_discussion,
    render_document_threads,
    set_fields,
    signed_in,
    text_of,
)
from tests.helpers import submit


def _edit(client, comment_id: int, slug: str = "guidelines", **fields):
    data = {"body": "Changed text.", "comment_type": "editorial", "position": "neutral", "proposed_wording": "",
            "language": "en", **fields}
    path = f"/consultations/{slug}/comments/{comment_id}/edit"
    return submit(client, path, data, form_page="/")


def _close(app, consultation_id: int) -> None:
    set_fields(app, Consultation, consultation_id, closes_at=utcnow() - timedelta(minutes=1))


# --- Editing ------------------------------------------------------------------------


def test_the_author_edits_and_the_earlier_text_is_kept(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, body="First **thoughts**.",
                             comment_type="general")
    client = signed_in(app, scene.camille)
    assert "First" in text_of(client.get(f"/consultations/guidelines/comments/{comment_id}/edit"))

    response = _edit(client, comment_id, body="  Second thoughts.  ")

    assert response.status_code == 302
    [comment] = comments(app)
    assert (comment.body, comment.comment_type, comment.position) == ("Second thoughts.", "editorial", "neutral")
    assert comment.edited_at is not None
    assert count_rows(app, CommentRevision) == 1
    assert audit_actions(app) == ["comment_edited"]
    # Readers see an "edited" marker linking to the history, which shows both texts.
    reader = signed_in(app, scene.pablo)
    assert "edited" in render_discussion(app, scene.pablo.id)
    history = text_of(reader.get(f"/consultations/guidelines/comments/{comment_id}/revisions"))
    assert "Second thoughts." in history and "First <strong>thoughts</strong>." in history
    assert "Replaced on" in history


def test_saving_without_a_change_writes_nothing(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, body="Same.", comment_type="general")
    response = _edit(signed_in(app, scene.camille), comment_id, body="Same.", comment_type="general", position="")
    assert response.status_code == 302
    assert count_rows(app, CommentRevision) == 0 and comments(app)[0].edited_at is None
    assert audit_actions(app) == []


def test_an_invalid_edit_comes_back_with_the_input_and_changes_nothing(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, body="Original.")
    client = signed_in(app, scene.camille)
    for fields, message in (
        ({"body": ""}, "Write your comment."),
        ({"comment_type": "shouting"}, "Choose a type of comment from the list."),
        ({"proposed_wording": "Only on paragraphs"}, "Proposed wording can only be given on a paragraph"),
    ):
        response = _edit(client, comment_id, **fields)
        assert response.status_code == 400
        assert message in text_of(response)
    assert comments(app)[0].body == "Original." and count_rows(app, CommentRevision) == 0


def test_only_the_author_edits_while_it_is_open(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, body="Mine.")
    other = signed_in(app, scene.pablo)
    assert other.get(f"/consultations/guidelines/comments/{comment_id}/edit").status_code == 403
    assert _edit(other, comment_id).status_code == 403
    assert _edit(scene.moderator, comment_id).status_code == 403
    assert _edit(signed_in(app, scene.outsider), comment_id, slug="other-consultation").status_code == 404

    _close(app, scene.consultation.id)
    author = signed_in(app, scene.camille)
    response = _edit(author, comment_id, body="Too late to change it.")
    assert response.status_code == 409
    page = text_of(response)
    assert "can no longer be edited" in page and "Too late to change it." in page  # shown to copy
    assert comments(app)[0].body == "Mine." and count_rows(app, CommentRevision) == 0


def test_edits_stop_at_the_documents_deadline(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0])
    set_fields(app, WorkingDocument, scene.document.id, comment_deadline=utcnow() - timedelta(hours=1))
    assert _edit(signed_in(app, scene.camille), comment_id).status_code == 409
    assert count_rows(app, CommentRevision) == 0


def test_a_paragraph_comments_proposed_wording_can_be_edited(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[1],
                             proposed_wording="Old proposal.")
    response = _edit(signed_in(app, scene.camille), comment_id, proposed_wording="Small parcels are checked.")
    assert response.status_code == 302
    assert comments(app)[0].proposed_wording == "Small parcels are checked."
    with app.app_context():
        from consult.extensions import db

        assert db.session.query(CommentRevision).one().proposed_wording == "Old proposal."


def test_the_history_is_for_those_who_can_read_the_comment(app, client_as):
    scene = build_discussion(app, client_as)
    confidential = add_comment(app, scene.consultation.id, scene.camille.id, visibility="confidential")
    assert signed_in(app, scene.pablo).get(
        f"/consultations/guidelines/comments/{confidential}/revisions").status_code == 404
    assert scene.moderator.get(f"/consultations/guidelines/comments/{confidential}/revisions").status_code == 200


# --- Withdrawing -------------------------------------------------------------------


def test_the_author_withdraws_and_the_thread_keeps_a_placeholder(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, body="I take this back.")
    reply_id = add_comment(app, scene.consultation.id, scene.pablo.id, parent_id=comment_id, body="A reply.")
    client = signed_in(app, scene.camille)
    confirm = client.get(f"/consultations/guidelines/comments/{comment_id}/withdraw")
    assert confirm.status_code == 200 and "Withdraw the comment" in text_of(confirm)

    response = submit(client, f"/consultations/guidelines/comments/{comment_id}/withdraw", {}, form_page="/")

    assert response.status_code == 302
    withdrawn = comments(app, id=comment_id)[0]
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at is not None
    assert audit_actions(app) == ["comment_withdrawn"]
    for reader in (scene.camille.id, scene.pablo.id):
        page = render_discussion(app, reader)
        assert "Withdrawn by its author" in page and "I take this back." not in page
        assert "A reply." in page and f'id="comment-{reply_id}"' in page
    moderator_view = render_discussion(app, scene.moderator.user.id)
    assert "I take this back." in moderator_view and "Withdrawn by its author" in moderator_view  # as a badge


def test_withdrawing_is_the_authors_and_only_while_open(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id)
    path = f"/consultations/guidelines/comments/{comment_id}/withdraw"
    assert submit(signed_in(app, scene.pablo), path, {}, form_page="/").status_code == 403
    assert signed_in(app, scene.pablo).get(path).status_code == 403
    assert signed_in(app, scene.camille).get(path.replace("/withdraw", "/withdraw-now")).status_code == 404
    _close(app, scene.consultation.id)
    response = submit(signed_in(app, scene.camille), path, {}, form_page="/")
    assert response.status_code == 409 and "can no longer be withdrawn" in text_of(response)
    assert comments(app)[0].status == "published"
    assert audit_actions(app) == []


# --- Flagging ------------------------------------------------------------------------


def _flag(client, comment_id: int, **data):
    return submit(client, f"/consultations/guidelines/comments/{comment_id}/flag",
                  {"reason": "spam", "note": "", **data}, form_page="/")


def test_a_reader_flags_a_comment_once(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id)
    client = signed_in(app, scene.pablo)
    assert "Send to the moderators" in text_of(client.get(f"/consultations/guidelines/comments/{comment_id}/flag"))

    assert _flag(client, comment_id, reason="off_topic", note="Not about parcels.").status_code == 302
    second = _flag(client, comment_id, reason="spam")

    assert second.status_code == 409
    assert "You have already flagged this comment." in text_of(second)
    assert count_rows(app, CommentFlag) == 1
    assert audit_actions(app) == ["comment_flagged"]
    assert "You flagged this comment" in render_discussion(app, scene.pablo.id)
    assert client.get(f"/consultations/guidelines/comments/{comment_id}/flag").status_code == 409


def test_flags_are_refused_for_ones_own_unpublished_or_unknown_input(app, client_as):
    scene = build_discussion(app, client_as)
    own = add_comment(app, scene.consultation.id, scene.pablo.id)
    hidden = add_comment(app, scene.consultation.id, scene.camille.id, status="hidden")
    other = add_comment(app, scene.consultation.id, scene.camille.id)
    client = signed_in(app, scene.pablo)

    response = _flag(client, own)
    assert response.status_code == 403 and "You cannot flag your own comment." in text_of(response)
    assert _flag(client, hidden).status_code == 404  # they cannot read it
    assert _flag(scene.moderator, hidden).status_code == 400  # moderators can, but only published ones are flagged
    bad_reason = _flag(client, other, reason="boring")
    assert bad_reason.status_code == 400 and "Choose a reason from the list." in text_of(bad_reason)
    too_long = _flag(client, other, note="n" * 2001)
    assert too_long.status_code == 400 and "2,000 characters" in text_of(too_long)
    assert count_rows(app, CommentFlag) == 0
    assert audit_actions(app) == []


def test_a_flag_race_ends_in_a_clear_message_not_a_500(app, client_as, monkeypatch):
    from consult.comments import service

    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id)
    client = signed_in(app, scene.pablo)
    assert _flag(client, comment_id).status_code == 302
    monkeypatch.setattr(service, "has_flagged", lambda user, comment: False)
    response = _flag(client, comment_id)
    assert response.status_code == 409 and "already flagged" in text_of(response)
    assert count_rows(app, CommentFlag) == 1


def test_comments_in_paragraph_threads_are_edited_from_the_document(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0])
    page = render_document_threads(app, scene.camille.id, scene.document.id)
    assert f"/consultations/guidelines/comments/{comment_id}/edit" in page
    assert f"/consultations/guidelines/comments/{comment_id}/flag" not in page
    page = render_document_threads(app, scene.pablo.id, scene.document.id)
    assert f"/consultations/guidelines/comments/{comment_id}/edit" not in page
    assert f"/consultations/guidelines/comments/{comment_id}/flag" in page
    assert count_rows(app, Comment) == 1
