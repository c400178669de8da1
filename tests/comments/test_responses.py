"""Secretariat responses: writing one, the compilation of comments, publishing, the consultation page section."""

from __future__ import annotations

import pytest
from flask import url_for

from consult.comments.models import Comment, SecretariatResponse
from consult.consultations.extensions import consultation_sections
from consult.consultations.models import Consultation
from consult.directory.models import User
from consult.extensions import db
from tests.comments.test_moderation_support import (
    add_comment,
    audit_rows,
    build_scene,
    counted_queries,
    load,
    moderation_audit_count,
    page_text,
    response_count,
    responses_published_at,
    set_responses_published,
)
from tests.helpers import login, submit


@pytest.fixture
def scene(app, client_as):
    return build_scene(app, client_as)


def respond(client, slug: str, comment_id: int, **data):
    path = f"/consultations/{slug}/comments/{comment_id}/response"
    return submit(client, path, data, form_page=path)


def the_response(app, comment_id: int) -> SecretariatResponse | None:
    with app.app_context():
        row = db.session.query(SecretariatResponse).filter_by(comment_id=comment_id).one_or_none()
        if row is not None:
            db.session.expunge(row)
        return row


# --- Writing a response -------------------------------------------------------------


def test_staff_write_then_revise_the_one_response_of_a_comment(app, scene, staff_client):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id, body="Ajouter les colis postaux.")

    page = staff_client.get(f"/consultations/{scene.consultation.slug}/comments/{comment_id}/response")
    assert page.status_code == 200
    assert "Ajouter les colis postaux." in page_text(page)

    first = respond(staff_client, scene.consultation.slug, comment_id, outcome="partially_accepted",
                    text="Postal parcels are **added** to §2.", language="en")
    assert first.status_code == 302
    assert first.headers["Location"] == f"/consultations/{scene.consultation.slug}/responses"
    second = respond(staff_client, scene.consultation.slug, comment_id, outcome="accepted", text="Done.", language="fr")
    assert second.status_code == 302

    assert response_count(app) == 1
    row = the_response(app, comment_id)
    assert (row.outcome, row.text, row.language, row.author_id) == ("accepted", "Done.", "fr", staff_client.user.id)
    events = audit_rows(app, "response_written")
    assert [e.data["outcome"] for e in events] == ["partially_accepted", "accepted"]
    assert [e.data["created"] for e in events] == [True, False]
    assert all(e.target_type == "Comment" and e.target_id == comment_id for e in events)


def test_the_form_shows_the_existing_response(app, scene, staff_client):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)
    respond(staff_client, scene.consultation.slug, comment_id,
            outcome="noted", text="Noted with thanks.", language="es")

    text = page_text(staff_client.get(f"/moderation/comments/{comment_id}/response"))

    assert "Noted with thanks." in text
    assert '<option selected value="noted">' in text
    assert '<option selected value="es">' in text


def test_the_moderation_response_endpoint_answers(app, scene):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)
    with app.test_request_context():
        path = url_for("moderation.response", comment_id=comment_id)
    assert path == f"/moderation/comments/{comment_id}/response"

    response = submit(scene.moderator, path, {"outcome": "not_accepted", "text": "", "language": "en"})

    assert response.status_code == 302
    assert the_response(app, comment_id).outcome == "not_accepted"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "", "text": "Something", "language": "en"}, "Choose the outcome of the comment."),
        ({"outcome": "rejected", "text": "Something", "language": "en"}, "Choose an outcome from the list."),
        ({"outcome": "noted", "text": "Something", "language": "de"}, "Choose English, French or Spanish."),
        ({"outcome": "noted", "text": "x" * 20_001, "language": "en"}, "20000"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(app, scene, staff_client, data, message):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)
    audits = moderation_audit_count(app)

    response = respond(staff_client, scene.consultation.slug, comment_id, **data)

    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    if len(data["text"]) < 100:
        assert data["text"] in text  # the input is kept
    assert response_count(app) == 0
    assert moderation_audit_count(app) == audits


