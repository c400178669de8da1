"""The comment journey and the survey journey with the keyboard alone, in each interface language.

No mouse and no filling of fields by the test: only Tab, Shift+Tab, Enter, Space, arrow keys and typing,
as a person who cannot use a mouse works. Each focused control must show that it has the focus.
"""

from __future__ import annotations

from sqlalchemy import select

from consult.comments.models import Comment
from consult.extensions import db
from tests.browser.journeys import LANGUAGES, assert_quiet, expect, expect_flash, translated
from tests.browser.test_participant_journey import (
    ADMINISTRATION,
    COMMENT,
    PARAGRAPHS,
    TITLE,
    WORDING,
    make_delegate_world,
    stored_responses,
)

FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return element.matches(':focus-visible') && (outlined || style.boxShadow !== 'none');
}"""


def focus_is(page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector)


def press_until(page, selector: str, key: str = "Tab", limit: int = 60) -> int:
    """Press `key` until the control matching `selector` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if focus_is(page, selector):
            assert page.evaluate(FOCUS_SHOWN), f"{selector} has the focus but does not show it"
            return presses
    raise AssertionError(f"{selector} never got the focus after {limit} presses of {key}")


def next_focus(page, selector: str, key: str = "Tab") -> None:
    """One press of `key` takes the focus to `selector`, which shows it."""
    page.keyboard.press(key)
    assert focus_is(page, selector), page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    assert page.evaluate(FOCUS_SHOWN), f"{selector} has the focus but does not show it"


def skip_to_main(page) -> None:
    """The first Tab reaches the skip link, which appears; Enter takes the focus into the page's content."""
    next_focus(page, "a.skip-link")
    box = page.locator("a.skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link stays off screen when focused"
    page.keyboard.press("Enter")
    assert focus_is(page, "main#main")


def sign_in_by_keyboard(page, base: str, person, locale: str, app) -> None:
    page.goto(base + "/login")
    skip_to_main(page)
    press_until(page, "#email")
    page.keyboard.type(person.email)
    next_focus(page, "#password")
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.locator(".flash-messages")).to_be_visible()

    # The language switcher, reached from the top of the page.
    press_until(page, f"form.language-switcher button[value={locale}]")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.get_by_role("button", name=translated(app, locale, "Sign out"))).to_be_visible()


@LANGUAGES
def test_commenting_with_the_keyboard_only(app, live_server, page, locale):
    world = make_delegate_world(app)
    sign_in_by_keyboard(page, live_server, world.delegate, locale, app)
    page.goto(f"{live_server}/consultations/{world.consultation.slug}/documents/{world.document.id}")
    expect(page.locator("#p2")).to_contain_text(PARAGRAPHS[locale][1])
    skip_to_main(page)

    # Paragraph 2's link to its comment form leads to the paragraph's page, and the next Tab is in the form.
    press_until(page, "#p2 a[href$='#thread-comment-heading']")
    expect(page.locator("#p2 a[href$='#thread-comment-heading']")).to_have_text(
        translated(app, locale, "Comment on §%(number)s", number=2))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated(app, locale, "Comments on paragraph %(number)s", number=2))
    page.wait_for_load_state("load")  # the browser moves its Tab starting point to the #fragment once loaded
    next_focus(page, "#body")
    page.keyboard.type(COMMENT[locale])
    next_focus(page, "#proposed_wording")
    page.keyboard.type(WORDING[locale])
    next_focus(page, "#comment_type")
    next_focus(page, "#position")
    page.keyboard.press("ArrowDown")  # "No position" → "Support"
    expect(page.locator("#position")).to_have_value("support")
    # Back one field and forward again: the order holds both ways.
    next_focus(page, "#comment_type", key="Shift+Tab")
    next_focus(page, "#position")
    press_until(page, "form.comment-form button[type=submit]:not([name])", limit=8)
    page.keyboard.press("Enter")

    expect_flash(page, translated(app, locale, "Your comment is posted."))
    expect(page.locator("article.comment .comment-body")).to_have_text(COMMENT[locale])
    with app.app_context():
        stored = [(c.paragraph_id, c.body, c.proposed_wording, c.position)
                  for c in db.session.scalars(select(Comment))]
    assert stored == [(world.document.paragraph_ids[1], COMMENT[locale], WORDING[locale], "support")]
    assert_quiet(page)


@LANGUAGES
def test_answering_the_questionnaire_with_the_keyboard_only(app, live_server, page, locale):
    world = make_delegate_world(app)
    q = world.q
    survey_url = f"{live_server}/consultations/{world.consultation.slug}/surveys/{world.survey.id}"
    sign_in_by_keyboard(page, live_server, world.delegate, locale, app)
    page.goto(survey_url)
    skip_to_main(page)

    # Asking for the review with the required answers missing: the focus goes to the list of what is missing.
    press_until(page, "button[name=action][value=review]")
    page.keyboard.press("Enter")
    expect(page.locator("#form-errors")).to_contain_text(translated(
        app, locale, "Some answers are missing or incomplete. Change your answers before you submit:"))
    expect(page.locator("#form-errors")).to_be_focused()
    next_focus(page, f"#form-errors a[href='#answer-{q['NAME']}']")
    next_focus(page, f"#form-errors a[href='#answer-{q['SEIZE']}']")
    expect(page.get_by_role("button", name=translated(app, locale, "Submit my response"))).to_have_count(0)
    press_until(page, "button[name=action][value=edit]")
    page.keyboard.press("Enter")
    expect(page.locator(f"#q{q['NAME']}")).to_be_visible()
    skip_to_main(page)
    press_until(page, f"#q{q['NAME']}")

    # The answers, typed and chosen with the keys of each control.
    page.keyboard.type(ADMINISTRATION)
    next_focus(page, f"#q{q['SEIZE']}-yes")
    page.keyboard.press("Space")
    expect(page.locator(f"#q{q['SEIZE']}-yes")).to_be_checked()
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#q{q['SEIZE']}-no")).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(f"#q{q['SEIZE']}-yes")).to_be_checked()
    next_focus(page, f"#q{q['VIEW']}")
    page.keyboard.type("Más cooperación entre aduanas.")
    next_focus(page, "button[name=action][value=save]")
    page.keyboard.press("Enter")
    expect(page.locator(".survey-status")).to_contain_text(translated(app, locale, "Status: draft, not submitted yet."))
    [(status, _, _, answers)] = stored_responses(app)
    assert status == "draft"
    assert answers == {q["NAME"]: ADMINISTRATION, q["SEIZE"]: "yes", q["VIEW"]: "Más cooperación entre aduanas."}

    # Away and back: the draft is there.
    page.goto(f"{live_server}/consultations/{world.consultation.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE[locale])
    page.goto(survey_url)
    expect(page.locator(f"#q{q['NAME']}")).to_have_value(ADMINISTRATION)

    # Review, a choice of publication with the arrow keys, and submission.
    skip_to_main(page)
    press_until(page, "button[name=action][value=review]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Review your answers"))
    skip_to_main(page)
    press_until(page, "#consent-named")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#consent-anonymous")).to_be_checked()
    next_focus(page, "form[action$='/submit'] button[type=submit]:not([name])")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Your response is submitted"))
    receipt = page.locator(".receipt-number").inner_text().strip()
    assert stored_responses(app) == [("submitted", receipt, "anonymous", {
        q["NAME"]: ADMINISTRATION, q["SEIZE"]: "yes", q["VIEW"]: "Más cooperación entre aduanas."})]
    assert_quiet(page)
