"""One response read in full by a manager: every question in order, answers in words, hidden ones marked."""

from __future__ import annotations

import re
from types import SimpleNamespace

from consult.extensions import db
from consult.surveys.models import Answer
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_file, add_response, add_revision, page_text, queries_for

EVERY_TYPE = [
    {"type": "yes_no", "code": "Q1", "label": {"en": "Do you inspect parcels?", "fr": "Inspectez-vous les colis ?"}},
    {"type": "short_text", "code": "Q2", "label": "Which office?", "conditions": [("Q1", "equals", "yes")]},
    {"type": "long_text", "code": "Q3", "label": "Why not?", "conditions": [("Q1", "equals", "no")]},
    {"type": "single_choice", "code": "Q4", "label": "Main channel", "other": True,
     "options": [("post", {"en": "Postal", "fr": "Postal (fr)"}), ("air", {"en": "Air freight", "fr": "Fret aérien"})]},
    {"type": "multiple_choice", "code": "Q5", "label": "Goods seen",
     "options": [("shoes", {"en": "Shoes", "fr": "Chaussures"}), ("bags", {"en": "Bags", "fr": "Sacs"}),
                 ("toys", {"en": "Toys", "fr": "Jouets"})]},
    {"type": "scale", "code": "Q6", "label": "Priority", "settings": {"min": 1, "max": 5}, "section": 1},
    {"type": "number", "code": "Q7", "label": "Seizures", "section": 1},
    {"type": "date", "code": "Q8", "label": "Since", "section": 1},
    {"type": "ranking", "code": "Q9", "label": "Rank the risks", "section": 1,
     "options": [("fakes", {"en": "Fakes", "fr": "Contrefaçons"}), ("drugs", {"en": "Drugs", "fr": "Drogues"}),
                 ("arms", {"en": "Arms", "fr": "Armes"})]},
    {"type": "matrix", "code": "Q10", "label": "Capacity by port", "section": 1,
     "rows": [("north", {"en": "North port", "fr": "Port nord"}), ("south", {"en": "South port", "fr": "Port sud"})],
     "columns": [("low", {"en": "Low", "fr": "Faible"}), ("high", {"en": "High", "fr": "Élevée"})]},
    {"type": "file", "code": "Q11", "label": "Evidence", "section": 1},
]

ANSWERS = {
    "Q1": "yes",
    "Q2": "Le Havre",
    "Q3": "Answer to a question that was hidden",
    "Q4": {"choice": "other", "other": "Rail"},
    "Q5": ["bags", "shoes"],
    "Q6": 4,
    "Q7": "12.5",
    "Q8": "2024-03-01",
    "Q9": ["drugs", "fakes", "arms"],
    "Q10": {"north": "high", "south": "low"},
}


def _build(app, client_as, locale: str = "en"):
    staff = client_as("staff", locale=locale)
    with app.app_context():
        organization = create_organization(name="Douane française")
        delegate = create_user(organization_id=organization.id, password=None, display_name="Camille Martin")
        colleague = create_user(organization_id=organization.id, password=None, display_name="Léa Petit")
        consultation = create_consultation(group_id=create_group().id)
        survey = create_survey(consultation.id, questions=EVERY_TYPE, sections=2, policy="organization")
        response_id = add_response(survey.id, delegate.id, status="submitted", answers=ANSWERS,
                                   edited_by_id=colleague.id)
        file_id = add_file(response_id, survey.question_ids["Q11"], filename="seizures.pdf")
        db.session.add(Answer(response_id=response_id, question_id=survey.question_ids["Q11"],
                              value={"file_id": file_id, "filename": "seizures.pdf"}))
        db.session.commit()
        add_revision(response_id, version=1, submitted_by_id=delegate.id)
    base = f"/consultations/{consultation.slug}/surveys/{survey.id}"
    return SimpleNamespace(staff=staff, path=f"{base}/responses/{response_id}",
                           download=f"{base}/responses/{response_id}/files/{file_id}")


def _answer_block(text: str, code: str) -> str:
    match = re.search(rf'id="question-{code}">(.*?)</div>\s*(?=<div class="response-answer|</section>)', text, re.S)
    assert match, code
    return match.group(1)


