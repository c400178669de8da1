"""Answering a survey: the page, drafts, review, submission, receipt, email, closing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import utcnow
from consult.mail import OutboxMessage
from consult.surveys.models import Answer, Response, ResponseRevision
from tests.helpers import count
from tests.surveys.test_answer_support import (
    EVERY_TYPE,
    complete_answers,
    make_world,
    post_form,
    response_of,
    submit_from_review,
)


def _close(app, consultation_id: int) -> None:
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        consultation.opens_at = utcnow() - timedelta(days=10)
        consultation.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


# --- The page -----------------------------------------------------------------------------


def test_every_question_type_is_rendered_accessibly_without_javascript(app, participant_client):
    world = make_world(app)
    page = participant_client.get(world.url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    q = world.q
    assert "<h1>" in html and "Questionnaire" in html
    # Sections are fieldsets with legends.
    assert '<fieldset class="survey-section' in html and "Section 1</span></legend>" in html
    # Choice questions are radio or checkbox groups in fieldsets.
    assert f'type="radio" name="q{q["ROLE"]}"' in html
    assert f'type="checkbox" name="q{q["TOOLS"]}"' in html
    assert f'name="q{q["ROLE"]}_other"' in html
    # Yes/no and scale as radios, the scale with its end labels.
    assert f'name="q{q["SEIZE"]}" id="q{q["SEIZE"]}-yes" value="yes"' in html
    assert "1 — Poor" in html and "5 — Excellent" in html
    # Number and date inputs carry their bounds.
    assert re.search(rf'type="number"[^>]*id="q{q["COUNT"]}"[^>]*step="1"[^>]*min="0"[^>]*max="100000"', html, re.S)
    assert re.search(rf'type="date"[^>]*id="q{q["SINCE"]}"[^>]*min="2000-01-01"[^>]*max="2030-12-31"', html, re.S)
    # Ranking: one select per rank position.
    for position in (1, 2, 3):
        assert f'<select class="form-select" id="q{q["PRIO"]}_rank{position}"' in html
    # Matrix: a table of radios with row headers.
    assert '<th scope="row"' in html and f'name="q{q["GRID"]}.r1"' in html and "<caption" in html
    # File input, and the form can send files.
    assert f'type="file" class="form-control" id="q{q["DOC"]}"' in html
    assert 'enctype="multipart/form-data"' in html
    # Buttons for people without JavaScript; the autosave script is a file, not inline.
    assert 'value="save">Save draft</button>' in html and 'value="review">Review and submit</button>' in html
    assert '<script src="/static/autosave.js" defer></script>' in html
    assert "<script>" not in html
    assert "(required)" in html


def test_the_page_is_in_the_participants_language_with_a_fallback_notice(app, client_as):
    world = make_world(app)
    client = client_as("participant", locale="es")
    html = client.get(world.url).get_data(as_text=True)
    assert "Nombre de la administración" in html
    # "Your view" exists only in English: shown in English, with the notice in Spanish.
    assert "Your view" in html
    assert "Este contenido no está disponible en español y se muestra en inglés." in html


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    world = make_world(app)
    response = client.get(world.url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unpublished_surveys_and_other_consultations_slugs_are_not_found(app, participant_client):
    world = make_world(app, published=False)
    assert participant_client.get(world.url).status_code == 404
    other = make_world(app)
    wrong_slug = f"/consultations/{world.consultation.slug}/surveys/{other.survey.id}"
    assert participant_client.get(wrong_slug).status_code == 404


def test_questions_with_conditions_carry_a_note_for_people_without_javascript(app, participant_client):
    world = make_world(app, questions=[
        {"type": "yes_no", "code": "Q1", "label": "Do you seize goods?"},
        {"type": "long_text", "code": "Q2", "label": "Which goods?", "conditions": [("Q1", "equals", "yes")]},
    ])
    html = participant_client.get(world.url).get_data(as_text=True)
    assert "Answer this only if your answer to “Do you seize goods?” is “Yes”." in html
    assert "data-show-if=" in html and "survey-conditions.js" in html


# --- Drafts -------------------------------------------------------------------------------


def test_saving_a_draft_keeps_the_answers_and_the_same_url_shows_them_later(app, participant_client):
    world = make_world(app)
    q = world.q
    saved = post_form(participant_client, world.url, {f"q{q['NAME']}": "Douane", f"q{q['RATE']}": "3"})
    assert saved.status_code == 303
    response = response_of(app, world.survey.id)
    assert response.status == "draft" and response.version == 1
    assert response.answers == {q["NAME"]: "Douane", q["RATE"]: 3}
    page = participant_client.get(world.url).get_data(as_text=True)
    assert 'value="Douane"' in page
    assert f'id="q{q["RATE"]}-3" value="3" checked' in page
    assert "Your draft is saved" in page
    assert "Status: draft, not submitted yet." in page


def test_a_draft_need_not_answer_required_questions(app, participant_client):
    world = make_world(app)
    saved = post_form(participant_client, world.url, {f"q{world.q['VIEW']}": "Only this."})
    assert saved.status_code == 303
    assert response_of(app, world.survey.id).answers == {world.q["VIEW"]: "Only this."}


def test_emptying_an_answer_removes_it(app, participant_client):
    world = make_world(app)
    post_form(participant_client, world.url, {f"q{world.q['NAME']}": "Douane"})
    post_form(participant_client, world.url, {f"q{world.q['NAME']}": ""})
    assert response_of(app, world.survey.id).answers == {}
    with app.app_context():
        assert count(Answer) == 0


# --- Review and submit ----------------------------------------------------------------------


def test_review_then_submit_gives_a_receipt_an_email_and_an_audit_entry(app, participant_client):
    world = make_world(app)
    reviewed = post_form(participant_client, world.url, complete_answers(world.survey), action="review")
    assert reviewed.status_code == 303 and reviewed.headers["Location"].endswith("/review")
    review = participant_client.get(world.url + "/review")
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    for shown in ("Douane française", "Customs", "Alpha", "Beta", "Yes", "4 on a scale from 1 to 5", "120",
                  "May 1, 2019", "Tools", "Ports: Often", "Airports: Never"):
        assert shown in html, shown
    assert "May the secretariat publish your response?" in html

    submitted = submit_from_review(participant_client, world, consent="anonymous", review_page=html)
    assert submitted.status_code == 303 and submitted.headers["Location"].endswith("/receipt")
    response = response_of(app, world.survey.id)
    assert response.status == "submitted" and response.consent == "anonymous"
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{2}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", response.receipt_number)
    assert response.submitted_at is not None

    receipt = participant_client.get(world.url + "/receipt").get_data(as_text=True)
    assert response.receipt_number in receipt and "Publish my response anonymously" in receipt
    printable = participant_client.get(world.url + "/print")
    assert printable.status_code == 200
    assert 'href="/static/print.css" media="print"' in printable.get_data(as_text=True)
    assert "Douane française" in printable.get_data(as_text=True)

    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).all()
        assert len(mail) == 1 and mail[0].recipient == participant_client.user.email
        assert response.receipt_number in mail[0].subject and "Douane française" in mail[0].body
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey_response_submitted")).all()
        assert len(audit) == 1 and audit[0].data["receipt"] == response.receipt_number


def test_the_confirmation_email_is_in_the_respondents_language(app, client_as):
    world = make_world(app)
    client = client_as("participant", locale="fr")
    post_form(client, world.url, complete_answers(world.survey), action="review")
    assert submit_from_review(client, world).status_code == 303
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert "Nom de l'administration" in mail.body
        assert "Oui" in mail.body or "Yes" not in mail.body


def test_submitting_without_required_answers_is_refused_per_question(app, participant_client):
    world = make_world(app)
    reviewed = post_form(participant_client, world.url, {f"q{world.q['VIEW']}": "Only this."}, action="review")
    assert reviewed.status_code == 303  # the draft is kept; the review page says what is missing
    html = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert "Some answers are missing or incomplete" in html
    assert "Submit my response" not in html
    # Forcing the submission anyway is refused, and nothing changes.
    with app.app_context():
        before = count(Answer)
    refused = submit_from_review(participant_client, world, review_page=html)
    assert refused.status_code == 400
    assert "Answer this question." in refused.get_data(as_text=True)
    assert response_of(app, world.survey.id).status == "draft"
    with app.app_context():
        assert count(Answer) == before


def test_consent_is_required(app, participant_client):
    world = make_world(app)
    post_form(participant_client, world.url, complete_answers(world.survey), action="review")
    refused = submit_from_review(participant_client, world, consent="")
    assert refused.status_code == 400
    assert "Choose whether and how your response may be published." in refused.get_data(as_text=True)
    assert response_of(app, world.survey.id).status == "draft"
    tampered = submit_from_review(participant_client, world, consent="everywhere")
    assert tampered.status_code == 400


# --- Edit after submit --------------------------------------------------------------------


def _submit_everything(client, world):
    post_form(client, world.url, complete_answers(world.survey), action="review")
    assert submit_from_review(client, world).status_code == 303


def test_changing_a_submitted_response_keeps_the_previous_version(app, participant_client):
    world = make_world(app)
    _submit_everything(participant_client, world)
    first = response_of(app, world.survey.id)
    page = participant_client.get(world.url).get_data(as_text=True)
    assert "You are changing a submitted response" in page and "Save draft" not in page

    changed = dict(complete_answers(world.survey), **{f"q{world.q['NAME']}": "Aduana"})
    review = post_form(participant_client, world.url, changed, action="review")
    assert review.status_code == 200
    assert "Aduana" in review.get_data(as_text=True)
    # Nothing replaced yet: the submitted version stands until the changes are submitted.
    assert response_of(app, world.survey.id).answers[world.q["NAME"]] == "Douane française"

    assert submit_from_review(participant_client, world, consent="none",
                              review_page=review.get_data(as_text=True)).status_code == 303
    second = response_of(app, world.survey.id)
    assert second.answers[world.q["NAME"]] == "Aduana" and second.consent == "none"
    assert second.receipt_number == first.receipt_number
    assert len(second.revisions) == 1
    version, answers, consent, submitted_by = second.revisions[0]
    assert version == first.version and answers["NAME"] == "Douane française" and consent == "named"
    assert submitted_by == participant_client.user.id


def test_changing_a_submitted_response_without_permission_is_refused(app, participant_client):
    world = make_world(app, allow_edit_after_submit=False)
    _submit_everything(participant_client, world)
    page = participant_client.get(world.url)
    assert page.status_code == 200
    assert "does not allow changes after submission" in page.get_data(as_text=True)
    with app.app_context():
        before = (count(Answer), count(ResponseRevision))
    refused = post_form(participant_client, world.url, complete_answers(world.survey), action="review",
                        version="2")
    assert refused.status_code == 403
    assert "does not allow changes after submission" in refused.get_data(as_text=True)
    with app.app_context():
        assert (count(Answer), count(ResponseRevision)) == before


# --- After closing ---------------------------------------------------------------------


def test_after_closing_saving_is_refused_and_the_draft_stays_readable(app, participant_client):
    world = make_world(app)
    post_form(participant_client, world.url, {f"q{world.q['NAME']}": "Douane"})
    token_page = participant_client.get(world.url).get_data(as_text=True)
    _close(app, world.consultation.id)

    page = participant_client.get(world.url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This survey closed on" in html and "Douane" in html
    assert "Save draft" not in html

    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
    with app.app_context():
        before = count(Answer)
    refused = participant_client.post(world.url, data={"csrf_token": token, "version": "1", "action": "save",
                                                       f"q{world.q['NAME']}": "Changed"})
    assert refused.status_code == 409
    assert "This survey closed on" in refused.get_data(as_text=True)
    submit = participant_client.post(world.url + "/submit", data={"csrf_token": token, "version": "1",
                                                                  "consent": "named"})
    assert submit.status_code == 409
    with app.app_context():
        assert count(Answer) == before
        assert db.session.scalar(select(Response.status)) == "draft"


def test_people_outside_the_audience_read_the_survey_but_cannot_answer(app, client_as, make_organization):
    with app.app_context():
        from tests.factories import create_consultation, create_group
        from tests.helpers import create_organization
        from tests.surveys.factories import create_survey

        member = create_organization(stakeholder_type="customs").id
        group = create_group(organization_ids=[member]).id
        consultation = create_consultation(audience_mode="restricted", audience_group_ids=[group])
        survey = create_survey(consultation.id, questions=EVERY_TYPE)
    moderator = client_as("staff")
    url = f"/consultations/{consultation.slug}/surveys/{survey.id}"
    page = moderator.get(url)
    assert page.status_code == 200
    assert "you can read it but not answer it" in page.get_data(as_text=True)
    refused = post_form(moderator, url, {f"q{survey.question_ids['NAME']}": "x"})
    assert refused.status_code == 403
    with app.app_context():
        assert count(Response) == 0
    outsider = client_as("participant")
    assert outsider.get(url).status_code == 404


# --- One rule: the service's refusals agree with Response.can_edit ----------------------------------


def test_the_refusals_agree_with_response_can_edit(app, participant_client, client_as):
    from consult.directory.models import User
    from consult.surveys import answering
    from consult.surveys.models import Survey

    cases = []
    for allow_edit, state, submitted in [(True, "open", False), (True, "open", True), (False, "open", True),
                                         (True, "closed", False), (True, "scheduled", False)]:
        world = make_world(app, allow_edit_after_submit=allow_edit)
        post_form(participant_client, world.url, complete_answers(world.survey), action="review")
        if submitted:
            submit_from_review(participant_client, world)
        if state != "open":
            with app.app_context():
                consultation = db.session.get(Consultation, world.consultation.id)
                shift = timedelta(days=30) if state == "scheduled" else -timedelta(days=30)
                consultation.opens_at, consultation.closes_at = (consultation.opens_at + shift,
                                                                 consultation.closes_at + shift)
                db.session.commit()
        cases.append(world.survey.id)
    with app.test_request_context("/"):
        owner = db.session.get(User, participant_client.user.id)
        for survey_id in cases:
            survey = db.session.get(Survey, survey_id)
            response = answering.find_response(survey, owner)
            assert (answering.refusal(survey, owner, response) is None) == response.can_edit(owner), survey_id
