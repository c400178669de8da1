"""One response per organization: colleagues co-edit it; a save based on an old version is refused, nothing lost."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from consult.directory.models import User
from consult.extensions import db
from consult.surveys import answering
from consult.surveys.models import Response
from consult.surveys.validation import Reading
from tests.helpers import count
from tests.surveys.test_answer_support import form_token, make_world, post_form, response_of, submit_from_review

QUESTIONS = [
    {"type": "short_text", "code": "NAME", "label": "Name of the administration"},
    {"type": "long_text", "code": "VIEW", "label": "Your view"},
]


@pytest.fixture
def org_world(app):
    return make_world(app, questions=QUESTIONS, policy="organization")


@pytest.fixture
def colleagues(client_as, make_organization):
    organization = make_organization(name="Douane française")
    first = client_as("participant", organization_id=organization.id, display_name="Anne Martin")
    second = client_as("participant", organization_id=organization.id, display_name="Bruno Petit")
    return first, second


def _field(world, code):
    return f"q{world.q[code]}"


def test_two_delegates_of_one_organization_end_up_on_one_response(app, org_world, colleagues):
    anne, bruno = colleagues
    assert post_form(anne, org_world.url, {_field(org_world, "NAME"): "Douane"}).status_code == 303
    page = bruno.get(org_world.url).get_data(as_text=True)
    assert 'value="Douane"' in page
    assert "Last edited by Anne Martin on" in page
    assert "one response per organization" in page
    assert post_form(bruno, org_world.url, {_field(org_world, "NAME"): "Douane",
                                            _field(org_world, "VIEW"): "Agreed."}).status_code == 303
    with app.app_context():
        assert count(Response) == 1
        response = db.session.scalars(select(Response)).one()
        organization_id = db.session.get(User, anne.user.id).organization_id
        assert response.owner_key == f"organization:{organization_id}"
        assert response.version == 2
        assert response.last_edited_by_id == bruno.user.id
    assert "Last edited by Bruno Petit on" in anne.get(org_world.url).get_data(as_text=True)


def test_a_save_based_on_an_old_version_shows_both_versions_and_loses_nothing(app, org_world, colleagues):
    anne, bruno = colleagues
    post_form(anne, org_world.url, {_field(org_world, "NAME"): "Douane"})
    # Both open the page at version 1.
    _, version = form_token(bruno, org_world.url)
    assert version == "1"
    assert post_form(anne, org_world.url, {_field(org_world, "VIEW"): "Anne's view"}).status_code == 303

    refused = post_form(bruno, org_world.url, {_field(org_world, "NAME"): "Douane",
                                               _field(org_world, "VIEW"): "Bruno's view"}, version=version)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Not saved: someone else changed this response" in html
    assert "Anne Martin saved this response on" in html
    conflict_table = html[html.index('<table class="table table-sm bg-body'):]
    assert "Anne&#39;s view" in conflict_table and "Bruno&#39;s view" in conflict_table
    # Bruno's input is still in the form, which now carries the latest version.
    assert ">Bruno&#39;s view</textarea>" in html
    assert 'name="version" value="2"' in html
    assert response_of(app, org_world.survey.id).answers[org_world.q["VIEW"]] == "Anne's view"

    # Bruno merges and saves again from the version he was shown.
    merged = post_form(bruno, org_world.url, {_field(org_world, "NAME"): "Douane",
                                              _field(org_world, "VIEW"): "Anne's view. Bruno's view."}, version="2")
    assert merged.status_code == 303
    response = response_of(app, org_world.survey.id)
    assert response.answers[org_world.q["VIEW"]] == "Anne's view. Bruno's view." and response.version == 3


def test_the_first_save_of_two_colleagues_does_not_create_two_responses(app, org_world, colleagues):
    anne, bruno = colleagues
    _, bruno_version = form_token(bruno, org_world.url)
    assert bruno_version == "0"
    post_form(anne, org_world.url, {_field(org_world, "NAME"): "Anne's"})
    refused = post_form(bruno, org_world.url, {_field(org_world, "NAME"): "Bruno's"}, version="0")
    assert refused.status_code == 409
    with app.app_context():
        assert count(Response) == 1


def test_a_simultaneous_first_save_is_caught_by_the_unique_owner_key(app, org_world, colleagues):
    """Both saves saw no response; the database's unique constraint makes the second one a conflict."""
    anne, bruno = colleagues
    with app.test_request_context("/"):
        survey = answering.load_survey(org_world.consultation.slug, org_world.survey.id)
        anne_user, bruno_user = db.session.get(User, anne.user.id), db.session.get(User, bruno.user.id)
        reading = Reading(values={org_world.q["NAME"]: "Anne's"})
        answering.save_draft(survey, anne_user, None, answering.clean(survey, reading), 0, "en")
        late = answering.clean(survey, Reading(values={org_world.q["NAME"]: "Bruno's"}))
        with pytest.raises(answering.Conflict) as conflict:
            answering.save_draft(survey, bruno_user, None, late, 0, "en")
        assert conflict.value.response.last_edited_by_id == anne_user.id
    with app.app_context():
        assert count(Response) == 1
    assert response_of(app, org_world.survey.id).answers == {org_world.q["NAME"]: "Anne's"}


