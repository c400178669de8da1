"""Questionnaires on the consultation page, and survey responses in the participation counts."""

from __future__ import annotations

import re

from consult.consultations.extensions import participation_counts
from consult.consultations.models import Consultation
from consult.extensions import db
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response, page_text, queries_for

PASSWORD = "correct horse battery staple"


def _section(text: str) -> str:
    assert 'id="questionnaires-heading"' in text
    return text[text.index('id="questionnaires-heading"'):]


def _entry(text: str, survey_id: int) -> str:
    section = _section(text)
    start = section.index(f'id="survey-{survey_id}-title"')
    end = section.find("</li>", start)
    return section[start:end]


def test_a_delegate_sees_a_survey_they_have_not_started_with_a_link_to_answer(app, client_as):
    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id, title="Survey on small parcels")
    delegate = client_as("participant")
    text = page_text(delegate.get(f"/consultations/{consultation.slug}"))
    entry = _entry(text, survey.id)
    assert "Survey on small parcels" in entry
    assert "One response per person" in entry
    assert "Not started." in entry
    assert f'href="/consultations/{consultation.slug}/surveys/{survey.id}"' in entry
    assert "Answer the questionnaire" in entry
    assert "/responses" not in entry and "Non-respondents" not in entry


def test_their_draft_shows_who_last_edited_it_and_when(app, client_as):
    delegate = client_as("participant", display_name="Camille Martin")
    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id)
        add_response(survey.id, delegate.user.id, status="draft")
    entry = _entry(page_text(delegate.get(f"/consultations/{consultation.slug}")), survey.id)
    assert "Draft, last edited by Camille Martin on" in entry
    assert "Continue the response" in entry


def test_their_submitted_response_shows_the_time_and_receipt_number(app, client_as):
    delegate = client_as("participant")
    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id)
        add_response(survey.id, delegate.user.id, status="submitted")
    entry = _entry(page_text(delegate.get(f"/consultations/{consultation.slug}")), survey.id)
    assert re.search(r"Submitted on .+, receipt number R-\d+\.", entry)


def test_per_organization_a_delegate_sees_the_draft_a_colleague_started(app, client_as):
    with app.app_context():
        organization = create_organization(name="Douane française")
        colleague = create_user(organization_id=organization.id, password=None, display_name="Léa Petit")
        consultation = create_consultation()
        survey = create_survey(consultation.id, policy="organization")
        add_response(survey.id, colleague.id, status="draft")
    delegate = client_as("participant", organization_id=organization.id)
    entry = _entry(page_text(delegate.get(f"/consultations/{consultation.slug}")), survey.id)
    assert "One response per organization" in entry
    assert "Draft, last edited by Léa Petit on" in entry
    # A delegate of another organization starts their own.
    other = client_as("participant")
    assert "Not started." in _entry(page_text(other.get(f"/consultations/{consultation.slug}")), survey.id)


def test_someone_elses_response_is_not_shown_per_person(app, client_as):
    with app.app_context():
        organization = create_organization()
        colleague = create_user(organization_id=organization.id, password=None, display_name="Léa Petit")
        consultation = create_consultation()
        survey = create_survey(consultation.id, policy="person")
        add_response(survey.id, colleague.id, status="submitted")
    delegate = client_as("participant", organization_id=organization.id)
    entry = _entry(page_text(delegate.get(f"/consultations/{consultation.slug}")), survey.id)
    assert "Not started." in entry and "receipt" not in entry


def test_after_closing_a_delegate_still_reaches_their_draft_but_cannot_start(app, client_as):
    delegate = client_as("participant")
    with app.app_context():
        consultation = create_consultation(state="closed")
        started = create_survey(consultation.id, title="Started")
        untouched = create_survey(consultation.id, title="Untouched")
        add_response(started.id, delegate.user.id, status="draft")
    text = page_text(delegate.get(f"/consultations/{consultation.slug}"))
    started_entry = _entry(text, started.id)
    assert "See the response" in started_entry
    untouched_entry = _entry(text, untouched.id)
    assert "Not started." not in untouched_entry and "href" not in untouched_entry


