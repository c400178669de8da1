"""Forgotten password: a link by email, single use, one hour, no hint whether an account exists."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from consult.auth.tokens import PASSWORD_RESET_SALT, make_password_reset_token, password_fingerprint
from consult.directory.models import User
from consult.extensions import db
from consult.mail import OutboxMessage
from tests.auth.support import RESET_LINK, audit_actions, link_in, outbox
from tests.helpers import count, login, submit

NEW_PASSWORD = "quiet river copper kettle"
SAME_ANSWER = "If an account exists for that address, we have sent a link to choose a new password."


def ask_for_link(client, email: str):
    return submit(client, "/password/reset", {"email": email})


def main_content(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r"<main.*</main>", page, re.S).group(0)


@pytest.fixture
def person(make_user):
    return make_user(email="forgetful@example.org", locale="es")


@pytest.fixture
def reset_path(app, client, person) -> str:
    ask_for_link(client, person.email)
    [message] = outbox(app)
    return link_in(message.body, RESET_LINK)


def test_the_request_form_is_linked_from_the_sign_in_page(client):
    assert 'href="/password/reset"' in client.get("/login").get_data(as_text=True)
    assert client.get("/password/reset").status_code == 200


def test_an_active_account_receives_a_link(app, client, person):
    response = ask_for_link(client, "Forgetful@Example.org ")

    assert response.status_code == 200
    assert SAME_ANSWER in response.get_data(as_text=True)
    [message] = outbox(app)
    assert message.recipient == "forgetful@example.org"
    assert message.subject == "Restablezca su contraseña de Consult"  # in the person's language
    assert link_in(message.body, RESET_LINK).startswith("/password/reset/")


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(app, client, person):
    known = ask_for_link(client, person.email)
    unknown = ask_for_link(client, "nobody@example.org")

    assert unknown.status_code == known.status_code == 200
    assert main_content(unknown) == main_content(known)
    assert [message.recipient for message in outbox(app)] == [person.email]


def test_a_disabled_account_gets_the_same_answer_and_nothing_is_sent(app, client, make_user):
    disabled = make_user(email="disabled@example.org", active=False)

    response = ask_for_link(client, disabled.email)

    assert SAME_ANSWER in response.get_data(as_text=True)
    assert outbox(app) == []


def test_the_email_is_in_the_account_language(app, translated_app, make_user):
    french = make_user(email="francoise@example.org", locale="fr")
    client = translated_app.test_client()

    submit(client, "/password/reset", {"email": french.email})

    [message] = outbox(app)
    assert message.subject == "Réinitialisez votre mot de passe Consult"


def test_a_malformed_address_is_a_400_with_the_error_next_to_the_field(app, client):
    response = ask_for_link(client, "not an address")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'value="not an address"' in page
    with app.app_context():
        assert count(OutboxMessage) == 0


def test_requests_are_rate_limited(app, client):
    statuses = [ask_for_link(client, f"nobody{number}@example.org").status_code for number in range(6)]
    assert statuses == [200] * 5 + [429]


def test_the_link_sets_a_new_password_and_signs_the_person_in(app, reset_path, person):
    browser = app.test_client()
    assert browser.get(reset_path).status_code == 200

    response = submit(browser, reset_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    home = browser.get("/").get_data(as_text=True)
    assert "Su contraseña se ha cambiado y su sesión está iniciada." in home  # the account's language
    assert browser.get("/account").status_code == 200
    with app.app_context():
        user = db.session.get(User, person.id)
        assert user.check_password(NEW_PASSWORD)
        assert not user.check_password(person.password)
    assert [event.target_id for event in audit_actions(app, "password_reset")] == [person.id]


def test_the_link_works_only_once(app, reset_path):
    browser = app.test_client()
    submit(browser, reset_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    again = app.test_client().get(reset_path)

    assert again.status_code == 410
    page = again.get_data(as_text=True)
    assert "This password reset link has already been used" in page
    assert 'href="/password/reset"' in page


def test_a_reset_ends_every_session_signed_in_before(app, reset_path, person):
    elsewhere = app.test_client()
    login(elsewhere, person.email, person.password)
    assert elsewhere.get("/account").status_code == 200

    submit(app.test_client(), reset_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert elsewhere.get("/account").status_code == 302


def test_an_expired_link_is_refused(app, client, person):
    class SignedTwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 3600

    with app.app_context():
        user = db.session.get(User, person.id)
        serializer = URLSafeTimedSerializer(app.secret_key, salt=PASSWORD_RESET_SALT, signer=SignedTwoHoursAgo)
        token = serializer.dumps({"user": user.id, "password": password_fingerprint(user)})

    response = client.get(f"/password/reset/{token}")

    assert response.status_code == 410
    assert "This password reset link has expired" in response.get_data(as_text=True)
    posted = submit(client, f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                    form_page="/")
    assert posted.status_code == 410
    with app.app_context():
        assert db.session.get(User, person.id).check_password(person.password)


def test_a_tampered_or_foreign_link_is_not_valid(app, client, reset_path, person):
    token = reset_path.rsplit("/", 1)[1]
    with app.app_context():
        foreign = URLSafeTimedSerializer("another-secret", salt=PASSWORD_RESET_SALT).dumps({"user": person.id})
        other_salt = URLSafeTimedSerializer(app.secret_key, salt="other").dumps({"user": person.id})

    for bad in (token[:-3] + "abc", foreign, other_salt, "garbage"):
        response = client.get(f"/password/reset/{bad}")
        assert response.status_code == 404, bad
        assert "This password reset link is not valid" in response.get_data(as_text=True)


def test_a_link_for_an_account_disabled_since_is_not_valid(app, client, reset_path, person):
    with app.app_context():
        db.session.get(User, person.id).active = False
        db.session.commit()
    assert client.get(reset_path).status_code == 404


def test_bad_new_passwords_are_refused_and_nothing_changes(app, reset_path, person):
    browser = app.test_client()
    cases = [
        ({"password": NEW_PASSWORD, "confirm": "different words here"}, "The two passwords are not the same."),
        ({"password": "short", "confirm": "short"}, "Use between 10 and 256 characters."),
        ({"password": person.email, "confirm": person.email}, "Your password must not be your email address."),
        ({"password": "", "confirm": ""}, "This field is required."),
    ]
    for data, message in cases:
        response = submit(browser, reset_path, data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    with app.app_context():
        assert db.session.get(User, person.id).check_password(person.password)
    assert audit_actions(app, "password_reset") == []
    assert browser.get(reset_path).status_code == 200  # the link still works after mistakes


def test_a_passwordless_imported_account_can_set_its_first_password(app, make_user):
    imported = make_user(password=None, email="imported@example.org")
    with app.app_context():
        token = make_password_reset_token(db.session.get(User, imported.id))
    browser = app.test_client()

    assert submit(browser, f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                  ).status_code == 302
    assert browser.get(f"/password/reset/{token}").status_code == 410
