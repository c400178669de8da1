"""Security headers on every page type, error pages included; cookie flags; downloads never shown inline."""

from __future__ import annotations

import pytest

from config import TestConfig
from consult import create_app
from tests.helpers import submit
from tests.security.route_world import concrete_urls, people

# Responses a browser may show inline although they are not HTML pages, each with the reason.
SHOWN_INLINE = {
    "static": "the application's own stylesheets and scripts",
    "bootstrap.static": "Bootstrap's stylesheet and script",
    "site.healthz": "a plain-text 'ok' for load balancers",
}


def header_problems(response) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.strip().split(" ")[0]: part.strip() for part in csp.split(";") if part.strip()}
    script_src = directives.get("script-src") or directives.get("default-src", "")
    if not script_src or "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"script-src is {script_src!r}")
    if directives.get("frame-ancestors") != "frame-ancestors 'none'":
        problems.append(f"frame-ancestors is {directives.get('frame-ancestors')!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    return problems


def test_every_get_response_carries_the_headers_and_downloads_are_attachments(app, client_as):
    scene = people(app, client_as)
    failures, pages_by_blueprint, downloads = [], {}, 0
    for endpoint, path in concrete_urls(app, scene.world, "GET"):
        response = scene.admin.get(path)
        failures += [f"{path}: {problem}" for problem in header_problems(response)]
        if response.status_code != 200:
            continue
        if response.mimetype == "text/html":
            pages_by_blueprint.setdefault(endpoint.split(".")[0], path)
        elif endpoint not in SHOWN_INLINE:
            downloads += 1
            if not response.headers.get("Content-Disposition", "").startswith("attachment"):
                failures.append(f"{path} ({response.mimetype}) is not sent as an attachment")
    assert not failures, "\n".join(failures)
    blueprints = {name for name in app.blueprints if name != "bootstrap"}
    assert blueprints <= set(pages_by_blueprint), f"no page checked for {blueprints - set(pages_by_blueprint)}"
    assert downloads >= 15  # CSV, XLSX, JSON and DOCX exports, the original document, answer files


def _oversized(client, app):
    return client.post("/login", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)},
                       content_type="application/x-www-form-urlencoded")


def _too_many_logins(signed_in_client, app):
    client = app.test_client()  # the sign-in form is only shown to someone signed out
    for _ in range(10):
        response = submit(client, "/login", {"email": "nobody@example.org", "password": "wrong"})
        if response.status_code == 429:
            return response
    return response


ERROR_PAGES = {
    400: lambda client, app: client.post("/login", data={"email": "a@example.org"}),
    403: lambda client, app: client.get("/admin/audit/"),
    404: lambda client, app: client.get("/no-such-page"),
    405: lambda client, app: client.put("/login"),
    413: _oversized,
    429: _too_many_logins,
}


@pytest.mark.parametrize("status", sorted(ERROR_PAGES))
def test_error_pages_carry_the_headers(app, participant_client, status):
    response = ERROR_PAGES[status](participant_client, app)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert header_problems(response) == []


def test_the_500_page_carries_the_headers(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        PROPAGATE_EXCEPTIONS = False

    failing = create_app(Config)

    @failing.get("/_fail_for_headers_test")
    def fail():
        raise RuntimeError("boom")

    response = failing.test_client().get("/_fail_for_headers_test")
    assert response.status_code == 500
    assert header_problems(response) == []


def test_sign_in_cookies_are_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = submit(client, "/login", {"email": user.email, "password": user.password, "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookies = [cookie for cookie in cookies if cookie.startswith(("session=", "remember_token="))]
    assert {cookie.split("=")[0] for cookie in session_cookies} == {"session", "remember_token"}
    for cookie in session_cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
