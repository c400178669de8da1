"""The moderation queue: who sees it, what it lists, its filters, its pages and its cost in queries."""

from __future__ import annotations

import pytest

from consult.comments.models import Comment
from consult.extensions import db
from tests.comments.test_moderation_support import (
    add_comment,
    add_flag,
    build_scene,
    counted_queries,
    page_text,
)


@pytest.fixture
def scene(app, client_as):
    return build_scene(app, client_as, moderation_mode="pre")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/moderation/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_participants_are_refused(participant_client):
    assert participant_client.get("/moderation/").status_code == 403


def test_the_queue_lists_pending_and_flagged_comments_newest_first(app, scene):
    older = add_comment(app, scene.consultation.id, scene.english.id, status="pending", body="Older pending comment")
    quiet = add_comment(app, scene.consultation.id, scene.english.id, body="A quiet published comment")
    flagged = add_comment(app, scene.consultation.id, scene.english.id, body="A flagged published comment",
                          paragraph_id=scene.document.paragraph_ids[1])
    add_flag(app, flagged, scene.french.id, reason="offensive", note="Insults customs officers.")
    newer = add_comment(app, scene.consultation.id, scene.french.id, status="pending", body="Newer pending comment",
                        language="fr")
    resolved = add_comment(app, scene.consultation.id, scene.english.id, body="Flag already handled")
    add_flag(app, resolved, scene.french.id)
    with app.app_context():
        from consult.comments.models import CommentFlag
        from consult.i18n import utcnow

        for flag in db.session.query(CommentFlag).filter_by(comment_id=resolved):
            flag.resolved_at = utcnow()
        db.session.commit()

    text = page_text(scene.moderator.get("/moderation/"))

    assert "A quiet published comment" not in text
    assert "Flag already handled" not in text
    positions = [text.index(body) for body in ("Newer pending comment", "A flagged published comment",
                                               "Older pending comment")]
    assert positions == sorted(positions)
    assert "3 comments, newest first" in text
    # What a row shows: the consultation, where, who, the flags and the buttons.
    assert "Draft guidelines on e-commerce" in text
    assert "§2" in text and "Guidelines" in text
    assert "General discussion" in text
    assert "Camille Martin" in text and "Maison Lumière" in text and "Rights holder" in text
    assert "Offensive" in text and "Insults customs officers." in text
    assert f'formaction="/moderation/comments/{newer}/approve"' in text
    assert f'formaction="/moderation/comments/{older}/reject"' in text
    assert f'formaction="/moderation/comments/{flagged}/hide"' in text
    assert f'formaction="/moderation/comments/{flagged}/dismiss-flags"' in text
    assert quiet and older


def test_a_moderator_sees_only_the_consultations_they_run(app, scene, staff_client):
    add_comment(app, scene.consultation.id, scene.english.id, status="pending", body="In my group")
    add_comment(app, scene.other.id, scene.english.id, status="pending", body="In another group")

    mine = page_text(scene.moderator.get("/moderation/"))
    everything = page_text(staff_client.get("/moderation/"))

    assert "In my group" in mine and "In another group" not in mine
    assert "Another group" not in mine  # not even in the consultation filter
    assert "In my group" in everything and "In another group" in everything


def test_filters(app, scene):
    pending_en = add_comment(app, scene.consultation.id, scene.english.id, status="pending", body="Pending in English")
    add_comment(app, scene.consultation.id, scene.french.id, status="pending", body="En attente en français",
                language="fr")
    add_comment(app, scene.consultation.id, scene.english.id, status="hidden", body="A hidden one")
    add_comment(app, scene.consultation.id, scene.english.id, status="rejected", body="A rejected one")
    spam = add_comment(app, scene.consultation.id, scene.english.id, body="Buy cheap watches")
    add_flag(app, spam, scene.french.id, reason="spam")
    rude = add_comment(app, scene.consultation.id, scene.english.id, body="You are all fools")
    add_flag(app, rude, scene.french.id, reason="offensive")

    def shown(query: str) -> str:
        response = scene.moderator.get(f"/moderation/?{query}")
        assert response.status_code == 200
        return page_text(response)

    pending = shown("status=pending")
    assert "Pending in English" in pending and "En attente en français" in pending and "Buy cheap" not in pending
    assert "A hidden one" in shown("status=hidden") and "Pending in English" not in shown("status=hidden")
    assert "A rejected one" in shown("status=rejected")
    flagged = shown("status=flagged")
    assert "Buy cheap watches" in flagged and "You are all fools" in flagged and "Pending in English" not in flagged
    by_reason = shown("flag_reason=spam")
    assert "Buy cheap watches" in by_reason and "You are all fools" not in by_reason
    french = shown("language=fr&status=all")
    assert "En attente en français" in french and "Pending in English" not in french
    everything = shown("status=all")
    assert all(body in everything for body in ("A hidden one", "A rejected one", "Pending in English"))
    assert "Pending in English" in shown(f"consultation={scene.consultation.id}")
    assert pending_en


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=everything", "Choose what to show from the list."),
        ("flag_reason=ugly", "Choose a flag reason from the list."),
        ("language=de", "Choose English, French or Spanish."),
        ("consultation=abc", "Choose one of your consultations from the list."),
    ],
)
def test_bad_filters_are_explained(scene, query, message):
    response = scene.moderator.get(f"/moderation/?{query}")
    assert response.status_code == 400
    assert message in page_text(response)


def test_another_groups_consultation_cannot_be_chosen(app, scene):
    add_comment(app, scene.other.id, scene.english.id, status="pending", body="In another group")

    response = scene.moderator.get(f"/moderation/?consultation={scene.other.id}")

    assert response.status_code == 400
    text = page_text(response)
    assert "Choose one of your consultations from the list." in text
    assert "In another group" not in text


def _add_pending(app, consultation_id: int, author_id: int, paragraph_ids: list[int], number: int) -> None:
    with app.app_context():
        for index in range(number):
            comment = Comment(
                consultation_id=consultation_id,
                document_id=None,
                author_id=author_id,
                body=f"Pending comment number {index}",
                status="pending",
            )
            db.session.add(comment)
        db.session.commit()


def _add_flagged_in_document(app, scene, number: int) -> None:
    for index in range(number):
        comment_id = add_comment(app, scene.consultation.id, scene.french.id,
                                 paragraph_id=scene.document.paragraph_ids[index % 2], body=f"Flagged {index}")
        add_flag(app, comment_id, scene.english.id, reason="spam", note=f"Note {index}")


def test_the_queue_costs_the_same_number_of_queries_for_3_or_30_comments(app, scene):
    def queries() -> int:
        with counted_queries(app) as statements:
            assert scene.moderator.get("/moderation/").status_code == 200
        return len(statements)

    _add_flagged_in_document(app, scene, 2)
    _add_pending(app, scene.consultation.id, scene.english.id, scene.document.paragraph_ids, 1)
    few = queries()
    _add_flagged_in_document(app, scene, 15)
    _add_pending(app, scene.consultation.id, scene.english.id, scene.document.paragraph_ids, 12)
    many = queries()

    assert few == many


def test_the_queue_is_paginated(app, scene):
    _add_pending(app, scene.consultation.id, scene.english.id, scene.document.paragraph_ids, 30)

    first = page_text(scene.moderator.get("/moderation/"))
    second = page_text(scene.moderator.get("/moderation/?page=2"))

    assert first.count("Pending comment number") == 25
    assert second.count("Pending comment number") == 5
    assert "Page 2 of 2, 30 in all" in second
    assert scene.moderator.get("/moderation/?page=9").status_code == 404