def test_a_comment_of_another_consultation_is_not_found_under_this_one(app, scene, staff_client):
    elsewhere = add_comment(app, scene.other.id, scene.english.id)

    path = f"/consultations/{scene.consultation.slug}/comments/{elsewhere}/response"
    assert staff_client.get(path).status_code == 404
    response = submit(staff_client, path, {"outcome": "noted", "text": "x", "language": "en"}, form_page="/")
    assert response.status_code == 404
    assert response_count(app) == 0


def test_withdrawn_or_rejected_comments_take_no_response(app, scene, staff_client):
    withdrawn = add_comment(app, scene.consultation.id, scene.french.id, status="withdrawn")

    response = respond(staff_client, scene.consultation.slug, withdrawn, outcome="noted", text="x", language="en")

    assert response.status_code == 409
    assert "it takes no secretariat response" in page_text(response)
    assert response_count(app) == 0


def test_who_may_write_responses(app, scene, client_as):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)
    outsider_moderator = client_as("moderator")
    delegate = scene.moderator.application.test_client()
    login(delegate, scene.english.email, scene.english.password)

    for person in (outsider_moderator, delegate):
        assert person.get(f"/moderation/comments/{comment_id}/response").status_code == 403
        refused = submit(person, f"/moderation/comments/{comment_id}/response",
                         {"outcome": "noted", "text": "x", "language": "en"}, form_page="/")
        assert refused.status_code == 403
    allowed = respond(scene.moderator, scene.consultation.slug, comment_id, outcome="noted", language="en")
    assert allowed.status_code == 302
    assert response_count(app) == 1


def test_a_restricted_consultation_answers_404_to_outsiders(app, client_as):
    scene = build_scene(app, client_as, audience_mode="restricted")
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)
    customs = client_as("participant")
    outsider_moderator = client_as("moderator")

    for person in (customs, outsider_moderator):
        assert person.get(f"/moderation/comments/{comment_id}/response").status_code == 404
        assert person.get(f"/consultations/{scene.consultation.slug}/responses").status_code == 404
        publish = submit(person, f"/consultations/{scene.consultation.slug}/responses/publish", {}, form_page="/")
        assert publish.status_code == 404
    assert responses_published_at(app, scene.consultation.id) is None


def test_csrf_is_required(app, scene, staff_client):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)

    response = staff_client.post(f"/moderation/comments/{comment_id}/response",
                                 data={"outcome": "noted", "text": "x", "language": "en"})
    publish = staff_client.post(f"/consultations/{scene.consultation.slug}/responses/publish", data={})

    assert response.status_code == 400 and publish.status_code == 400
    assert "Your form expired" in page_text(response)
    assert response_count(app) == 0
    assert responses_published_at(app, scene.consultation.id) is None


# --- The compilation -------------------------------------------------------------------


def test_the_compilation_lists_comments_in_document_order_with_their_responses(app, scene, staff_client):
    second_paragraph = add_comment(app, scene.consultation.id, scene.english.id, body="On paragraph two",
                                   paragraph_id=scene.document.paragraph_ids[1])
    first_paragraph = add_comment(app, scene.consultation.id, scene.french.id, body="Sur le paragraphe un",
                                  paragraph_id=scene.document.paragraph_ids[0], proposed_wording="Le champ est large.")
    general = add_comment(app, scene.consultation.id, scene.english.id, body="A general remark")
    add_comment(app, scene.consultation.id, scene.english.id, body="Taken back", status="withdrawn")
    respond(staff_client, scene.consultation.slug, first_paragraph, outcome="accepted", text="Agreed.", language="en")

    response = staff_client.get(f"/consultations/{scene.consultation.slug}/responses")

    assert response.status_code == 200
    text = page_text(response)
    order = [text.index(body) for body in ("A general remark", "Sur le paragraphe un", "On paragraph two")]
    assert order == sorted(order)
    assert "Taken back" not in text
    assert "Le champ est large." in text
    assert "Agreed." in text and "Accepted" in text
    assert text.count("No response yet") == 2
    assert "3 comments to answer" in text and "1 with a response" in text and "2 without a response" in text
    without = page_text(staff_client.get(f"/consultations/{scene.consultation.slug}/responses?show=without_response"))
    assert "A general remark" in without and "On paragraph two" in without and "Sur le paragraphe un" not in without
    assert general and second_paragraph


