"""Publishing results: the managers' preview, publish and unpublish, who may, and the consultation page link."""

from __future__ import annotations

import pytest

from tests.exports.test_public_support import (
    add_response,
    audit_actions,
    build_scene,
    create_user,
    page_text,
    results_published_at,
    set_results_published,
)
from tests.factories import create_consultation, create_group
from tests.helpers import csrf_token, login, submit


@pytest.fixture
def scene(app, client_as):
    scene = build_scene(app, client_as)
    add_response(app, scene.survey.id, scene.camille.id, {"Q1": "a", "Q6": "Keep the threshold as it is."})
    return scene


def url(scene, tail: str = "") -> str:
    return f"/consultations/{scene.consultation.slug}/results{tail}"


def publish(client, scene):
    return submit(client, url(scene, "/publish"), {}, form_page=url(scene, "/preview"))


def test_a_manager_previews_then_publishes_and_anyone_reads(app, scene):
    preview = scene.moderator.get(url(scene, "/preview"))
    assert preview.status_code == 200
    assert "These results are not published yet: only managers see this page." in page_text(preview)
    assert "Keep the threshold as it is." in page_text(preview)

    done = publish(scene.moderator, scene)

    assert done.status_code == 302 and done.headers["Location"] == url(scene)
    assert results_published_at(app, scene.consultation.id) is not None
    [event] = audit_actions(app, "results_published")
    assert (event.actor_id, event.target_type, event.target_id) == (
        scene.moderator.user.id, "Consultation", scene.consultation.id)
    assert "anyone with the address can read them" in page_text(scene.moderator.get(url(scene)))
    assert app.test_client().get(url(scene)).status_code == 200


def test_publishing_twice_writes_nothing_more(app, scene, staff_client):
    publish(scene.moderator, scene)
    first = results_published_at(app, scene.consultation.id)

    again = publish(staff_client, scene)

    assert again.status_code == 302
    assert results_published_at(app, scene.consultation.id) == first
    assert len(audit_actions(app, "results_published")) == 1
    assert "The results were already published." in page_text(staff_client.get(url(scene)))


def test_publishing_is_refused_before_the_consultation_closes(app, client_as):
    scene = build_scene(app, client_as, state="open")

    preview = page_text(scene.moderator.get(url(scene, "/preview")))
    refused = publish(scene.moderator, scene)

    assert "Results can be published once the consultation has closed." in preview
    assert "Publish the results</button>" not in preview
    assert refused.status_code == 409
    assert "Results can be published once the consultation has closed." in page_text(refused)
    assert results_published_at(app, scene.consultation.id) is None
    assert audit_actions(app, "results_published") == []
    assert app.test_client().get(url(scene)).status_code == 404


def test_unpublishing_takes_the_page_down(app, scene):
    publish(scene.moderator, scene)

    done = submit(scene.moderator, url(scene, "/unpublish"), {}, form_page=url(scene, "/preview"))

    assert done.status_code == 302 and done.headers["Location"] == url(scene, "/preview")
    assert results_published_at(app, scene.consultation.id) is None
    assert len(audit_actions(app, "results_unpublished")) == 1
    assert app.test_client().get(url(scene)).status_code == 404
    assert scene.moderator.get(url(scene)).status_code == 404
    again = submit(scene.moderator, url(scene, "/unpublish"), {}, form_page=url(scene, "/preview"))
    assert again.status_code == 302 and len(audit_actions(app, "results_unpublished")) == 1


def test_only_managers_preview_publish_or_unpublish(app, scene, client_as):
    participant = app.test_client()
    login(participant, scene.camille.email, scene.camille.password)
    other_moderator = client_as("moderator")
    with app.app_context():
        create_group(name="Another group", moderator_ids=[other_moderator.user.id])
    for client in (participant, other_moderator):
        assert client.get(url(scene, "/preview")).status_code == 403
        assert client.get(url(scene, "/preview/comments")).status_code == 403
        assert client.post(url(scene, "/publish"), data={"csrf_token": csrf_token(client)}).status_code == 403
    set_results_published(app, scene.consultation.id)
    for client in (participant, other_moderator):
        assert client.post(url(scene, "/unpublish"), data={"csrf_token": csrf_token(client)}).status_code == 403
    assert results_published_at(app, scene.consultation.id) is not None
    assert audit_actions(app, "results_unpublished") == []


def test_anonymous_visitors_are_sent_to_sign_in_for_managing_urls(app, scene):
    visitor = app.test_client()
    for path in ("/preview", "/preview/comments"):
        answer = visitor.get(url(scene, path))
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    for path in ("/publish", "/unpublish"):
        answer = visitor.post(url(scene, path), data={"csrf_token": csrf_token(visitor)})
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert results_published_at(app, scene.consultation.id) is None


def test_a_post_without_its_csrf_token_is_refused(app, scene):
    answer = scene.moderator.post(url(scene, "/publish"))
    assert answer.status_code == 400
    assert results_published_at(app, scene.consultation.id) is None


def test_publishing_is_a_post_only(app, scene):
    assert scene.moderator.get(url(scene, "/publish")).status_code == 405
    assert results_published_at(app, scene.consultation.id) is None


def test_managing_urls_of_a_consultation_the_person_cannot_see_are_not_found(app, client_as):
    restricted = build_scene(app, client_as, audience_mode="restricted")
    outsider = client_as("participant")
    for path in ("/preview", "/preview/comments"):
        assert outsider.get(url(restricted, path)).status_code == 404
    assert outsider.post(url(restricted, "/publish"), data={"csrf_token": csrf_token(outsider)}).status_code == 404
    assert outsider.get("/consultations/nothing-here/results/preview").status_code == 404


def test_a_draft_consultation_never_has_public_results(app, scene):
    with app.app_context():
        draft = create_consultation(group_id=scene.group.id, state="draft", results_published_at=None)
    assert scene.moderator.get(f"/consultations/{draft.slug}/results/preview").status_code == 200
    answer = submit(scene.moderator, f"/consultations/{draft.slug}/results/publish", {},
                    form_page=f"/consultations/{draft.slug}/results/preview")
    assert answer.status_code == 409
    assert app.test_client().get(f"/consultations/{draft.slug}/results").status_code == 404


# --- The consultation page ---------------------------------------------------------------------------------


def test_the_consultation_page_links_to_the_results_once_published(app, scene):
    participant = app.test_client()
    login(participant, scene.camille.email, scene.camille.password)
    page = f"/consultations/{scene.consultation.slug}"

    before = page_text(participant.get(page))
    manager_before = page_text(scene.moderator.get(page))
    set_results_published(app, scene.consultation.id)
    after = page_text(participant.get(page))

    assert "Read the published results" not in before and "Preview and publish" not in before
    assert "The results are not published yet." in manager_before
    assert url(scene, "/preview") in manager_before and f"/consultations/{scene.consultation.slug}/campaigns" in (
        manager_before)
    assert url(scene) in after and "Read the published results" in after
    assert "Preview and publish" not in after and "/campaigns" not in after


def test_staff_who_run_no_group_manage_any_consultations_results(app, scene, client_as):
    with app.app_context():
        staff = create_user(role="staff", password="correct horse battery staple")
    client = app.test_client()
    login(client, staff.email, staff.password)
    assert client.get(url(scene, "/preview")).status_code == 200
    assert publish(client, scene).status_code == 302
    [event] = audit_actions(app, "results_published")
    assert event.actor_id == staff.id
