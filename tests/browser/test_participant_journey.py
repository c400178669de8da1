"""A delegate's whole visit, in each interface language: sign in, read a working document, comment on one
paragraph with proposed wording, then answer the questionnaire over two visits and submit it."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from consult.comments.models import Comment
from consult.extensions import db
from consult.surveys.models import Response
from tests.browser.conftest import sign_in
from tests.browser.journeys import LANGUAGES, assert_quiet, expect, expect_flash, switch_language, translated
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey

TITLE = {"en": "Border enforcement", "fr": "Contrôle aux frontières", "es": "Control en la frontera"}
PARAGRAPHS = {
    "en": ["Members share seizure data.", "Customs may detain suspected goods for ten days."],
    "fr": ["Les membres partagent les données de saisie.",
           "La douane peut retenir les marchandises suspectes pendant dix jours."],
    "es": ["Los miembros comparten datos de incautación.",
           "La aduana puede retener las mercancías sospechosas durante diez días."],
}
QUESTIONS = [
    {"type": "short_text", "code": "NAME", "required": True,
     "label": {"en": "Name of the administration", "fr": "Nom de l'administration",
               "es": "Nombre de la administración"}},
    {"type": "yes_no", "code": "SEIZE", "label": "Do you seize goods?", "required": True},
    {"type": "long_text", "code": "VIEW", "label": "Your view"},
]
COMMENT = {"en": "Ten days is too short for laboratory tests.",
           "fr": "Dix jours, c'est trop court pour les analyses en laboratoire.",
           "es": "Diez días es poco para los análisis de laboratorio."}
WORDING = {"en": "Customs may detain suspected goods for twenty working days.",
           "fr": "La douane peut retenir les marchandises suspectes pendant vingt jours ouvrables.",
           "es": "La aduana puede retener las mercancías sospechosas durante veinte días hábiles."}
ADMINISTRATION = "Administración de Aduanas — Dirección générale"


def make_delegate_world(app) -> SimpleNamespace:
    with app.app_context():
        organization = create_organization(name="Douane française")
        delegate = create_user(password=DEFAULT_PASSWORD, organization_id=organization.id)
        group = create_group(organization_ids=[organization.id])
        consultation = create_consultation(group_id=group.id, title=TITLE)
        document = create_document(consultation.id, paragraphs=PARAGRAPHS["en"],
                                   translations={"fr": PARAGRAPHS["fr"], "es": PARAGRAPHS["es"]},
                                   title="Guidelines on detention")
        survey = create_survey(consultation.id, questions=QUESTIONS)
    return SimpleNamespace(delegate=delegate, consultation=consultation, document=document, survey=survey,
                           q=survey.question_ids)


def stored_comments(app) -> list[tuple]:
    with app.app_context():
        return [(c.paragraph_id, c.body, c.proposed_wording, c.status, c.language)
                for c in db.session.scalars(select(Comment))]


def stored_responses(app) -> list[tuple]:
    with app.app_context():
        return [(r.status, r.receipt_number, r.consent, {a.question_id: a.value for a in r.answers})
                for r in db.session.scalars(select(Response))]


@LANGUAGES
def test_a_delegate_comments_on_a_paragraph_and_answers_the_questionnaire(app, live_server, page, locale):
    world = make_delegate_world(app)
    q = world.q
    sign_in(page, live_server, world.delegate.email, world.delegate.password)
    switch_language(page, locale)

    # The consultation, then the working document, in the chosen language.
    page.goto(live_server + "/consultations/")
    page.get_by_role("link", name=TITLE[locale]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE[locale])
    expect(page.locator("#documents-heading")).to_have_text(translated(app, locale, "Working documents"))
    page.locator(f"a[href$='/documents/{world.document.id}']").click()
    expect(page.locator("#p2")).to_contain_text(PARAGRAPHS[locale][1])

    # A comment on paragraph 2 with proposed wording, on the paragraph's own page: its text, then the form.
    expect(page.locator("main form.comment-form")).to_have_count(0)  # the document page is for reading
    page.locator("#p2").get_by_role(
        "link", name=translated(app, locale, "Comment on §%(number)s", number=2)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated(app, locale, "Comments on paragraph %(number)s", number=2))
    form = page.locator("form.comment-form")
    expect(page.locator("main")).to_contain_text(PARAGRAPHS[locale][1])
    form.get_by_label(translated(app, locale, "Your comment"), exact=True).fill(COMMENT[locale])
    form.get_by_label(translated(app, locale, "Proposed wording (optional)")).fill(WORDING[locale])
    form.get_by_role("button", name=translated(app, locale, "Post the comment")).click()

    # They land on the thread, where their comment is.
    expect_flash(page, translated(app, locale, "Your comment is posted."))
    posted = page.locator("article.comment")
    expect(posted.locator(".comment-body")).to_have_text(COMMENT[locale])
    expect(posted.locator(".proposed-change")).to_contain_text(
        translated(app, locale, "Proposed change to paragraph %(number)s", number=2))

    # Back on the document, paragraph 2 previews it and counts it; paragraph 1 has none.
    page.get_by_role("navigation", name=translated(app, locale, "Breadcrumb")).get_by_role("link").nth(1).click()
    expect(page.locator("#p2 article.comment .comment-body")).to_have_text(COMMENT[locale])
    expect(page.locator("#p2")).to_contain_text(translated(
        app, locale, "Read the %(num)d comment on §%(number)s", plural="Read all %(num)d comments on §%(number)s",
        num=1, number=2))
    expect(page.locator("#p1 article.comment")).to_have_count(0)
    assert stored_comments(app) == [(world.document.paragraph_ids[1], COMMENT[locale], WORDING[locale],
                                     "published", locale)]

    # The questionnaire, first visit: some answers and a draft.
    page.get_by_role("link", name=TITLE[locale]).first.click()
    page.get_by_role("link", name=translated(app, locale, "Answer the questionnaire")).click()
    expect(page.get_by_text(QUESTIONS[0]["label"][locale])).to_be_visible()
    page.fill(f"#q{q['NAME']}", ADMINISTRATION)
    page.check(f"#q{q['SEIZE']}-yes")
    page.get_by_role("button", name=translated(app, locale, "Save draft")).click()
    expect(page.locator(".survey-status")).to_contain_text(translated(app, locale, "Status: draft, not submitted yet."))
    [(status, _, _, answers)] = stored_responses(app)
    assert status == "draft" and answers == {q["NAME"]: ADMINISTRATION, q["SEIZE"]: "yes"}

    # Leaving and coming back: the answers are still there.
    page.get_by_role("link", name=TITLE[locale]).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE[locale])
    page.locator(f"a[href$='/surveys/{world.survey.id}']").click()
    expect(page.locator(f"#q{q['NAME']}")).to_have_value(ADMINISTRATION)
    expect(page.locator(f"#q{q['SEIZE']}-yes")).to_be_checked()

    # Completing, reviewing and submitting.
    page.fill(f"#q{q['VIEW']}", "Plus de coopération, más cooperación.")
    page.get_by_role("button", name=translated(app, locale, "Review and submit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Review your answers"))
    expect(page.locator("main")).to_contain_text(ADMINISTRATION)
    page.get_by_label(translated(app, locale, "Publish my response anonymously")).check()
    page.get_by_role("button", name=translated(app, locale, "Submit my response")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Your response is submitted"))
    receipt = page.locator(".receipt-number").inner_text().strip()
    assert receipt
    expect(page.locator(".receipt")).to_contain_text(translated(app, locale, "Publish my response anonymously"))
    assert stored_responses(app) == [("submitted", receipt, "anonymous", {
        q["NAME"]: ADMINISTRATION, q["SEIZE"]: "yes", q["VIEW"]: "Plus de coopération, más cooperación."})]
    assert_quiet(page)