def test_every_question_appears_in_survey_order_with_its_answer_in_words(app, client_as):
    scene = _build(app, client_as)
    text = page_text(scene.staff.get(scene.path))
    positions = [text.index(f'id="question-Q{n}"') for n in range(1, 12)]
    assert positions == sorted(positions)
    assert "Yes" in _answer_block(text, "Q1")
    assert "Le Havre" in _answer_block(text, "Q2")
    assert "Other: Rail" in _answer_block(text, "Q4")
    assert "<li>Bags</li>" in _answer_block(text, "Q5") and "<li>Shoes</li>" in _answer_block(text, "Q5")
    assert "4 on a scale from 1 to 5" in _answer_block(text, "Q6")
    assert "12.5" in _answer_block(text, "Q7")
    assert "March 1, 2024" in _answer_block(text, "Q8")
    ranking = _answer_block(text, "Q9")
    assert "<ol>" in ranking
    assert ranking.index("Drugs") < ranking.index("Fakes") < ranking.index("Arms")
    matrix = _answer_block(text, "Q10")
    assert "<table" in matrix
    assert re.search(r"North port</th><td>High", matrix) and re.search(r"South port</th><td>Low", matrix)
    assert f'href="{scene.download}"' in _answer_block(text, "Q11")


def test_a_question_hidden_by_its_condition_is_marked_and_its_stale_answer_not_shown(app, client_as):
    scene = _build(app, client_as)
    text = page_text(scene.staff.get(scene.path))
    hidden = _answer_block(text, "Q3")
    assert "Not shown to this respondent" in hidden
    assert "Answer to a question that was hidden" not in text
    assert "Not shown to this respondent" not in _answer_block(text, "Q2")


def test_option_labels_are_shown_in_the_viewers_language(app, client_as):
    scene = _build(app, client_as, locale="fr")
    text = page_text(scene.staff.get(scene.path))
    assert "Inspectez-vous les colis ?" in text
    assert "Sacs" in _answer_block(text, "Q5") and "Chaussures" in _answer_block(text, "Q5")
    assert "Fret aérien" not in _answer_block(text, "Q4")
    assert "Drogues" in _answer_block(text, "Q9")
    assert "Port nord" in _answer_block(text, "Q10") and "Élevée" in _answer_block(text, "Q10")
    # Labels with no French text fall back to the original, with the notice.
    assert "Which office?" in text
    assert "n’est pas disponible" in text or "not available" in text


def test_unanswered_questions_say_so(app, client_as):
    staff = client_as("staff")
    with app.app_context():
        delegate = create_user(password=None)
        consultation = create_consultation()
        survey = create_survey(consultation.id, questions=EVERY_TYPE[:2])
        response_id = add_response(survey.id, delegate.id, answers={})
    text = page_text(staff.get(f"/consultations/{consultation.slug}/surveys/{survey.id}/responses/{response_id}"))
    assert "No answer" in _answer_block(text, "Q1")
    assert "Not shown to this respondent" in _answer_block(text, "Q2")


def test_revisions_and_the_last_editor_are_listed(app, client_as):
    scene = _build(app, client_as)
    text = page_text(scene.staff.get(scene.path))
    assert "by Léa Petit on" in text
    revisions = text[text.index('id="revisions-heading"'):]
    assert "<td>1</td>" in revisions
    assert "Camille Martin" in revisions


def test_the_file_downloads_as_an_attachment_with_its_bytes(app, client_as):
    scene = _build(app, client_as)
    download = scene.staff.get(scene.download)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "seizures.pdf" in download.headers["Content-Disposition"]
    assert download.mimetype == "application/pdf"
    assert download.data == b"%PDF-1.4 test"


def test_stored_values_of_an_unexpected_shape_are_shown_rather_than_failing(app, client_as):
    staff = client_as("staff")
    with app.app_context():
        delegate = create_user(password=None)
        consultation = create_consultation()
        survey = create_survey(consultation.id, questions=[EVERY_TYPE[8], EVERY_TYPE[9]], sections=2)
        response_id = add_response(survey.id, delegate.id, answers={"Q9": "fakes", "Q10": ["north"]})
    response = staff.get(f"/consultations/{consultation.slug}/surveys/{survey.id}/responses/{response_id}")
    assert response.status_code == 200
    assert "fakes" in page_text(response)


def test_the_page_runs_a_bounded_number_of_queries_whatever_the_number_of_questions(app, client_as):
    staff = client_as("staff")
    paths = []
    with app.app_context():
        consultation = create_consultation()
        delegate = create_user(password=None)
        for questions in (EVERY_TYPE[:3], EVERY_TYPE):
            survey = create_survey(consultation.id, questions=questions, sections=2)
            response_id = add_response(survey.id, delegate.id, status="submitted",
                                       answers={k: v for k, v in ANSWERS.items() if k in survey.question_ids})
            add_revision(response_id, 1, delegate.id)
            paths.append(f"/consultations/{consultation.slug}/surveys/{survey.id}/responses/{response_id}")
    assert queries_for(app, staff, paths[0]) == queries_for(app, staff, paths[1])