def test_managers_get_links_and_counts(app, client_as):
    moderator = client_as("moderator")
    with app.app_context():
        group = create_group(moderator_ids=[moderator.user.id])
        consultation = create_consultation(group_id=group.id)
        survey = create_survey(consultation.id)
        for status in ("submitted", "submitted", "draft"):
            add_response(survey.id, create_user(password=None).id, status=status)
    entry = _entry(page_text(moderator.get(f"/consultations/{consultation.slug}")), survey.id)
    base = f"/consultations/{consultation.slug}/surveys/{survey.id}"
    assert f'href="{base}/edit"' in entry
    assert f'href="{base}/responses"' in entry
    assert f'href="{base}/nonrespondents"' in entry
    assert re.search(r"Submitted responses:</dt> <dd[^>]*>2<", entry)
    assert re.search(r"Drafts:</dt> <dd[^>]*>1<", entry)


def test_an_unpublished_survey_shows_to_managers_only(app, client_as):
    staff = client_as("staff")
    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id, published=False, title="Work in progress")
    delegate = client_as("participant")
    assert "Work in progress" not in page_text(delegate.get(f"/consultations/{consultation.slug}"))
    entry = _entry(page_text(staff.get(f"/consultations/{consultation.slug}")), survey.id)
    assert "Work in progress" in entry and "Not published yet" in entry


def test_no_section_without_a_survey_to_show(app, client_as):
    with app.app_context():
        consultation = create_consultation()
        create_survey(consultation.id, published=False)
    text = page_text(client_as("participant").get(f"/consultations/{consultation.slug}"))
    assert 'id="questionnaires-heading"' not in text


def test_a_title_missing_in_the_viewers_language_comes_with_the_fallback_notice(app, client_as):
    with app.app_context():
        consultation = create_consultation()
        translated = create_survey(consultation.id, title={"en": "Parcels", "es": "Paquetes"})
        untranslated = create_survey(consultation.id, title="Only English")
    text = page_text(client_as("participant", locale="es").get(f"/consultations/{consultation.slug}"))
    assert "Paquetes" in _entry(text, translated.id)
    assert "fallback-notice" not in _entry(text, translated.id)
    assert "Only English" in _entry(text, untranslated.id)
    assert "fallback-notice" in _entry(text, untranslated.id)


def test_the_page_runs_a_bounded_number_of_queries_whatever_the_number_of_surveys(app, client_as):
    delegate = client_as("participant")
    moderator = client_as("moderator")
    with app.app_context():
        group = create_group(moderator_ids=[moderator.user.id])
        consultation = create_consultation(group_id=group.id)
        first = create_survey(consultation.id)
        add_response(first.id, delegate.user.id)
    path = f"/consultations/{consultation.slug}"
    few = {client: queries_for(app, client, path) for client in (delegate, moderator)}
    with app.app_context():
        for _ in range(6):
            survey = create_survey(consultation.id)
            add_response(survey.id, delegate.user.id, status="submitted")
            add_response(survey.id, create_user(password=None).id)
    for client in (delegate, moderator):
        assert queries_for(app, client, path) == few[client]


def test_participation_counts_submitted_responses_per_organization(app):
    with app.app_context():
        first, second = create_organization(), create_organization()
        consultation = create_consultation()
        elsewhere = create_consultation()
        by_person = create_survey(consultation.id, policy="person")
        by_organization = create_survey(consultation.id, policy="organization")
        other = create_survey(elsewhere.id)
        people = [create_user(organization_id=first.id, password=None).id for _ in range(2)]
        stranger = create_user(organization_id=second.id, password=None).id
        add_response(by_person.id, people[0], status="submitted")
        add_response(by_person.id, people[1], status="submitted")
        add_response(by_organization.id, people[0], status="submitted")
        add_response(by_organization.id, stranger, status="draft")  # drafts do not count
        add_response(other.id, stranger, status="submitted")  # another consultation
        counts = participation_counts(db.session.get(Consultation, consultation.id))
    assert counts["surveys"] == {first.id: 3}
