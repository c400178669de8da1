"""Headers, cookies, CSRF, size limits and error pages."""

from __future__ import annotations

import pytest

from config import ProductionConfig, TestConfig
from consult import create_app
from tests.helpers import submit


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_session_cookie_is_httponly_and_samesite_lax(client):
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_marks_cookies_secure(monkeypatch, database_url):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 48)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", database_url)
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_form_without_csrf_token_is_refused_with_a_clear_page(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_oversized_request_gets_413_in_the_persons_language(app, client):
    submit(client, "/language", {"locale": "fr"}, form_page="/")
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data={"email": too_big}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'lang="fr"' in page and "Trop volumineux" in page


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Page not found"), ("fr", "Page introuvable"), ("es", "Página no encontrada")],
)
def test_not_found_page_in_three_languages(client, locale, expected):
    submit(client, "/language", {"locale": locale}, form_page="/")
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert expected in response.get_data(as_text=True)


def test_wrong_method_gets_405_with_allow_header(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "Method not allowed" in response.get_data(as_text=True)


def test_admin_pages_answer_403_to_participants(participant_client):
    response = participant_client.get("/admin/audit/")
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_unexpected_error_renders_500_page_without_details(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        PROPAGATE_EXCEPTIONS = False

    app = create_app(Config)

    @app.get("/_boom_for_test")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/_boom_for_test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "secret internal detail" not in page
