"""Publishing, opening early, closing early, extending, archiving, back to draft: each with a reason, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import utcnow
from tests.consultations.consultation_support import audit_events, moderator_with_group
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, submit


@pytest.fixture
def manager(app, client_as):
    return moderator_with_group(app, client_as)


def _make(app, manager, state: str, **fields) -> str:
    with app.app_context():
        return create_consultation(group_id=manager.group_id, state=state, **fields).slug


def _reload(app, slug: str) -> Consultation:
    with app.app_context():
        consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == slug))
        db.session.expunge(consultation)
        return consultation


def _act(client, slug: str, action: str, reason: str = "Agreed at the bureau meeting.", **data):
    return submit(client, f"/consultations/{slug}/{action}", {"reason": reason, **data})


def test_publishing_a_draft_whose_dates_are_ahead_schedules_it(app, manager):
    with app.app_context():
        now = utcnow()
        slug = create_consultation(group_id=manager.group_id, state="draft").slug
        consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == slug))
        consultation.opens_at, consultation.closes_at = now + timedelta(days=3), now + timedelta(days=10)
        db.session.commit()
    page = manager.get(f"/consultations/{slug}/publish")
    assert page.status_code == 200
    assert "Publish the consultation" in page.get_data(as_text=True)
    assert _reload(app, slug).published_at is None  # showing the form changes nothing

    response = _act(manager, slug, "publish")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/consultations/{slug}"
    assert _reload(app, slug).state.value == "scheduled"
    assert "The consultation is published." in manager.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        [event] = audit_events("consultation_published")
        assert event.actor_id == manager.user.id
        assert event.data == {"reason": "Agreed at the bureau meeting.", "state": "scheduled"}


def test_publishing_a_draft_whose_opening_has_passed_opens_it(app, manager):
    slug = _make(app, manager, "draft")
    assert _act(manager, slug, "publish").status_code == 302
    assert _reload(app, slug).state.value == "open"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_every_action_needs_a_reason(app, manager, reason):
    slug = _make(app, manager, "draft")
    response = _act(manager, slug, "publish", reason=reason)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Say why, for the record." in page or "The reason can have at most 2000 characters." in page
    assert _reload(app, slug).published_at is None
    with app.app_context():
        assert audit_events("consultation_published") == []


def test_a_draft_whose_closing_time_has_passed_cannot_be_published(app, manager):
    with app.app_context():
        slug = create_consultation(group_id=manager.group_id, state="draft").slug
        consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == slug))
        consultation.opens_at = utcnow() - timedelta(days=5)
        consultation.closes_at = utcnow() - timedelta(days=1)
        db.session.commit()
    response = _act(manager, slug, "publish")
    assert response.status_code == 409
    assert "Edit the dates before publishing it." in response.get_data(as_text=True)
    assert _reload(app, slug).published_at is None


def test_opening_early_starts_a_scheduled_consultation_now(app, manager):
    slug = _make(app, manager, "scheduled")
    before = _reload(app, slug).opens_at
    response = _act(manager, slug, "open-early", reason="The documents are ready.")
    assert response.status_code == 302
    after = _reload(app, slug)
    assert after.state.value == "open"
    assert abs(after.opens_at - utcnow()) < timedelta(minutes=1)
    with app.app_context():
        [event] = audit_events("consultation_opened_early")
        assert event.data["reason"] == "The documents are ready."
        assert event.data["opens_at"][0] == before.isoformat()


def test_closing_early_stops_an_open_consultation_now(app, manager):
    slug = _make(app, manager, "open")
    assert _act(manager, slug, "close-early").status_code == 302
    after = _reload(app, slug)
    assert after.state.value == "closed"
    assert abs(after.closes_at - utcnow()) < timedelta(minutes=1)
    with app.app_context():
        assert len(audit_events("consultation_closed_early")) == 1


def test_extending_takes_the_new_time_in_the_consultations_zone(app, manager):
    slug = _make(app, manager, "open")  # the factory's zone is Europe/Brussels
    next_year = utcnow().year + 1
    page = manager.get(f"/consultations/{slug}/extend").get_data(as_text=True)
    assert "In the consultation's time zone, Europe/Brussels." in page
    response = _act(manager, slug, "extend", closes_at=f"{next_year}-01-20T18:00")
    assert response.status_code == 302
    assert _reload(app, slug).closes_at == datetime(next_year, 1, 20, 17, 0, tzinfo=UTC)
    with app.app_context():
        [event] = audit_events("consultation_extended")
        assert event.data["closes_at"][1] == datetime(next_year, 1, 20, 17, 0, tzinfo=UTC).isoformat()


def test_extending_a_closed_consultation_opens_it_again(app, manager):
    slug = _make(app, manager, "closed")
    later = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert _act(manager, slug, "extend", closes_at=later).status_code == 302
    assert _reload(app, slug).state.value == "open"


@pytest.mark.parametrize(
    ("closes_at", "message"),
    [
        ("earlier", "Choose a time after the current closing time"),
        ("", "This field is required."),
        ("next tuesday", "Not a valid datetime value."),
        ("9999-12-31T23:59", "Enter a date between the years 2000 and 2999."),
    ],
)
def test_extending_refuses_a_time_that_is_not_later(app, manager, closes_at, message):
    slug = _make(app, manager, "open")
    before = _reload(app, slug).closes_at
    if closes_at == "earlier":
        closes_at = (before - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _act(manager, slug, "extend", closes_at=closes_at, reason="Asked by members.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Asked by members." in page  # the reason is kept
    assert _reload(app, slug).closes_at == before
    with app.app_context():
        assert audit_events("consultation_extended") == []


def test_archiving_a_closed_consultation(app, manager):
    slug = _make(app, manager, "closed")
    assert _act(manager, slug, "archive").status_code == 302
    assert _reload(app, slug).state.value == "archived"
    with app.app_context():
        assert len(audit_events("consultation_archived")) == 1


def test_a_scheduled_consultation_goes_back_to_draft(app, manager):
    slug = _make(app, manager, "scheduled")
    assert _act(manager, slug, "unpublish").status_code == 302
    assert _reload(app, slug).state.value == "draft"
    with app.app_context():
        assert len(audit_events("consultation_unpublished")) == 1


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        ("open", "publish", "This consultation is already published."),
        ("open", "open-early", "Only a scheduled consultation can be opened early."),
        ("draft", "open-early", "Only a scheduled consultation can be opened early."),
        ("scheduled", "close-early", "Only an open consultation can be closed early."),
        ("closed", "close-early", "Only an open consultation can be closed early."),
        ("draft", "extend", "Only a scheduled, open or closed consultation can be extended."),
        ("archived", "extend", "Only a scheduled, open or closed consultation can be extended."),
        ("open", "archive", "Only a closed consultation can be archived."),
        ("archived", "archive", "Only a closed consultation can be archived."),
        ("open", "unpublish", "once open, people may have contributed"),
        ("closed", "unpublish", "once open, people may have contributed"),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused_with_409(app, manager, state, action, message):
    slug = _make(app, manager, state)
    before = _reload(app, slug)
    page = manager.get(f"/consultations/{slug}/{action}")
    assert page.status_code == 409
    assert message in page.get_data(as_text=True)
    response = _act(manager, slug, action, closes_at="2040-01-01T00:00")
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    after = _reload(app, slug)
    assert (after.published_at, after.archived_at, after.opens_at, after.closes_at) == (
        before.published_at, before.archived_at, before.opens_at, before.closes_at)


def test_the_page_offers_managers_only_the_actions_the_state_allows(app, manager):
    slug = _make(app, manager, "open")
    page = manager.get(f"/consultations/{slug}").get_data(as_text=True)
    assert f'href="/consultations/{slug}/close-early"' in page
    assert f'href="/consultations/{slug}/extend"' in page
    assert f'href="/consultations/{slug}/publish"' not in page
    assert f'href="/consultations/{slug}/archive"' not in page


ACTIONS = ["publish", "open-early", "close-early", "extend", "archive", "unpublish"]


@pytest.mark.parametrize("action", ACTIONS)
def test_people_who_do_not_run_it_cannot_act(app, manager, client_as, action):
    with app.app_context():
        outsider_org = create_organization(stakeholder_type="customs").id
        audience_org = create_organization(stakeholder_type="rights_holder").id
        audience_group = create_group(organization_ids=[audience_org]).id
    slug = _make(app, manager, "open", audience_mode="restricted", audience_group_ids=[audience_group])
    member = client_as("participant", organization_id=audience_org)
    outsider = client_as("participant", organization_id=outsider_org)
    other_moderator = moderator_with_group(app, client_as)
    path = f"/consultations/{slug}/{action}"
    assert member.get(path).status_code == 403
    assert outsider.get(path).status_code == 404
    assert other_moderator.get(path).status_code == 404
    assert submit(member, path, {"reason": "r"}, form_page="/").status_code == 403
    assert submit(outsider, path, {"reason": "r"}, form_page="/").status_code == 404
    assert _reload(app, slug).state.value == "open"


def test_an_action_without_its_csrf_token_is_refused(app, manager):
    slug = _make(app, manager, "open")
    response = manager.post(f"/consultations/{slug}/close-early", data={"reason": "No token."})
    assert response.status_code == 400
    assert _reload(app, slug).state.value == "open"
