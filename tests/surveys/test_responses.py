"""The responses list and each response in full, as the consultation's managers see them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from consult.extensions import db
from consult.surveys.models import Answer
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import (
    add_file,
    add_response,
    page_text,
    queries_for,
)

PASSWORD = "correct horse battery staple"


def build_scene(app, client_as, audience_mode: str = "public") -> SimpleNamespace:
    """A moderator's group and consultation with one survey; a French customs delegate and a British marketplace."""
    moderator = client_as("moderator")
    with app.app_context():
        customs = create_organization(name="Douane française", country="FR", stakeholder_type="customs")
        market = create_organization(name="Global Market Ltd", country="GB", stakeholder_type="intermediary")
        camille = create_user(organization_id=customs.id, password=PASSWORD, display_name="Camille Martin")
        john = create_user(organization_id=market.id, password=PASSWORD, display_name="John Smith")
        group = create_group(name="Counterfeiting and Piracy Group", organization_ids=[customs.id],
                             moderator_ids=[moderator.user.id])
        other_group = create_group(name="Rights Holders Group", organization_ids=[market.id])
        consultation = create_consultation(
            group_id=group.id, audience_mode=audience_mode,
            audience_group_ids=[group.id] if audience_mode == "restricted" else (),
        )
        survey = create_survey(consultation.id, questions=[
            {"type": "single_choice", "code": "Q1", "label": "Channel", "options": [("post", "Post"), ("air", "Air")]},
        ])
        camille_response = add_response(survey.id, camille.id, status="submitted", answers={"Q1": "post"},
                                         language="fr", consent="anonymous")
        john_response = add_response(survey.id, john.id, status="draft", answers={"Q1": "air"})
    return SimpleNamespace(
        moderator=moderator, consultation=consultation, survey=survey, group=group, other_group=other_group,
        camille=camille, john=john, customs=customs, market=market,
        camille_response=camille_response, john_response=john_response,
        base=f"/consultations/{consultation.slug}/surveys/{survey.id}",
    )


def urls(scene, file_id: int) -> list[str]:
    return [
        f"{scene.base}/responses",
        f"{scene.base}/responses/{scene.camille_response}",
        f"{scene.base}/responses/{scene.camille_response}/files/{file_id}",
    ]


@pytest.fixture
def scene_with_file(app, client_as):
    scene = build_scene(app, client_as)
    with app.app_context():
        survey = create_survey(scene.consultation.id, title="Evidence",
                               questions=[{"type": "file", "code": "F1", "label": "Attach"}])
        response_id = add_response(survey.id, scene.camille.id, status="submitted")
        file_id = add_file(response_id, survey.question_ids["F1"])
        db.session.add(Answer(response_id=response_id, question_id=survey.question_ids["F1"],
                              value={"file_id": file_id, "filename": "note.pdf"}))
        db.session.commit()
    scene.file_base = f"/consultations/{scene.consultation.slug}/surveys/{survey.id}"
    scene.file_response = response_id
    scene.file_id = file_id
    return scene


# --- Who may see what ------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(app, client, client_as):
    scene = build_scene(app, client_as)
    response = client.get(f"{scene.base}/responses")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_delegate_in_the_audience_is_refused_every_url(app, client_as, scene_with_file):
    scene = scene_with_file
    delegate = client_as("participant", organization_id=scene.customs.id)
    for path in urls(scene, scene.file_id):
        assert delegate.get(path).status_code == 403, path
    file_url = f"{scene.file_base}/responses/{scene.file_response}/files/{scene.file_id}"
    assert delegate.get(file_url).status_code == 403


def test_people_who_cannot_see_a_restricted_consultation_get_not_found(app, client_as):
    scene = build_scene(app, client_as, audience_mode="restricted")
    outsider = client_as("participant", organization_id=scene.market.id)  # not in the audience group
    other_moderator = client_as("moderator")
    for client in (outsider, other_moderator):
        for path in urls(scene, 1):
            assert client.get(path).status_code == 404, path


def test_a_moderator_of_another_group_who_can_see_a_public_consultation_is_forbidden(app, client_as):
    scene = build_scene(app, client_as)
    other_moderator = client_as("moderator")
    with app.app_context():
        create_group(moderator_ids=[other_moderator.user.id])
    assert other_moderator.get(f"{scene.base}/responses").status_code == 403
    assert other_moderator.get(f"{scene.base}/responses/{scene.camille_response}").status_code == 403


def test_the_group_moderator_and_staff_read_responses_and_files(app, client_as, scene_with_file):
    scene = scene_with_file
    staff = client_as("staff")
    for client in (scene.moderator, staff):
        assert client.get(f"{scene.base}/responses").status_code == 200
        assert client.get(f"{scene.base}/responses/{scene.camille_response}").status_code == 200
        download = client.get(f"{scene.file_base}/responses/{scene.file_response}/files/{scene.file_id}")
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "note.pdf" in download.headers["Content-Disposition"]
        assert download.data == b"%PDF-1.4 test"


