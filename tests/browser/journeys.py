"""Shared steps for the browser journeys: the three interface languages, switching language as a person
does, reading the expected text from the compiled catalogs, and the end-of-journey checks."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext, ngettext

from tests.browser.conftest import sync_api

expect = sync_api.expect

LANGUAGES = pytest.mark.parametrize("locale", ["en", "fr", "es"])


def translated(app, locale: str, message: str, same_word: bool = False, plural: str | None = None,
               **params) -> str:
    """`message` (with `plural`, for `params["num"]`) as the compiled catalog of `locale` renders it. French and
    Spanish must really differ from English (proof that the page is in that language), unless `same_word`
    (e.g. "Consultations" is the same word in French)."""

    def render(code: str) -> str:
        with app.test_request_context(), force_locale(code):
            if plural is None:
                return gettext(message, **params)
            return ngettext(message, plural, **params)

    text = render(locale)
    if locale != "en" and not same_word:
        assert text != render("en"), f"{message!r} is not translated into {locale}"
    return text


def switch_language(page, locale: str) -> None:
    """Press the language button in the header, as a person would, and wait for the page in that language."""
    page.locator(f"form.language-switcher button[value={locale}]").click()
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator(f"form.language-switcher button[value={locale}]")).to_have_attribute("aria-pressed", "true")


def expect_flash(page, text: str) -> None:
    expect(page.locator(".flash-messages")).to_contain_text(text)


def watched_page(context):
    """A new page in `context` (a second person's browser) recording dialogs and console errors like `page`."""
    opened = context.new_page()
    opened.dialogs = []
    opened.console_errors = []

    def on_dialog(dialog):
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("console", lambda message: opened.console_errors.append(message.text)
              if message.type == "error" else None)
    opened.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    return opened


def assert_quiet(page) -> None:
    """No JavaScript dialog opened and nothing went wrong in the console during the journey."""
    assert page.dialogs == []
    assert page.console_errors == []
