"""The person's own account: details, preferences, password."""

from __future__ import annotations

import pytest

from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.auth.support import audit_actions
from tests.helpers import login, submit

NEW_PASSWORD = "violet meadow signal tower"


def profile(display_name="Amina Diallo", locale="en", timezone="Africa/Dakar") -> dict:
    return {"profile-display_name": display_name, "profile-locale": locale, "profile-timezone": timezone}


def password_change(current, new=NEW_PASSWORD, confirm=None) -> dict:
    return {"password-current_password": current, "password-password": new,
            "password-confirm": new if confirm is None else confirm}


def user_row(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


@pytest.fixture
def member(app, client_as, make_organization):
    organization = make_organization(name="Amazon EU")
    with app.app_context():
        group = Group(name=LocalizedText({"en": "Intermediaries Group", "fr": "Groupe des intermédiaires"}, "en"),
                      description=LocalizedText({"en": "x"}, "en"))
        group.organizations.append(db.session.get(Organization, organization.id))
        db.session.add(group)
        db.session.commit()
    return client_as("participant", organization_id=organization.id, display_name="Amina Diallo")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_shows_organization_role_and_groups(member):
    page = member.get("/account").get_data(as_text=True)
    assert "Amazon EU" in page
    assert "Participant" in page
    assert "Intermediaries Group" in page
    assert 'value="Amina Diallo"' in page


def test_a_moderator_sees_the_groups_they_moderate(app, client_as):
    moderator = client_as("moderator")
    with app.app_context():
        group = Group(name=LocalizedText({"en": "Customs Group"}, "en"), description=LocalizedText({"en": "x"}, "en"))
        group.moderators.append(db.session.get(User, moderator.user.id))
        db.session.add(group)
        db.session.commit()
    page = moderator.get("/account").get_data(as_text=True)
    assert "Groups you moderate" in page
    assert "Customs Group" in page
    assert "Moderator" in page


def test_details_and_preferences_are_saved(app, member):
    response = submit(member, "/account", profile("Amina D.", "fr", "Africa/Dakar"))

    assert response.status_code == 302
    user = user_row(app, member.user.id)
    assert (user.display_name, user.locale, user.timezone) == ("Amina D.", "fr", "Africa/Dakar")
    page = member.get("/account").get_data(as_text=True)
    assert '<html lang="fr">' in page  # the new language applies at once
    [updated] = audit_actions(app, "user_updated")
    assert updated.data["changed"] == ["display_name", "locale", "timezone"]


def test_saving_unchanged_details_records_nothing(app, member):
    submit(member, "/account", profile("Amina Diallo", "en", "UTC"))
    assert audit_actions(app, "user_updated") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"profile-timezone": "Europe/Atlantis"}, "Choose a time zone from the list."),
        ({"profile-locale": "xx"}, "Choose English, French or Spanish."),
        ({"profile-display_name": ""}, "This field is required."),
        ({"profile-display_name": "n" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_details_are_refused_and_nothing_changes(app, member, changes, message):
    response = submit(member, "/account", {**profile("Changed Name", "es", "America/Lima"), **changes})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    user = user_row(app, member.user.id)
    assert (user.display_name, user.locale, user.timezone) == ("Amina Diallo", "en", "UTC")
    assert audit_actions(app, "user_updated") == []


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, member):
    other_browser = app.test_client()
    login(other_browser, member.user.email, member.user.password)
    assert other_browser.get("/account").status_code == 200

    response = submit(member, "/account/password", password_change(member.user.password), form_page="/account")

    assert response.status_code == 302
    assert "Your password has been changed." in member.get("/account").get_data(as_text=True)
    assert member.get("/account").status_code == 200
    assert other_browser.get("/account").status_code == 302
    user = user_row(app, member.user.id)
    assert user.check_password(NEW_PASSWORD)
    [changed] = audit_actions(app, "password_changed")
    assert changed.actor_id == member.user.id
    login(app.test_client(), member.user.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda current: password_change("not my password"), "This is not your current password."),
        (lambda current: password_change(current, confirm="something else again"),
         "The two passwords are not the same."),
        (lambda current: password_change(current, new="short", confirm="short"), "Use between 10 and 256 characters."),
        (lambda current: password_change(current, new="", confirm=""), "This field is required."),
    ],
)
def test_bad_password_changes_are_refused_and_nothing_changes(app, member, data, message):
    other_browser = app.test_client()
    login(other_browser, member.user.email, member.user.password)

    response = submit(member, "/account/password", data(member.user.password), form_page="/account")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_row(app, member.user.id).check_password(member.user.password)
    assert audit_actions(app, "password_changed") == []
    assert other_browser.get("/account").status_code == 200


def test_the_new_password_may_not_be_the_email_address(app, member):
    email = member.user.email
    response = submit(member, "/account/password", password_change(member.user.password, new=email.upper()),
                      form_page="/account")
    assert response.status_code == 400
    assert "Your password must not be your email address." in response.get_data(as_text=True)


def test_the_password_form_is_post_only(member):
    assert member.get("/account/password").status_code == 405
