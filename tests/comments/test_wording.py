"""Proposed wording is compared with the version of the paragraph it resembles most."""

from types import SimpleNamespace

from flask_babel import force_locale

from consult.comments.wording import proposed_change_to
from consult.i18n import LocalizedText

PARAGRAPH = SimpleNamespace(text=LocalizedText({
    "en": "Customs administrations should apply risk management to small consignments.",
    "fr": "Les administrations des douanes devraient appliquer la gestion des risques aux petits envois.",
}, "en"))


def test_an_english_proposal_from_a_french_speaker_is_compared_with_the_english_text(app):
    proposal = "Customs administrations should apply risk management to small consignments, including postal items."
    with app.test_request_context(), force_locale("fr"):
        change = proposed_change_to(PARAGRAPH, proposal, "fr")
        html = str(change.html)
    assert change.compared_in == "en"
    # Only the end of the sentence changes, not every word as against the French text.
    assert html.count("<del>") == 1 and "consignments.</del>" in html
    assert "including postal items." in html.split("<ins>")[1]


def test_a_proposal_in_the_readers_language_is_compared_with_that_text(app):
    proposal = "Les administrations des douanes devraient appliquer la gestion des risques aux envois postaux."
    with app.test_request_context(), force_locale("fr"):
        change = proposed_change_to(PARAGRAPH, proposal, "fr")
    assert change.compared_in is None
    assert "petits" in str(change.html).split("<del>")[1]
