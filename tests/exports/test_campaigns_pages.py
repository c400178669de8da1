"""The campaign pages: who may open them, what a manager reads there, and a bounded number of queries."""

from __future__ import annotations

import pytest

from tests.exports.test_campaigns import near_copies
from tests.exports.test_public_support import (
    add_respondents,
    build_scene,
    counted_queries,
    create_user,
    page_text,
)
from tests.factories import create_comment, create_consultation, create_group
from tests.helpers import login

TEXT = "Please keep postal parcels outside the scope of these guidelines until the pilot ends."


@pytest.fixture
def scene(app, client_as):
    return build_scene(app, client_as)


def urls(slug: str) -> list[str]:
    return [f"/consultations/{slug}/campaigns", f"/consultations/{slug}/campaigns/1"]


def with_one_campaign(app, scene) -> None:
    add_respondents(app, scene.survey.id, [{"Q6": TEXT}, {"Q6": TEXT}])


def test_managers_open_both_pages(app, scene, staff_client):
    with_one_campaign(app, scene)
    for client in (scene.moderator, staff_client):
        for url in urls(scene.consultation.slug):
            assert client.get(url).status_code == 200, url


def test_people_who_do_not_manage_the_consultation_are_refused(app, scene, client_as):
    with_one_campaign(app, scene)
    participant = client_as("participant")
    other_moderator = client_as("moderator")
    with app.app_context():
        create_group(name="Moderated elsewhere", moderator_ids=[other_moderator.user.id])
    for url in urls(scene.consultation.slug):
        assert participant.get(url).status_code == 403, url  # sees the public consultation, does not run it
        assert other_moderator.get(url).status_code == 403, url
        anonymous = app.test_client().get(url)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login"), url


def test_a_consultation_the_person_cannot_see_is_not_found(app, client_as):
    restricted = build_scene(app, client_as, audience_mode="restricted")
    add_respondents(app, restricted.survey.id, [{"Q6": TEXT}, {"Q6": TEXT}])
    outsider = client_as("participant")
    for url in urls(restricted.consultation.slug) + urls("no-such-consultation"):
        assert outsider.get(url).status_code == 404, url


def test_a_group_number_beyond_the_list_is_not_found(app, scene):
    with_one_campaign(app, scene)
    slug = scene.consultation.slug
    assert scene.moderator.get(f"/consultations/{slug}/campaigns/2").status_code == 404
    assert scene.moderator.get(f"/consultations/{slug}/campaigns/0").status_code == 404
    assert scene.moderator.get(f"/consultations/{slug}/campaigns/x").status_code == 404
    assert scene.moderator.get(f"/consultations/{slug}/campaigns?page=9").status_code == 404


def test_the_list_shows_each_group_its_size_text_and_stakeholder_types(app, scene):
    add_respondents(app, scene.survey.id, [{"Q6": t} for t in near_copies(6)], stakeholder_type="intermediary")
    add_respondents(app, scene.survey.id, [{"Q6": near_copies(7)[6]}], stakeholder_type="customs")
    with app.app_context():
        for _ in range(3):
            create_comment(scene.consultation.id, scene.camille.id, body="<b>" + TEXT + "</b>")

    page = scene.moderator.get(f"/consultations/{scene.consultation.slug}/campaigns")
    text = page_text(page)

    assert page.status_code == 200
    assert "2 groups of near-identical texts, largest first" in text
    assert "Group 1" in text and "Group 2" in text
    assert "Questionnaire answers" in text and "Comments" in text
    assert "Intermediary: 6" in text and "Customs administration: 1" in text
    assert "Rights holder: 3" in text
    assert "&lt;b&gt;Please keep postal parcels" in page.get_data(as_text=True)  # escaped, never markup
    assert text.index("Group 1") < text.index("Questionnaire answers") < text.index("Group 2")


def test_a_group_page_lists_its_members_with_links(app, scene):
    add_respondents(app, scene.survey.id, [{"Q6": TEXT}] * 2, stakeholder_type="intermediary")
    with app.app_context():
        comment_ids = [create_comment(scene.consultation.id, scene.john.id, body="Withdraw paragraph twelve of the "
                                      "draft guidelines now, please.", status=status) for status in ("published",
                                                                                                   "hidden")]

    answers = page_text(scene.moderator.get(f"/consultations/{scene.consultation.slug}/campaigns/1"))
    comments = scene.moderator.get(f"/consultations/{scene.consultation.slug}/campaigns/2")

    assert "Delegate" in answers and "Firm" in answers and "Germany" in answers and "Intermediary" in answers
    assert TEXT in answers
    assert f"/consultations/{scene.consultation.slug}/surveys/{scene.survey.id}/responses/" in answers
    assert "Response (Q6)" in answers
    comments_text = page_text(comments)
    assert "John Smith" in comments_text and "Rapid Courier Ltd" in comments_text and "United Kingdom" in comments_text
    for comment_id in comment_ids:
        assert f"/moderation/comments/{comment_id}" in comments_text
    assert "Hidden by a moderator" in comments_text


def test_no_group_says_so(app, scene):
    text = page_text(scene.moderator.get(f"/consultations/{scene.consultation.slug}/campaigns"))
    assert "No group of identical or near-identical texts was found." in text


def test_pages_run_the_same_number_of_queries_whatever_the_group_size(app, scene):
    slug = scene.consultation.slug
    add_respondents(app, scene.survey.id, [{"Q6": TEXT}] * 3)
    scene.moderator.get(f"/consultations/{slug}/campaigns")  # groups worked out once, then kept
    with counted_queries(app) as small:
        assert scene.moderator.get(f"/consultations/{slug}/campaigns/1").status_code == 200
    with counted_queries(app) as small_list:
        assert scene.moderator.get(f"/consultations/{slug}/campaigns").status_code == 200
    add_respondents(app, scene.survey.id, [{"Q6": TEXT}] * 40)
    scene.moderator.get(f"/consultations/{slug}/campaigns")
    with counted_queries(app) as large:
        assert scene.moderator.get(f"/consultations/{slug}/campaigns/1").status_code == 200
    with counted_queries(app) as large_list:
        assert scene.moderator.get(f"/consultations/{slug}/campaigns").status_code == 200
    assert len(large) == len(small)
    assert len(large_list) == len(small_list)


def test_a_member_without_organization_is_shown_as_such(app, scene):
    with app.app_context():
        staff = create_user(role="staff", password="correct horse battery staple")
        create_comment(scene.consultation.id, staff.id, body=TEXT)
        create_comment(scene.consultation.id, scene.ana.id, body=TEXT)
    text = page_text(scene.moderator.get(f"/consultations/{scene.consultation.slug}/campaigns"))
    assert "No organization: 1" in text and "Customs administration: 1" in text


def test_staff_reach_a_restricted_consultation_they_do_not_belong_to(app, client_as):
    restricted = build_scene(app, client_as, audience_mode="restricted")
    add_respondents(app, restricted.survey.id, [{"Q6": TEXT}] * 2)
    staff = client_as("staff")
    assert staff.get(f"/consultations/{restricted.consultation.slug}/campaigns/1").status_code == 200
    with app.app_context():
        draft = create_consultation(group_id=restricted.group.id, state="draft")
    participant = app.test_client()
    login(participant, restricted.camille.email, restricted.camille.password)
    assert participant.get(f"/consultations/{draft.slug}/campaigns").status_code == 404
    assert participant.get(f"/consultations/{restricted.consultation.slug}/campaigns").status_code == 403
