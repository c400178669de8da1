"""Nothing written is lost: saved drafts, an expired session, and a consultation closing while someone types."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from consult.auth.service import COMMENT_DRAFT_SESSION_KEY
from consult.comments.models import Comment, CommentDraft
from consult.consultations.models import Consultation, WorkingDocument
from consult.directory.models import User
from consult.extensions import db
from consult.i18n import utcnow
from tests.comments.test_comments_support import (
    add_comment,
    build_discussion,
    comments,
    count_rows,
    drafts_of,
    post_comment,
    render_discussion,
    render_document_threads,
    set_fields,
    signed_in,
    text_of,
)
from tests.helpers import login, submit

KEPT_MESSAGE = "This is the comment you had not posted yet"


# --- Save draft -------------------------------------------------------------------------


def test_save_draft_keeps_the_text_and_the_form_brings_it_back(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)

    response = post_comment(client, body="Half a thought", position="oppose", save_draft="1",
                            next="/consultations/guidelines#discussion")

    assert response.status_code == 302
    assert response.headers["Location"] == "/consultations/guidelines#discussion"
    assert count_rows(app, Comment) == 0
    [draft] = drafts_of(app)
    assert (draft.user_id, draft.context, draft.fields["body"], draft.fields["position"]) == (
        scene.camille.id, "general", "Half a thought", "oppose")
    page = render_discussion(app, scene.camille.id)
    assert KEPT_MESSAGE in page and "Half a thought</textarea>" in page
    assert '<option selected value="oppose">' in page
    assert "Half a thought" not in render_discussion(app, scene.pablo.id)

    post_comment(client, body="A whole thought", save_draft="1")
    assert [d.fields["body"] for d in drafts_of(app)] == ["A whole thought"]
    nothing = post_comment(client, body="   ", save_draft="1")
    assert nothing.status_code == 302 and [d.fields["body"] for d in drafts_of(app)] == ["A whole thought"]


def test_posting_removes_the_draft_of_that_form_only(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    post_comment(client, body="General draft", save_draft="1")
    post_comment(client, body="Paragraph draft", paragraph_id=str(scene.paragraph_ids[0]), save_draft="1")
    assert post_comment(client, body="General, posted").status_code == 302
    assert [d.context for d in drafts_of(app)] == [f"paragraph:{scene.paragraph_ids[0]}"]


def test_drafts_come_back_in_the_form_they_were_written_in(app, client_as):
    scene = build_discussion(app, client_as)
    parent = add_comment(app, scene.consultation.id, scene.pablo.id, paragraph_id=scene.paragraph_ids[0])
    client = signed_in(app, scene.camille)
    post_comment(client, body="About paragraph two", paragraph_id=str(scene.paragraph_ids[1]),
                 proposed_wording="Parcels are inspected.", save_draft="1")
    post_comment(client, body="My unsent reply", parent_id=str(parent), save_draft="1")

    page = render_document_threads(app, scene.camille.id, scene.document.id)
    first, second = page.split('<div id="p2">')
    # The document page says where the unsent comment is; its thread page has it back in the form.
    assert "Comment on §1" in first and "Continue your unsent comment" not in first
    assert "Continue your unsent comment on §2" in second and "About paragraph two" not in second
    assert "Continue your unsent reply" in first
    thread_page = text_of(client.get(
        f"/consultations/guidelines/documents/{scene.document.id}/threads/{scene.document.thread_keys[1]}"))
    assert "About paragraph two</textarea>" in thread_page and "Parcels are inspected.</textarea>" in thread_page
    assert KEPT_MESSAGE in thread_page
    reply_page = text_of(client.get(f"/consultations/guidelines/comments/new?parent={parent}"))
    assert "My unsent reply</textarea>" in reply_page and KEPT_MESSAGE in reply_page
    assert "My unsent reply" not in render_discussion(app, scene.camille.id)


def test_saving_a_draft_checks_where_it_goes(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    assert post_comment(client, paragraph_id=str(scene.other_document.paragraph_ids[0]),
                        save_draft="1").status_code == 404
    assert post_comment(client, slug="other-consultation", save_draft="1").status_code == 302  # public, visible
    assert post_comment(signed_in(app, scene.outsider), slug="guidelines", save_draft="1").status_code == 302
    set_fields(app, Consultation, scene.other.id, published_at=None)  # back to a draft: hidden from them
    assert post_comment(signed_in(app, scene.pablo), slug="other-consultation", save_draft="1").status_code == 404
    assert {(d.user_id, d.consultation_id) for d in drafts_of(app)} == {
        (scene.camille.id, scene.other.id), (scene.outsider.id, scene.consultation.id)}


# --- An expired session ----------------------------------------------------------------------


def _expire(app, user_id: int) -> None:
    """The person signed out everywhere from another device: this browser's session no longer counts."""
    with app.app_context():
        db.session.get(User, user_id).end_other_sessions()
        db.session.commit()