def test_two_saves_racing_from_the_same_version_cannot_both_win(app, org_world, colleagues):
    anne, bruno = colleagues
    post_form(anne, org_world.url, {_field(org_world, "NAME"): "v1"})
    with app.test_request_context("/"):
        survey = answering.load_survey(org_world.consultation.slug, org_world.survey.id)
        anne_user, bruno_user = db.session.get(User, anne.user.id), db.session.get(User, bruno.user.id)
        stale = answering.find_response(survey, bruno_user)  # Bruno read version 1 ...
        answering.save_draft(survey, anne_user, answering.find_response(survey, anne_user),
                             answering.clean(survey, Reading(values={org_world.q["NAME"]: "v2"})), 1, "en")
        # ... and still believes it is the latest when his save reaches the database.
        set_committed_value(stale, "version", 1)
        db.session.expire(stale, ["answers"])
        with pytest.raises(answering.Conflict):
            answering.save_draft(survey, bruno_user, stale,
                                 answering.clean(survey, Reading(values={org_world.q["NAME"]: "Bruno"})), 1, "en")
        db.session.rollback()
    response = response_of(app, org_world.survey.id)
    assert response.version == 2 and response.answers == {org_world.q["NAME"]: "v2"}


def test_a_submission_after_a_colleagues_save_is_refused_with_both_versions(app, org_world, colleagues):
    anne, bruno = colleagues
    post_form(anne, org_world.url, {_field(org_world, "NAME"): "Douane"}, action="review")
    review = anne.get(org_world.url + "/review").get_data(as_text=True)
    post_form(bruno, org_world.url, {_field(org_world, "NAME"): "Douanes françaises"})
    refused = submit_from_review(anne, org_world, review_page=review)
    assert refused.status_code == 409
    assert "Bruno Petit saved this response on" in refused.get_data(as_text=True)
    assert response_of(app, org_world.survey.id).status == "draft"


def test_one_response_per_person_keeps_colleagues_apart(app, colleagues):
    world = make_world(app, questions=QUESTIONS, policy="person")
    anne, bruno = colleagues
    post_form(anne, world.url, {_field(world, "NAME"): "Anne's"})
    assert 'value="Anne' not in bruno.get(world.url).get_data(as_text=True)
    post_form(bruno, world.url, {_field(world, "NAME"): "Bruno's"})
    with app.app_context():
        keys = sorted(db.session.scalars(select(Response.owner_key)).all())
    assert keys == sorted([f"user:{anne.user.id}", f"user:{bruno.user.id}"])


def test_a_person_without_an_organization_cannot_answer_for_one(app, org_world, client_as):
    loner = client_as("participant", organization_id=None)
    with app.app_context():
        db.session.get(User, loner.user.id).organization_id = None
        db.session.commit()
    page = loner.get(org_world.url)
    assert page.status_code == 200 and "does not belong to an organization" in page.get_data(as_text=True)
    refused = post_form(loner, org_world.url, {_field(org_world, "NAME"): "x"})
    assert refused.status_code == 403
    with app.app_context():
        assert count(Response) == 0


# --- Autosave (the JSON endpoint the script calls) -------------------------------------------------


def _autosave(client, world, data: dict, version: str):
    token, _ = form_token(client, world.url)
    return client.post(world.url + "/draft", data={"version": version, **data}, headers={"X-CSRFToken": token})


def test_autosave_answers_with_the_new_version(app, org_world, colleagues):
    anne, _ = colleagues
    saved = _autosave(anne, org_world, {_field(org_world, "NAME"): "Douane"}, "0")
    assert saved.status_code == 200
    body = saved.get_json()
    assert body["version"] == 1 and body["saved_at"] and "Draft saved automatically" in body["message"]
    again = _autosave(anne, org_world, {_field(org_world, "NAME"): "Douane 2"}, "1")
    assert again.get_json()["version"] == 2
    assert response_of(app, org_world.survey.id).answers == {org_world.q["NAME"]: "Douane 2"}


def test_autosave_reports_a_conflict_with_409(app, org_world, colleagues):
    anne, bruno = colleagues
    _autosave(anne, org_world, {_field(org_world, "NAME"): "Anne's"}, "0")
    refused = _autosave(bruno, org_world, {_field(org_world, "NAME"): "Bruno's"}, "0")
    assert refused.status_code == 409
    assert "Anne Martin saved this response in the meantime" in refused.get_json()["error"]
    assert refused.get_json()["version"] == 1


def test_autosave_reports_malformed_answers_and_saves_nothing(app):
    world = make_world(app, questions=[{"type": "number", "code": "N", "label": "How many?"}])
    from tests.helpers import login
    from tests.surveys.test_answer_support import make_member

    member = make_member(app, organization_id=None)
    client = app.test_client()
    login(client, member.email, member.password)
    refused = _autosave(client, world, {f"q{world.q['N']}": "many"}, "0")
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == {f"q{world.q['N']}": "Enter a number, for example 12 or 12.5."}
    with app.app_context():
        assert count(Response) == 0


def test_autosave_needs_the_csrf_token(app, org_world, colleagues):
    anne, _ = colleagues
    refused = anne.post(org_world.url + "/draft", data={"version": "0", _field(org_world, "NAME"): "x"})
    assert refused.status_code == 400
    with app.app_context():
        assert count(Response) == 0


def test_the_autosave_script_is_wired_to_the_form(app, org_world, colleagues):
    anne, _ = colleagues
    html = anne.get(org_world.url).get_data(as_text=True)
    assert re.search(r'data-autosave-url="/consultations/[^"]+/surveys/\d+/draft"', html)
    script = app.test_client().get("/static/autosave.js").get_data(as_text=True)
    assert "X-CSRFToken" in script and "30000" in script and "pagehide" in script and "visibilitychange" in script