def test_objects_that_do_not_belong_together_are_not_found(app, client_as, scene_with_file):
    scene = scene_with_file
    moderator = scene.moderator
    # A response of another survey, a file of another response, a survey of another consultation.
    assert moderator.get(f"{scene.base}/responses/{scene.file_response}").status_code == 404
    assert moderator.get(f"{scene.base}/responses/{scene.camille_response}/files/{scene.file_id}").status_code == 404
    assert moderator.get(f"{scene.base}/responses/999999").status_code == 404
    with app.app_context():
        elsewhere = create_consultation(group_id=scene.group.id)
    assert moderator.get(f"/consultations/{elsewhere.slug}/surveys/{scene.survey.id}/responses").status_code == 404
    assert moderator.get(f"/consultations/no-such-thing/surveys/{scene.survey.id}/responses").status_code == 404


def test_an_unpublished_survey_is_not_found_for_delegates_but_open_to_managers(app, client_as):
    scene = build_scene(app, client_as)
    with app.app_context():
        draft = create_survey(scene.consultation.id, published=False)
    path = f"/consultations/{scene.consultation.slug}/surveys/{draft.id}/responses"
    assert client_as("participant", organization_id=scene.customs.id).get(path).status_code == 404
    assert scene.moderator.get(path).status_code == 200


# --- The list ----------------------------------------------------------------


def test_each_response_is_a_row_with_names_in_the_viewers_language(app, client_as):
    scene = build_scene(app, client_as)
    with app.app_context():
        create_group(name="Groupe Afrique", organization_ids=[scene.customs.id])
    french_staff = client_as("staff", locale="fr")
    text = page_text(french_staff.get(f"{scene.base}/responses"))
    assert "Camille Martin" in text and "John Smith" in text
    assert "Douane française" in text and "Global Market Ltd" in text
    assert "France" in text and "Royaume-Uni" in text  # country names in French
    assert "Counterfeiting and Piracy Group" in text and "Groupe Afrique" in text
    assert "R-" in text  # the receipt number of the submitted response


def test_the_list_shows_status_language_consent_and_submission_time(app, client_as):
    scene = build_scene(app, client_as)
    text = page_text(scene.moderator.get(f"{scene.base}/responses"))
    assert "Submitted" in text and "Draft" in text
    assert "French" in text and "English" in text
    assert "Publish anonymously" in text
    assert "UTC" in text or "Coordinated Universal Time" in text  # local_datetime names the zone


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status=submitted", "Camille Martin", "John Smith"),
        ("status=draft", "John Smith", "Camille Martin"),
        ("stakeholder_type=intermediary", "John Smith", "Camille Martin"),
        ("country=FR", "Camille Martin", "John Smith"),
        ("country=gb", "John Smith", "Camille Martin"),
        ("language=fr", "Camille Martin", "John Smith"),
    ],
)
def test_filters_narrow_the_list(app, client_as, query, shown, hidden):
    scene = build_scene(app, client_as)
    response = scene.moderator.get(f"{scene.base}/responses?{query}")
    assert response.status_code == 200
    text = page_text(response)
    table = text[text.index("<table"):]
    assert shown in table and hidden not in table


def test_the_group_filter_keeps_organizations_of_that_group(app, client_as):
    scene = build_scene(app, client_as)
    text = page_text(scene.moderator.get(f"{scene.base}/responses?group={scene.other_group.id}"))
    table = text[text.index("<table"):]
    assert "John Smith" in table and "Camille Martin" not in table


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=lost", "Choose a status from the list."),
        ("stakeholder_type=pirate", "Choose a stakeholder type from the list."),
        ("group=abc", "Choose a group from the list."),
        ("group=999999", "Choose a group from the list."),
        ("country=ZZ", "Choose a country from the list."),
        ("language=de", "Choose a language from the list."),
    ],
)
def test_bad_filter_values_are_refused_with_a_message(app, client_as, query, message):
    scene = build_scene(app, client_as)
    response = scene.moderator.get(f"{scene.base}/responses?{query}")
    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert "Camille Martin" not in text


def test_the_list_is_paginated(app, client_as):
    scene = build_scene(app, client_as)
    with app.app_context():
        for _ in range(app.config["PAGE_SIZE"]):
            add_response(scene.survey.id, create_user(password=None).id)
    first = page_text(scene.moderator.get(f"{scene.base}/responses"))
    assert "27 responses" in first
    assert "Page 1 of 2" in first
    second = scene.moderator.get(f"{scene.base}/responses?page=2")
    assert second.status_code == 200
    assert scene.moderator.get(f"{scene.base}/responses?page=9").status_code == 404


def _add_responses(app, survey_id: int, number: int) -> None:
    with app.app_context():
        for index in range(number):
            organization = create_organization(country="DE" if index % 2 else "ES")
            create_group(organization_ids=[organization.id])
            person = create_user(organization_id=organization.id, password=None)
            add_response(survey_id, person.id, status="submitted" if index % 2 else "draft", answers={"Q1": "air"})


def test_the_list_runs_the_same_number_of_queries_for_3_or_30_responses(app, client_as):
    scene = build_scene(app, client_as)
    path = f"{scene.base}/responses"
    _add_responses(app, scene.survey.id, 1)  # 3 in all
    few = queries_for(app, scene.moderator, path)
    _add_responses(app, scene.survey.id, 17)  # 20 in all, still one page
    many = queries_for(app, scene.moderator, path)
    assert many == few
    _add_responses(app, scene.survey.id, 10)  # 30: two pages
    assert queries_for(app, scene.moderator, path) == few
