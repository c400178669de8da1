"""Signing in and out: uniform failures, fresh sessions, ending every session, rate limits."""

from __future__ import annotations

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.extensions import db
from tests.helpers import csrf_token, login, submit


def _audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_lands_home_with_a_welcome(client, make_user):
    user = make_user(display_name="Amina Diallo")
    response = submit(client, "/login", {"email": user.email.upper(), "password": user.password})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Welcome, Amina Diallo" in page


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client, make_user):
    user = make_user()
    wrong = submit(client, "/login", {"email": user.email, "password": "not the password"})
    unknown = submit(client, "/login", {"email": "nobody@example.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    message = "The email address or password is not correct."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    # The email stays in the form; the password does not come back.
    assert f'value="{user.email}"' in wrong.get_data(as_text=True)
    assert "not the password" not in wrong.get_data(as_text=True)
    assert _audit_actions(app) == ["login_failed", "login_failed"]


def test_deactivated_account_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    response = submit(client, "/login", {"email": user.email, "password": user.password})
    assert response.status_code == 401


def test_empty_form_is_a_400_with_field_errors(client):
    response = submit(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and 'aria-describedby="email-error"' in page


def test_login_starts_a_fresh_session_keeping_only_the_language(client, make_user):
    user = make_user()
    submit(client, "/language", {"locale": "fr"}, form_page="/")
    with client.session_transaction() as session:
        session["planted"] = "attacker-chosen value"
    login(client, user.email, user.password)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "fr"
        assert session["_user_id"].startswith(f"{user.id}:")


def test_next_parameter_only_redirects_within_the_site(client, make_user):
    user = make_user()
    response = submit(client, "/login", {"email": user.email, "password": user.password,
                                         "next": "https://evil.example/steal"})
    assert response.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = submit(client, "/login", {"email": user.email, "password": user.password, "next": "/account"})
    assert response.headers["Location"] == "/account"


def test_logout_ends_every_session_of_the_user(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user.email, user.password)
    login(phone, user.email, user.password, remember="y")
    assert phone.get("/account").status_code == 200

    response = laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/")})
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 302
    # The other device, remember-me cookie and all, is signed out too.
    assert phone.get("/account").status_code == 302
    assert "logout" in _audit_actions(app)


def test_logout_requires_post_with_csrf(participant_client):
    assert participant_client.get("/logout").status_code == 405
    assert participant_client.post("/logout").status_code == 400
    assert participant_client.get("/account").status_code == 200


def test_remember_me_survives_the_end_of_the_browser_session(app, make_user):
    user = make_user()
    client = app.test_client()
    login(client, user.email, user.password, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    client.delete_cookie("session")  # the browser was closed
    assert client.get("/account").status_code == 200


def test_login_attempts_are_limited_with_a_clear_message(client, make_user):
    user = make_user()
    for _ in range(5):
        assert submit(client, "/login", {"email": user.email, "password": "wrong password"}).status_code == 401
    blocked = submit(client, "/login", {"email": user.email, "password": user.password})
    assert blocked.status_code == 429
    assert "too many attempts" in blocked.get_data(as_text=True).lower()


def test_rate_limit_message_is_in_the_persons_language(client, make_user):
    user = make_user()
    submit(client, "/language", {"locale": "es"}, form_page="/")
    for _ in range(5):
        submit(client, "/login", {"email": user.email, "password": "wrong password"})
    blocked = submit(client, "/login", {"email": user.email, "password": "wrong password"})
    assert blocked.status_code == 429
    assert 'lang="es"' in blocked.get_data(as_text=True)
    assert "Too many attempts" not in blocked.get_data(as_text=True)
