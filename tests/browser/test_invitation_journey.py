"""Joining by invitation, in each interface language: an administrator invites a delegate through the form,
the email (kept in the outbox) carries the link, and the delegate opens it, chooses a password and is in."""

from __future__ import annotations

import re

from sqlalchemy import select

from consult.directory.models import User
from consult.extensions import db
from tests.browser.conftest import sign_in
from tests.browser.journeys import (
    LANGUAGES,
    assert_quiet,
    expect,
    expect_flash,
    switch_language,
    translated,
    watched_page,
)
from tests.conftest import DEFAULT_PASSWORD
from tests.helpers import create_organization, create_user

INVITEE = "ines.garcia@aduana.example"
NEW_PASSWORD = "a long and careful passphrase 2026"
NAME = "Inés García-Lefèvre"


def stored_invitee(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == INVITEE))
        if user is None:
            return None
        return (user.display_name, user.role, user.organization_id, user.locale, user.check_password(NEW_PASSWORD))


@LANGUAGES
def test_an_invited_delegate_sets_a_password_and_is_signed_in(app, live_server, page, browser, locale):
    with app.app_context():
        admin = create_user(role="admin", password=DEFAULT_PASSWORD)
        organization = create_organization(name="Agencia Estatal de Administración Tributaria", country="ES")

    # The administrator invites the delegate, in the chosen language.
    sign_in(page, live_server, admin.email, admin.password)
    switch_language(page, locale)
    page.get_by_role("link", name=translated(app, locale, "Invitations", same_word=True), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Invitations", same_word=True))
    page.fill("#email", INVITEE)
    page.select_option("#role", "participant")
    page.select_option("#organization", label=organization.name)
    page.select_option("#locale", locale)
    page.get_by_role("button", name=translated(app, locale, "Send the invitation")).click()
    expect_flash(page, translated(app, locale, "An invitation has been sent to %(email)s.", email=INVITEE))

    # The email, read in the outbox, is written in the invitation's language and holds the link.
    page.get_by_role("link", name=translated(app, locale, "Outbox"), exact=True).click()
    page.locator(f"tr:has-text('{INVITEE}') a").click()
    body = page.locator("pre.outbox-body").inner_text()
    assert translated(app, locale, "To accept and choose your password, open this link:") in body
    links = re.findall(r"http://\S+/invitations/accept/\S+", body)
    assert len(links) == 1 and links[0].startswith(live_server), body
    assert stored_invitee(app) is None

    # The invitee, in a browser of their own, opens the link.
    invitee_context = browser.new_context(locale="en-GB")
    try:
        invitee = watched_page(invitee_context)
        invitee.goto(links[0])
        if locale != "en":
            switch_language(invitee, locale)
        expect(invitee.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Set up your account"))
        expect(invitee.locator("main")).to_contain_text(organization.name)
        invitee.fill("#display_name", NAME)
        invitee.fill("#password", NEW_PASSWORD)
        invitee.fill("#confirm", NEW_PASSWORD)
        invitee.get_by_role("button", name=translated(app, locale, "Create my account")).click()

        expect_flash(invitee, translated(app, locale, "Welcome to Consult, %(name)s. Your account is ready.",
                                         name=NAME))
        header = invitee.locator("header")
        expect(header.get_by_role("link", name=NAME)).to_be_visible()
        expect(header.get_by_role("button", name=translated(app, locale, "Sign out"))).to_be_visible()
        expect(invitee.locator("html")).to_have_attribute("lang", locale)
        assert stored_invitee(app) == (NAME, "participant", organization.id, locale, True)

        # Signed in for real: a page for members only opens.
        invitee.get_by_role("link", name=translated(app, locale, "Consultations", same_word=True), exact=True).click()
        assert "/login" not in invitee.url

        assert_quiet(invitee)

        # The link worked once.
        reused = invitee.goto(links[0])
        assert 400 <= reused.status < 500
        expect(invitee.get_by_role("heading", level=1)).not_to_have_text(
            translated(app, locale, "Set up your account"))
        assert invitee.locator("#password").count() == 0
    finally:
        invitee_context.close()
    assert_quiet(page)
