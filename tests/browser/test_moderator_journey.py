"""A moderator's work, in each interface language: create a consultation through the forms, publish it,
and approve a delegate's comment that pre-moderation held back."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from consult.comments.models import Comment
from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import utcnow
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
from tests.factories import create_group
from tests.helpers import create_organization, create_user

TITLE = {"en": "Small parcels and e-commerce", "fr": "Petits colis et commerce électronique",
         "es": "Paquetes pequeños y comercio electrónico"}
SUMMARY = {"en": "How couriers report suspect parcels.", "fr": "Comment les transporteurs signalent les colis.",
           "es": "Cómo señalan los transportistas los paquetes."}
COMMENT = {"en": "Couriers need one contact point.", "fr": "Les transporteurs ont besoin d'un point de contact.",
           "es": "Los transportistas necesitan un punto de contacto."}


def consultation_row(app):
    with app.app_context():
        consultation = db.session.scalar(select(Consultation))
        if consultation is None:
            return None
        return (consultation.title.texts, consultation.title.original, consultation.group_id,
                consultation.moderation_mode, consultation.time_zone, consultation.opens_at, consultation.closes_at,
                consultation.published_at, consultation.slug)


def comment_rows(app):
    with app.app_context():
        return [(c.id, c.body, c.status) for c in db.session.scalars(select(Comment))]


@LANGUAGES
def test_a_moderator_creates_publishes_and_moderates_a_consultation(app, live_server, page, browser, locale):
    with app.app_context():
        moderator = create_user(role="moderator", password=DEFAULT_PASSWORD)
        organization = create_organization(name="Correos de España")
        delegate = create_user(password=DEFAULT_PASSWORD, organization_id=organization.id)
        group = create_group(name="E-commerce working group", organization_ids=[organization.id],
                             moderator_ids=[moderator.id])
        create_group(name="Another group")  # not moderated by this moderator: not offered

    sign_in(page, live_server, moderator.email, moderator.password)
    switch_language(page, locale)

    # A new consultation through the form.
    page.get_by_role("navigation", name=translated(app, locale, "Main")).get_by_role(
        "link", name=translated(app, locale, "Consultations", same_word=True)).click()
    page.get_by_role("link", name=translated(app, locale, "New consultation")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "New consultation"))
    expect(page.locator("#group_id option")).to_have_text(["E-commerce working group"])
    page.select_option("#original_locale", locale)
    page.fill(f"#title_{locale}", TITLE[locale])
    page.fill(f"#summary_{locale}", SUMMARY[locale])
    page.fill(f"#body_{locale}", "**" + SUMMARY[locale] + "**")
    page.select_option("#group_id", label="E-commerce working group")
    zone = ZoneInfo("Europe/Paris")
    opens = (datetime.now(zone) - timedelta(days=1)).replace(second=0, microsecond=0, tzinfo=None)
    closes = opens + timedelta(days=21)
    page.fill("#opens_at", opens.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#closes_at", closes.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#time_zone", "Europe/Paris")
    page.check("#moderation_mode-0")  # pre-moderation
    page.get_by_role("button", name=translated(app, locale, "Save as a draft")).click()

    expect_flash(page, translated(
        app, locale, "The consultation is saved as a draft. Only its managers see it until it is published."))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE[locale])
    texts, original, group_id, mode, time_zone, opens_at, closes_at, published_at, slug = consultation_row(app)
    assert (texts[locale], original, group_id, mode, time_zone) == (TITLE[locale], locale, group.id, "pre",
                                                                      "Europe/Paris")
    assert opens_at.astimezone(zone).replace(tzinfo=None) == opens
    assert closes_at.astimezone(zone).replace(tzinfo=None) == closes
    assert published_at is None

    # Publishing it.
    page.get_by_role("link", name=translated(app, locale, "Publish") + "…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Publish the consultation"))
    page.locator("textarea[name=reason], input[name=reason]").fill("Documents ready / documents prêts")
    page.get_by_role("button", name=translated(app, locale, "Publish"), exact=True).click()
    expect_flash(page, translated(app, locale, "The consultation is published."))
    published_at = consultation_row(app)[7]
    assert published_at is not None and published_at <= utcnow()

    # A delegate comments; pre-moderation holds the comment back.
    delegate_context = browser.new_context(locale="en-GB")
    try:
        delegate_page = watched_page(delegate_context)
        sign_in(delegate_page, live_server, delegate.email, delegate.password)
        delegate_page.goto(f"{live_server}/consultations/{slug}")
        delegate_page.fill("#general-body", COMMENT[locale])
        delegate_page.locator("#discussion button[type=submit]:not([name])").click()
        expect_flash(delegate_page, translated(app, "en", "Your comment is saved and awaiting moderation. "
                                               "It will appear once a moderator approves it."))
        [(comment_id, body, status)] = comment_rows(app)
        assert (body, status) == (COMMENT[locale], "pending")

        # The moderator approves it from the queue.
        page.get_by_role("link", name=translated(app, locale, "Moderation"), exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Moderation queue"))
        row = page.locator(f"#comment-{comment_id}")
        expect(row).to_contain_text(COMMENT[locale])
        row.get_by_role("button", name=translated(app, locale, "Approve")).click()
        expect_flash(page, translated(app, locale, "The comment is approved and published."))
        assert comment_rows(app) == [(comment_id, COMMENT[locale], "published")]

        # Everyone in the consultation now reads it.
        delegate_page.reload()
        expect(delegate_page.locator(f"#comment-{comment_id} .comment-body")).to_have_text(COMMENT[locale])
        assert_quiet(delegate_page)
    finally:
        delegate_context.close()
    assert_quiet(page)
