"""The same survey form sent twice (a double click, a resend after a lost answer) writes once, and the
second request lands where the first did: on the receipt or the saved draft, not on a conflict page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.extensions import db
from consult.surveys.models import ResponseRevision
from tests.helpers import count
from tests.surveys.test_answer_support import form_token, make_world, response_of

QUESTIONS = [
    {"type": "short_text", "code": "NAME", "label": "Name of the administration", "required": True},
    {"type": "long_text", "code": "VIEW", "label": "Your view"},
]


@pytest.fixture
def world(app):
    return make_world(app, questions=QUESTIONS, policy="organization")


@pytest.fixture
def colleagues(client_as, make_organization):
    organization = make_organization(name="Douane française")
    first = client_as("participant", organization_id=organization.id, display_name="Anne Martin")
    second = client_as("participant", organization_id=organization.id, display_name="Bruno Petit")
    return first, second


def _answers(world, name: str, view: str = "A view.") -> dict:
    return {f"q{world.q['NAME']}": name, f"q{world.q['VIEW']}": view}


def _form(client, world, name: str, **extra) -> dict:
    token, version = form_token(client, world.url)
    return {"csrf_token": token, "version": version, **_answers(world, name), **extra}


def _submissions(app) -> int:
    with app.app_context():
        return len(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "survey_response_submitted")).all())


def test_a_submission_sent_twice_is_submitted_once_and_both_land_on_the_receipt(app, world, colleagues):
    anne, _bruno = colleagues
    form = _form(anne, world, "Douane", consent="named")
    first = anne.post(world.url + "/submit", data=form)
    second = anne.post(world.url + "/submit", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == world.url + "/receipt"
    response = response_of(app, world.survey.id)
    assert response.status == "submitted" and response.version == 1
    assert response.revisions == []
    assert _submissions(app) == 1
    receipt = anne.get(world.url + "/receipt").get_data(as_text=True)
    assert f"Your receipt number is {response.receipt_number}" in receipt


def test_a_resubmission_sent_twice_keeps_one_revision(app, world, colleagues):
    anne, _bruno = colleagues
    assert anne.post(world.url + "/submit", data=_form(anne, world, "Douane", consent="named")).status_code == 303
    form = _form(anne, world, "Douane française", consent="anonymous")
    assert form["version"] == "1"
    assert [anne.post(world.url + "/submit", data=form).status_code for _ in range(2)] == [303, 303]
    response = response_of(app, world.survey.id)
    assert response.version == 2 and response.consent == "anonymous"
    assert response.answers[world.q["NAME"]] == "Douane française"
    with app.app_context():
        assert count(ResponseRevision) == 1


def test_a_draft_saved_twice_is_saved_once_without_a_conflict(app, world, colleagues):
    anne, _bruno = colleagues
    form = _form(anne, world, "Douane", action="save")
    first, second = anne.post(world.url, data=form), anne.post(world.url, data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert "Your draft is saved" in anne.get(world.url).get_data(as_text=True)
    assert response_of(app, world.survey.id).version == 1


def test_other_answers_from_the_same_old_version_are_still_a_conflict(app, world, colleagues):
    anne, _bruno = colleagues
    form = _form(anne, world, "Douane", consent="named")
    assert anne.post(world.url + "/submit", data=form).status_code == 303
    changed = anne.post(world.url + "/submit", data={**form, **_answers(world, "Customs")})
    assert changed.status_code == 409
    other_consent = anne.post(world.url + "/submit", data={**form, "consent": "none"})
    assert other_consent.status_code == 409
    response = response_of(app, world.survey.id)
    assert response.version == 1 and response.answers[world.q["NAME"]] == "Douane" and response.consent == "named"


def test_a_colleague_sending_the_same_answers_from_an_old_version_gets_the_conflict(app, world, colleagues):
    anne, bruno = colleagues
    bruno_form = _form(bruno, world, "Douane", consent="named")
    assert anne.post(world.url + "/submit", data=_form(anne, world, "Douane", consent="named")).status_code == 303
    # The same answers, but Bruno never saw Anne's submission: he is told, not sent to her receipt.
    assert bruno.post(world.url + "/submit", data=bruno_form).status_code == 409
    assert response_of(app, world.survey.id).last_edited_by_id == anne.user.id


def test_a_locked_submission_sent_twice_lands_on_the_receipt_not_on_the_refusal(app, client_as, make_organization):
    world = make_world(app, questions=QUESTIONS, policy="organization", allow_edit_after_submit=False)
    organization = make_organization()
    anne = client_as("participant", organization_id=organization.id)
    form = _form(anne, world, "Douane", consent="named")
    assert anne.post(world.url + "/submit", data=form).status_code == 303
    again = anne.post(world.url + "/submit", data=form)
    assert again.status_code == 303 and again.headers["Location"] == world.url + "/receipt"
    # Different answers are still refused: a submitted response of this survey cannot change.
    assert anne.post(world.url + "/submit", data={**form, **_answers(world, "Customs")}).status_code == 403
    assert response_of(app, world.survey.id).answers[world.q["NAME"]] == "Douane"