def test_a_bad_compilation_filter_is_explained(scene, staff_client):
    response = staff_client.get(f"/consultations/{scene.consultation.slug}/responses?show=everything")
    assert response.status_code == 400
    assert "Choose what to show from the list." in page_text(response)


def test_only_managers_see_the_compilation(app, scene, client_as, staff_client):
    delegate = scene.moderator.application.test_client()
    login(delegate, scene.english.email, scene.english.password)

    assert delegate.get(f"/consultations/{scene.consultation.slug}/responses").status_code == 403
    assert client_as("moderator").get(f"/consultations/{scene.consultation.slug}/responses").status_code == 403
    assert scene.moderator.get(f"/consultations/{scene.consultation.slug}/responses").status_code == 200
    assert staff_client.get(f"/consultations/{scene.consultation.slug}/responses").status_code == 200
    assert staff_client.get("/consultations/no-such-thing/responses").status_code == 404


def _add_answered(app, consultation_id: int, author_id: int, paragraph_ids: list[int], number: int) -> None:
    with app.app_context():
        author = db.session.get(User, author_id)
        for index in range(number):
            paragraph_id = paragraph_ids[index % len(paragraph_ids)] if index % 3 else None
            comment = Comment(
                consultation_id=consultation_id,
                document_id=None,
                paragraph_id=None,
                author_id=author.id,
                organization_id=author.organization_id,
                body=f"Compiled comment {index}",
            )
            if paragraph_id:
                from consult.consultations.models import Paragraph

                paragraph = db.session.get(Paragraph, paragraph_id)
                comment.paragraph_id = paragraph.id
                comment.document_id = paragraph.version.document_id
                comment.thread_key = paragraph.thread_key
            if index % 2:
                comment.response = SecretariatResponse(outcome="noted", text=f"Response {index}")
            db.session.add(comment)
        db.session.commit()


def test_the_compilation_costs_the_same_number_of_queries_for_3_or_30_comments(app, scene, staff_client):
    path = f"/consultations/{scene.consultation.slug}/responses"

    def queries() -> int:
        with counted_queries(app) as statements:
            assert staff_client.get(path).status_code == 200
        return len(statements)

    _add_answered(app, scene.consultation.id, scene.english.id, scene.document.paragraph_ids, 3)
    few = queries()
    _add_answered(app, scene.consultation.id, scene.french.id, scene.document.paragraph_ids, 27)
    many = queries()

    assert few == many


def test_the_compilation_is_paginated(app, scene, staff_client):
    _add_answered(app, scene.consultation.id, scene.english.id, scene.document.paragraph_ids, 30)
    path = f"/consultations/{scene.consultation.slug}/responses"

    first = page_text(staff_client.get(path))
    second = page_text(staff_client.get(f"{path}?page=2"))

    assert first.count("Compiled comment") == 25
    assert second.count("Compiled comment") == 5
    assert staff_client.get(f"{path}?page=7").status_code == 404


# --- Publishing --------------------------------------------------------------------------