def test_signing_in_uses_the_kept_comments_key_and_keeps_nothing_else(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session[COMMENT_DRAFT_SESSION_KEY] = "kept-key"
        session["planted"] = "attacker-chosen value"
    login(client, user.email, user.password)
    with client.session_transaction() as session:
        assert COMMENT_DRAFT_SESSION_KEY not in session  # claimed during the sign-in itself, then forgotten
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_a_comment_posted_after_the_session_expired_survives_signing_in_again(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    page = f"/consultations/guidelines/comments/new?paragraph={scene.paragraph_ids[1]}"
    assert client.get(page).status_code == 200
    _expire(app, scene.camille.id)

    response = post_comment(client, body="Written over lunch.", paragraph_id=str(scene.paragraph_ids[1]),
                            proposed_wording="Parcels are inspected.", next=page)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [page]
    assert count_rows(app, Comment) == 0
    [kept] = drafts_of(app)
    assert kept.user_id is None and kept.session_key and kept.context == f"paragraph:{scene.paragraph_ids[1]}"
    with client.session_transaction() as session:
        assert session[COMMENT_DRAFT_SESSION_KEY] == kept.session_key

    signed = submit(client, "/login", {"email": scene.camille.email, "password": scene.camille.password,
                                       "next": page})
    assert signed.headers["Location"] == page
    restored = text_of(client.get(page))

    assert "You were signed out while writing a comment. It was kept" in restored
    assert "Written over lunch.</textarea>" in restored and "Parcels are inspected.</textarea>" in restored
    [claimed] = drafts_of(app)
    assert (claimed.user_id, claimed.session_key) == (scene.camille.id, None)
    with client.session_transaction() as session:
        assert COMMENT_DRAFT_SESSION_KEY not in session
    # Posting it from the restored form works and uses up the draft.
    assert post_comment(client, body="Written over lunch.", paragraph_id=str(scene.paragraph_ids[1])).status_code == 302
    assert len(comments(app)) == 1 and drafts_of(app) == []


def test_a_kept_comment_replaces_an_older_draft_of_the_same_form(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    post_comment(client, body="Older draft", save_draft="1")
    _expire(app, scene.camille.id)
    post_comment(client, body="Newer text")
    login(client, scene.camille.email, scene.camille.password)
    client.get("/consultations/guidelines/comments/new")
    assert [(d.user_id, d.fields["body"]) for d in drafts_of(app)] == [(scene.camille.id, "Newer text")]


def test_kept_comments_go_only_to_someone_who_can_see_the_consultation(app, client_as):
    scene = build_discussion(app, client_as, audience_mode="restricted")
    client = app.test_client()
    post_comment(client, body="Written before signing in.")  # not signed in at all
    [kept] = drafts_of(app)
    assert kept.user_id is None
    login(client, scene.outsider.email, scene.outsider.password)
    page = text_of(client.get("/"))
    assert "It was kept" not in page
    assert drafts_of(app)[0].user_id is None  # not theirs to read


def test_nothing_is_kept_for_an_empty_form_or_an_unknown_consultation(app, client_as):
    build_discussion(app, client_as)
    client = app.test_client()
    assert post_comment(client, body="  ").headers["Location"].startswith("/login")
    response = post_comment(client, slug="no-such-consultation", body="Lost?")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert drafts_of(app) == []


# --- Closing while someone types ----------------------------------------------------------


def test_a_comment_sent_after_the_consultation_closed_is_kept_and_shown(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.camille)
    set_fields(app, Consultation, scene.consultation.id, closes_at=utcnow() - timedelta(seconds=5))

    response = post_comment(client, body="Typed for an hour.", position="support")

    assert response.status_code == 409
    page = text_of(response)
    assert "The consultation closed on" in page and "comments can no longer be posted" in page
    assert "Typed for an hour.</textarea>" in page and "readonly" in page
    assert count_rows(app, Comment) == 0
    [draft] = drafts_of(app)
    assert (draft.user_id, draft.context, draft.fields["body"]) == (scene.camille.id, "general", "Typed for an hour.")
    section = render_discussion(app, scene.camille.id)
    assert "Comments can no longer be posted here" in section and "Typed for an hour.</textarea>" in section
    assert '<form method="post" action="/consultations/guidelines/comments"' not in section


def test_a_comment_sent_after_the_documents_deadline_is_kept(app, client_as):
    scene = build_discussion(app, client_as)
    client = signed_in(app, scene.pablo)
    set_fields(app, WorkingDocument, scene.document.id, comment_deadline=utcnow() - timedelta(minutes=1))

    response = post_comment(client, body="Just missed it.", paragraph_id=str(scene.paragraph_ids[0]))

    assert response.status_code == 409
    assert "Comments on this document closed on" in text_of(response)
    assert [d.context for d in drafts_of(app)] == [f"paragraph:{scene.paragraph_ids[0]}"]
    assert count_rows(app, Comment) == 0
    page = render_document_threads(app, scene.pablo.id, scene.document.id)
    assert "Your unsent comment on §1" in page and "Comment on §1" not in page
    thread_page = text_of(client.get(
        f"/consultations/guidelines/documents/{scene.document.id}/threads/{scene.document.thread_keys[0]}"))
    assert "Just missed it.</textarea>" in thread_page and "readonly" in thread_page
    assert "<form method=\"post\" action=\"/consultations/guidelines/comments\"" not in thread_page
    # The general thread is still open.
    assert post_comment(client, body="Still possible here.").status_code == 302
    assert count_rows(app, CommentDraft) == 1
