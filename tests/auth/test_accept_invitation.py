"""Accepting an invitation: the account is made once, by the right person, with the right role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.auth import invitations as service
from consult.auth.models import Invitation
from consult.directory.models import User
from consult.extensions import db
from consult.i18n import utcnow
from tests.auth.support import audit_actions, invitation_path, invitations
from tests.helpers import count, login, submit

GOOD = {
    "display_name": "Ana Pérez",
    "password": "sunlit harbour lantern",
    "confirm": "sunlit harbour lantern",
    "locale": "fr",
    "timezone": "Europe/Paris",
}


@pytest.fixture
def organization(make_organization):
    return make_organization(name="Aduana de Colombia", country="CO")


@pytest.fixture
def link(app, staff_client, organization):
    """The path of a fresh participant invitation for ana@example.org."""
    return invitation_path(app, staff_client, "ana@example.org", organization.id)


def test_the_invitee_sets_up_the_account_in_a_second_browser_and_lands_signed_in(app, link, organization, client):
    form = client.get(link)
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert "ana@example.org" in page and "Aduana de Colombia" in page

    response = submit(client, link, GOOD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Welcome to Consult, Ana Pérez. Your account is ready." in home
    assert 'href="/account">Ana Pérez</a>' in home
    with app.app_context():
        user = User.by_email("ana@example.org")
        assert user.organization_id == organization.id
        assert user.role == "participant"
        assert (user.locale, user.timezone) == ("fr", "Europe/Paris")
        assert user.check_password(GOOD["password"])
    [invitation] = invitations(app)
    assert invitation.accepted_at is not None
    assert invitation.user_id == user.id
    [accepted] = audit_actions(app, "invitation_accepted")
    assert (accepted.actor_id, accepted.target_id) == (user.id, invitation.id)
    assert client.get("/account").status_code == 200


def test_the_role_of_the_invitation_is_the_role_of_the_account(app, staff_client, client):
    link = invitation_path(app, staff_client, "colleague@example.org", role="staff")
    submit(client, link, GOOD)
    with app.app_context():
        user = User.by_email("colleague@example.org")
        assert (user.role, user.organization_id) == ("staff", None)
    assert client.get("/invitations/").status_code == 200


def test_the_new_password_works_for_signing_in_later(app, link, client):
    submit(client, link, GOOD)
    other_browser = app.test_client()
    login(other_browser, "ana@example.org", GOOD["password"])


def test_an_invitation_works_only_once(app, link, client):
    submit(client, link, GOOD)
    stranger = app.test_client()

    again = stranger.get(link)
    resubmitted = submit(stranger, link, GOOD, form_page="/")

    assert again.status_code == 410
    assert "This invitation has already been used" in again.get_data(as_text=True)
    assert resubmitted.status_code == 410
    with app.app_context():
        assert count(User) == 2
    assert len(audit_actions(app, "invitation_accepted")) == 1


def test_an_unknown_link_says_so_with_404(client):
    response = client.get("/invitations/accept/not-a-real-token")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "This invitation link is not valid" in page
    assert "ask the secretariat to send you a new invitation" in page
    assert client.get("/invitations/accept/" + "x" * 500).status_code == 404


def test_an_expired_invitation_cannot_be_accepted(app, link, client):
    with app.app_context():
        db.session.execute(Invitation.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    page = client.get(link)
    posted = submit(client, link, GOOD, form_page="/")

    assert page.status_code == 410
    assert "This invitation has expired" in page.get_data(as_text=True)
    assert "Ask the secretariat to send you a new invitation." in page.get_data(as_text=True)
    assert posted.status_code == 410
    with app.app_context():
        assert User.by_email("ana@example.org") is None


def test_a_revoked_invitation_cannot_be_accepted(app, link, staff_client, client):
    [invitation] = invitations(app)
    submit(staff_client, f"/invitations/{invitation.id}/revoke", form_page="/invitations/")

    posted = submit(client, link, GOOD, form_page="/")

    assert posted.status_code == 410
    assert "This invitation has been withdrawn" in posted.get_data(as_text=True)
    with app.app_context():
        assert User.by_email("ana@example.org") is None


def test_someone_who_meanwhile_has_an_account_is_told_to_sign_in(app, link, make_user, client):
    make_user(email="ana@example.org")

    response = client.get(link)

    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "You already have an account" in page
    assert 'href="/login"' in page
    [invitation] = invitations(app)
    assert invitation.accepted_at is None


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(app, link, client):
    cases = [
        ({"confirm": "something else entirely"}, "The two passwords are not the same."),
        ({"password": "short", "confirm": "short"}, "Use between 10 and 256 characters."),
        ({"password": "ana@example.org", "confirm": "ana@example.org"},
         "Your password must not be your email address."),
        ({"timezone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"locale": "de"}, "Choose English, French or Spanish."),
        ({"display_name": "   "}, "This field is required."),
        ({"display_name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ]
    for changes, message in cases:
        response = submit(client, link, {**GOOD, **changes})
        assert response.status_code == 400, changes
        page = response.get_data(as_text=True)
        assert message in page, changes
        assert 'id="form-errors"' in page
    kept = submit(client, link, {**GOOD, "locale": "de"}).get_data(as_text=True)
    assert 'value="Ana Pérez"' in kept
    with app.app_context():
        assert User.by_email("ana@example.org") is None
    assert invitations(app)[0].accepted_at is None
    assert audit_actions(app, "invitation_accepted") == []


def test_the_time_zone_defaults_to_the_browser_zone_then_utc(app, staff_client, client):
    detected = invitation_path(app, staff_client, "detected@example.org", role="staff")
    fallback = invitation_path(app, staff_client, "fallback@example.org", role="staff")
    without_zone = {key: value for key, value in GOOD.items() if key != "timezone"}

    assert client.get(fallback).get_data(as_text=True).count('<option selected value="UTC">') == 1
    assert submit(client, detected, {**without_zone, "browser_timezone": "Asia/Tokyo"}).status_code == 302
    other = app.test_client()
    assert submit(other, fallback, {**without_zone, "browser_timezone": "Not/AZone"}).status_code == 302

    with app.app_context():
        assert User.by_email("detected@example.org").timezone == "Asia/Tokyo"
        assert User.by_email("fallback@example.org").timezone == "UTC"


def test_two_acceptances_at_the_same_moment_cannot_both_succeed(app, link, client, database_url):
    """The loser read the invitation as pending, but the winner committed before its UPDATE."""
    with app.app_context():
        stale = db.session.scalar(select(Invitation))
        assert service.invitation_problem(stale) is None
        with db.engine.begin() as winner:  # another request, on its own connection
            winner.execute(Invitation.__table__.update().values(accepted_at=utcnow()))

        with pytest.raises(service.InvitationUnusable) as refused:
            service.accept_invitation(stale, "Late Comer", "another long password", "en", "UTC")

        assert refused.value.problem is service.InvitationProblem.USED
        assert User.by_email("ana@example.org") is None
        db.session.remove()
    assert audit_actions(app, "invitation_accepted") == []
