"""axe-core finds no WCAG 2.1 A or AA violation on any page, in English, French or Spanish.

Every GET route of the url_map is opened in Chromium by a person the authorization table lets in (a
reader, and a manager where managers see more), after that person picked the language with the switcher
in the page header. Pages that only exist in a state — a form sent back with errors, a survey submitted
with a required answer missing, the 403 and 404 pages, public results, an import under way — are reached
the way a person reaches them. A GET route that is neither checked nor listed in `NOT_A_PAGE` with a
reason fails `test_every_page_route_is_checked`.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import url_for
from werkzeug.exceptions import HTTPException

from consult.extensions import limiter
from consult.i18n import utcnow
from tests.browser.a11y_support import (
    LANGUAGES,
    NOT_A_PAGE,
    describe,
    page_rules,
    personas_for,
    run_axe,
    unmarked_english,
)
from tests.browser.conftest import sign_in
from tests.factories import create_comment, create_consultation
from tests.security.matrix_support import PASSWORD, build_world, url_values
from tests.surveys.factories import create_survey
from tests.surveys.test_answer_support import EVERY_TYPE
from tests.surveys.test_responses_support import add_response

# Routes whose page exists only in a state the world does not start in; `_check_states` reaches each.
REACHED_THROUGH_A_STATE = {
    "exports.results": "public results of a closed public consultation",
    "exports.results_comments": "public results of a closed public consultation",
    "exports.results_preview_comments": "the managers' preview of a public consultation's comments",
    "surveys.review": "the review step of a draft response",
    "directory.import_result": "the result of a participant import",
}
REQUIRED_QUESTION = "Which customs procedures apply?"


def test_every_page_route_is_checked(app):
    """Each GET route is a checked page, a state reached below, or a download/redirect with a reason."""
    for rule in page_rules(app):
        if rule.endpoint in REACHED_THROUGH_A_STATE:
            continue
        assert personas_for(rule.endpoint), (
            f"{rule.endpoint}: nobody gets a 200 in the authorization table; reach it through a state in "
            f"test_accessibility.py or list it in a11y_support.NOT_A_PAGE with a reason")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted((NOT_A_PAGE.keys() | REACHED_THROUGH_A_STATE.keys()) - endpoints)
    assert not stale, f"exclusions for routes that no longer exist: {stale}"


def test_the_checks_find_what_they_look_for(page):
    """The harness itself: axe reports a known WCAG failure, and unmarked English on a French page is found."""
    page.set_content('<!doctype html><html lang="fr"><head><title>Essai</title></head><body><main>'
                     '<h1>Essai</h1><img src="data:,"><p>First paragraph.</p><p lang="en">Second paragraph.</p>'
                     "<p>Modifier « Document 3 »</p></main></body></html>")
    assert "image-alt" in {violation["id"] for violation in run_axe(page)}
    assert unmarked_english(page) == ["p: First paragraph."]


class Visitor:
    """One browser profile per person, signed in once, speaking the language of the test."""

    def __init__(self, app, browser, base: str, world, language: str):
        self.browser, self.base, self.world, self.language = browser, base, world, language
        self.adapter = app.url_map.bind("127.0.0.1")
        self.contexts: dict[str, object] = {}
        self.pages: dict[str, object] = {}
        self.problems: list[str] = []
        self.checked = 0
        self.endpoints: set[str] = set()  # the routes of the pages checked

    def page(self, persona: str):
        if persona not in self.pages:
            context = self.browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(15_000)
            page = context.new_page()
            if persona != "anonymous":
                limiter.reset()  # the login rate limit is not under test here
                sign_in(page, self.base, self.world.users[persona].email, PASSWORD)
            else:
                page.goto(self.base + "/")
            # As a person would: the language switcher in the page header.
            page.locator(f"form.language-switcher button[value={self.language}]").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == self.language
            self.contexts[persona], self.pages[persona] = context, page
        return self.pages[persona]

    def close(self):
        for context in self.contexts.values():
            context.close()

    def check(self, persona: str, label: str, path: str | None = None, status: int = 200):
        """Open `path` (or stay on the current page) as `persona` and record axe's violations."""
        page = self.page(persona)
        if path is not None:
            response = page.goto(self.base + path)
            assert response is not None and response.status == status, (
                f"{label}: {path} answered {response and response.status}, expected {status}")
            content_type = response.headers.get("content-type", "")
            assert content_type.startswith("text/html"), (
                f"{label}: {path} is {content_type}, not a page; list it in a11y_support.NOT_A_PAGE with a reason")
        assert page.locator("html").get_attribute("lang") == self.language, f"{label}: page not in {self.language}"
        self.checked += 1
        with contextlib.suppress(HTTPException):
            self.endpoints.add(self.adapter.match(urlsplit(page.url).path, method="GET")[0])
        self.problems.extend(describe(run_axe(page), f"{label} [{self.language}] {page.url}"))
        if self.language != "en":
            self.problems.extend(f"[language-of-parts] {label} [{self.language}] {page.url}: English without "
                                 f'lang="en" in {where}' for where in unmarked_english(page))