def test_publishing_shows_the_responses_to_the_audience(app, scene, staff_client):
    comment_id = add_comment(app, scene.consultation.id, scene.french.id)
    respond(staff_client, scene.consultation.slug, comment_id, outcome="accepted", text="Agreed.", language="en")

    def visible_to_author() -> bool:
        with app.app_context():
            comment = db.session.get(Comment, comment_id)
            return comment.response_visible_to(db.session.get(User, scene.english.id))

    assert not visible_to_author()
    compilation = f"/consultations/{scene.consultation.slug}/responses"
    published = submit(staff_client, f"{compilation}/publish", {"reason": "Ready for the meeting."})
    assert published.status_code == 302
    assert responses_published_at(app, scene.consultation.id) is not None
    assert visible_to_author()
    [event] = audit_rows(app, "responses_published")
    assert event.target_type == "Consultation" and event.data["reason"] == "Ready for the meeting."
    assert "Responses are shown to the audience since" in page_text(staff_client.get(compilation))

    again = submit(staff_client, f"{compilation}/publish", {}, form_page=compilation)
    assert again.status_code == 302
    assert len(audit_rows(app, "responses_published")) == 1  # nothing happened twice

    assert submit(staff_client, f"{compilation}/unpublish", {}).status_code == 302
    assert responses_published_at(app, scene.consultation.id) is None
    assert not visible_to_author()
    assert len(audit_rows(app, "responses_unpublished")) == 1


def test_publishing_refuses_an_over_long_reason(app, scene, staff_client):
    compilation = f"/consultations/{scene.consultation.slug}/responses"
    audits = moderation_audit_count(app)

    response = submit(staff_client, f"{compilation}/publish", {"reason": "x" * 2001}, form_page=compilation)

    assert response.status_code == 400
    assert "2000" in page_text(response)
    assert responses_published_at(app, scene.consultation.id) is None
    assert moderation_audit_count(app) == audits


def test_participants_and_other_moderators_cannot_publish(app, scene, client_as):
    delegate = scene.moderator.application.test_client()
    login(delegate, scene.english.email, scene.english.password)
    compilation = f"/consultations/{scene.consultation.slug}/responses"

    for person in (delegate, client_as("moderator")):
        assert submit(person, f"{compilation}/publish", {}, form_page="/").status_code == 403
    set_responses_published(app, scene.consultation.id)
    assert submit(delegate, f"{compilation}/unpublish", {}, form_page="/").status_code == 403
    assert responses_published_at(app, scene.consultation.id) is not None


# --- The consultation page section ---------------------------------------------------------


def test_the_section_gives_managers_counts_and_nothing_to_others(app, scene, staff_client):
    first = add_comment(app, scene.consultation.id, scene.french.id)
    add_comment(app, scene.consultation.id, scene.english.id)
    add_comment(app, scene.consultation.id, scene.english.id, status="rejected")
    respond(staff_client, scene.consultation.slug, first, outcome="noted", language="en")

    with app.test_request_context():
        consultation = db.session.get(Consultation, scene.consultation.id)
        manager = db.session.get(User, scene.moderator.user.id)
        delegate = db.session.get(User, scene.english.id)
        mine = {s.name: s for s in consultation_sections(consultation, manager)}
        theirs = {s.name for s in consultation_sections(consultation, delegate)}

    assert "secretariat" not in theirs
    counts = mine["secretariat"].context["counts"]
    assert (counts.comments, counts.with_response, counts.without_response) == (2, 1, 1)


def test_the_consultation_page_shows_the_section_to_managers(app, scene):
    delegate = scene.moderator.application.test_client()
    login(delegate, scene.english.email, scene.english.password)
    add_comment(app, scene.consultation.id, scene.french.id)
    path = f"/consultations/{scene.consultation.slug}"

    mine = scene.moderator.get(path)
    theirs = delegate.get(path)

    assert mine.status_code == 200 and theirs.status_code == 200
    assert "Secretariat responses" in page_text(mine)
    assert f"/consultations/{scene.consultation.slug}/responses/publish" in page_text(mine)
    assert "Secretariat responses" not in page_text(theirs)
    assert load(app, Consultation, scene.consultation.id).responses_published_at is None