def _public_results(app, world) -> SimpleNamespace:
    """A closed public consultation of the same group, its results published, with a comment and a response."""
    with app.app_context():
        author_id = world.users["participant_audience"].id
        consultation = create_consultation(world.ids["group_id"], state="closed", results_published_at=utcnow())
        create_comment(consultation.id, author_id, body="Published with the results.")
        survey = create_survey(consultation.id, questions=[{"type": "yes_no", "code": "Q1", "label": "Agree?"}])
        add_response(survey.id, author_id, status="submitted", answers={"Q1": "yes"})
        return SimpleNamespace(slug=consultation.slug)


def _survey_with_a_required_question(app, world) -> int:
    with app.app_context():
        survey = create_survey(world.main.id, title="Procedures", questions=[
            {"type": "short_text", "code": "R1", "label": REQUIRED_QUESTION, "required": True},
            {"type": "long_text", "code": "R2", "label": "Anything else?"},
        ])
        return survey.id


def _path(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.fixture
def world(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # the finished export job's file
    built = build_world(app)
    author_id = built.users["participant_audience"].id
    with app.app_context():
        # Something in the moderation queue, and a survey with a question of every type, answered.
        create_comment(built.main.id, author_id, body="Awaiting a moderator.", status="pending")
        survey = create_survey(built.main.id, title="Every type", questions=EVERY_TYPE)
        built.every_type = SimpleNamespace(id=survey.id, response_id=add_response(
            survey.id, author_id, status="submitted",
            answers={"NAME": "Douane", "VIEW": "Fine.", "ROLE": "c", "TOOLS": ["a", "b"], "SEIZE": "yes"}))
    return built


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_wcag_violation_on_any_page(app, live_server, browser, world, language):
    visitor = Visitor(app, browser, live_server, world, language)
    try:
        _check_routes(app, visitor, world)
        _check_states(app, visitor, world)
    finally:
        visitor.close()
    unchecked = sorted({rule.endpoint for rule in page_rules(app)} - visitor.endpoints)
    assert not unchecked, f"pages never checked: {unchecked}"
    assert not visitor.problems, (
        f"{len(visitor.problems)} WCAG 2.1 A/AA violations on {visitor.checked} pages in {language}:\n"
        + "\n".join(visitor.problems))


def _check_routes(app, visitor: Visitor, world) -> None:
    for rule in page_rules(app):
        if rule.endpoint in REACHED_THROUGH_A_STATE:
            continue
        with app.test_request_context():
            path = url_for(rule.endpoint, **url_values(rule, world))
        for persona in personas_for(rule.endpoint):
            visitor.check(persona, f"{rule.endpoint} as {persona}", path)


def _check_states(app, visitor: Visitor, world) -> None:
    main = world.main
    public = _public_results(app, world)
    required_survey = _survey_with_a_required_question(app, world)
    with app.app_context():
        draft_survey = create_survey(main.id, title="Draft", published=False).id

    # A question of every type: to answer, previewed, answered, and a number out of bounds.
    every = world.every_type
    visitor.check("participant_audience", "every question type, answered",
                  _path(app, "surveys.answer", slug=main.slug, survey_id=every.id))
    visitor.check("moderator_this_group", "every question type, previewed",
                  _path(app, "surveys.builder_preview", slug=main.slug, survey_id=every.id))
    visitor.check("moderator_this_group", "every question type, a response",
                  _path(app, "surveys.response", slug=main.slug, survey_id=every.id, response_id=every.response_id))
    visitor.check("participant_audience", "every question type, printed",
                  _path(app, "surveys.print_copy", slug=main.slug, survey_id=every.id))
    page = visitor.page("participant_other_org")
    page.goto(visitor.base + _path(app, "surveys.answer", slug=main.slug, survey_id=every.id))
    visitor.check("participant_other_org", "every question type, to answer")
    page.get_by_label("Seizures last year").fill("-5")
    page.locator("#survey-form button[value=save]").click()
    page.wait_for_load_state()
    assert page.locator(".is-invalid").count() > 0, "the number out of bounds was not reported"
    visitor.check("participant_other_org", "every question type, saved with an error")

    # Error pages.
    visitor.check("anonymous", "404 page", "/no-such-page", status=404)
    visitor.check("participant_audience", "404 page", "/consultations/no-such-consultation", status=404)
    visitor.check("participant_audience", "403 page", _path(app, "consultations.edit", slug=main.slug), status=403)

    # Public results, and the managers' preview of the comments published with them.
    visitor.check("anonymous", "exports.results", _path(app, "exports.results", slug=public.slug))
    visitor.check("anonymous", "exports.results_comments", _path(app, "exports.results_comments", slug=public.slug))
    visitor.check("moderator_this_group", "exports.results_preview_comments",
                  _path(app, "exports.results_preview_comments", slug=public.slug))

    # A survey sent for review with its required question unanswered: the problems are listed, linked to it.
    page = visitor.page("participant_other_org")
    page.goto(visitor.base + _path(app, "surveys.answer", slug=main.slug, survey_id=required_survey))
    page.locator("#survey-form button[value=review]").last.click()
    page.wait_for_url(lambda url: url.endswith("/review"))
    assert page.locator("#form-errors").count() == 1, "the missing answer was not reported"
    visitor.check("participant_other_org", "survey review with a required answer missing")

    # Back to the answers, the required one given: the review step, ready to submit.
    page.locator("form button[value=edit]").click()
    page.wait_for_url(lambda url: "/review" not in url)
    visitor.check("participant_other_org", "survey answers after the review")
    page.get_by_label(REQUIRED_QUESTION).fill("Transit and warehousing.")
    page.locator("#survey-form button[value=review]").last.click()
    page.wait_for_url(lambda url: url.endswith("/review"))
    assert page.locator("#form-errors").count() == 0
    visitor.check("participant_other_org", "surveys.review")

    # A comment posted empty comes back with the error next to the field.
    page = visitor.page("participant_audience")
    page.goto(visitor.base + _path(app, "comments.new", slug=main.slug))
    page.locator("form.comment-form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".is-invalid").count() > 0, "the empty comment was not reported"
    visitor.check("participant_audience", "comment form with a validation error")

    # A participant import: a file with an error, then a good file, its preview and its result.
    page = visitor.page("admin")
    page.goto(visitor.base + _path(app, "directory.import_participants"))
    page.set_input_files("input[type=file]", files=[{"name": "people.csv", "mimeType": "text/csv",
                                                      "buffer": b"email,name\nnot-an-address,Somebody\n"}])
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state()
    visitor.check("admin", "import with an invalid file")
    page.goto(visitor.base + _path(app, "directory.import_participants"))
    csv = (b"email,name,organization,country,stakeholder type\n"
           b"new.delegate@example.org,New Delegate,Customs of Somewhere,FR,customs\n")
    page.set_input_files("input[type=file]", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv}])
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state()
    visitor.check("admin", "import preview")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/result" in url)
    visitor.check("admin", "directory.import_result")

    # Export and report choices that cannot be used: the form, the download and the report say which.
    bad = "?date_from=not-a-date"
    visitor.check("staff", "export form with an error", _path(app, "exports.export_index", slug=main.slug) + bad,
                  status=400)
    visitor.check("staff", "export download refused",
                  _path(app, "exports.export_comments", slug=main.slug, ext="csv") + bad, status=400)
    visitor.check("staff", "report with an invalid choice", _path(app, "exports.report", slug=main.slug) + bad,
                  status=400)

    # Publishing a survey whose translations are missing asks for confirmation first.
    page = visitor.page("moderator_this_group")
    page.goto(visitor.base + _path(app, "surveys.builder", slug=main.slug, survey_id=draft_survey))
    page.locator(f"form[action$='/surveys/{draft_survey}/publish'] button").click()
    page.wait_for_load_state()
    assert page.url.endswith("/publish"), page.url
    visitor.check("moderator_this_group", "survey publication with missing translations")

    # Changing one's password with a wrong current password: the account page says so next to the field.
    page = visitor.page("participant_audience")
    limiter.reset()
    page.goto(visitor.base + _path(app, "auth.account"))
    page.fill("#password-current_password", "not my password")
    page.fill("#password-password", "a new long enough password")
    page.fill("#password-confirm", "a new long enough password")
    page.locator("form:has(#password-current_password) button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#password-current_password.is-invalid").count() == 1, "the wrong password was not reported"
    visitor.check("participant_audience", "account page with a password error")

    # A password-reset link that is not valid, then asking for a new one.
    visitor.check("anonymous", "password-reset link unavailable",
                  _path(app, "auth.reset_password", token="not-a-valid-token"), status=404)
    page = visitor.page("anonymous")
    limiter.reset()
    page.goto(visitor.base + _path(app, "auth.request_password_reset"))
    page.fill("#email", world.users["participant_other_type"].email)
    page.locator("form:has(#email) button[type=submit]").click()
    page.wait_for_load_state()
    visitor.check("anonymous", "password reset requested")

    # Signing in with a wrong password: the form comes back with its error.
    page = visitor.page("anonymous")
    limiter.reset()
    page.goto(visitor.base + "/login")
    page.fill("#email", world.users["staff"].email)
    page.fill("#password", "not the password")
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#password").count() == 1
    visitor.check("anonymous", "login form with an error")
