"""The consultation page: what readers and managers see, who gets 404, and a bounded number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from jinja2 import ChoiceLoader, DictLoader

from consult.consultations import extensions
from consult.consultations.models import Consultation, WorkingDocument
from consult.extensions import db
from consult.i18n import LocalizedText, utcnow
from tests.consultations.consultation_support import counted_queries, moderator_with_group
from tests.factories import create_consultation, create_document, create_group
from tests.helpers import create_organization, submit


@pytest.fixture
def manager(app, client_as):
    return moderator_with_group(app, client_as)


@pytest.fixture
def restricted(app, manager, client_as):
    """A consultation for rights holders of one group, a member, an outsider and the manager."""
    with app.app_context():
        member_org = create_organization(stakeholder_type="rights_holder").id
        customs_org = create_organization(stakeholder_type="customs").id
        audience_group = create_group(name="Rights Holders Consultative Group",
                                      organization_ids=[member_org, customs_org]).id
        slug = create_consultation(group_id=manager.group_id, state="open", audience_mode="restricted",
                                   audience_group_ids=[audience_group], audience_types=["rights_holder"]).slug
    return {
        "slug": slug,
        "member": client_as("participant", organization_id=member_org),
        "customs delegate": client_as("participant", organization_id=customs_org),
        "manager": manager,
    }


def _set(app, slug: str, **values) -> None:
    with app.app_context():
        consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == slug))
        for name, value in values.items():
            setattr(consultation, name, value)
        db.session.commit()


def test_a_reader_sees_the_texts_dates_countdown_meeting_and_documents(app, restricted):
    slug = restricted["slug"]
    _set(app, slug, closes_at=utcnow() + timedelta(days=3, hours=1), meeting_name="17th CPG meeting",
         meeting_date=date(2031, 3, 1), meeting_place="Brussels",
         body=LocalizedText({"en": "Read **this** first.\n\n<script>alert(1)</script>"}, "en"))
    with app.app_context():
        consultation_id = db.session.scalar(db.select(Consultation.id).where(Consultation.slug == slug))
        document = create_document(consultation_id, title="Draft guidelines", category="A")
        db.session.get(WorkingDocument, document.id).comment_deadline = utcnow() + timedelta(days=2)
        db.session.commit()
    response = restricted["member"].get(f"/consultations/{slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "A summary." in page
    assert "Read <strong>this</strong> first." in page
    assert "<script>alert(1)</script>" not in page
    assert ">Open</span>" in page
    assert "Closes in 3 days" in page
    assert "(Coordinated Universal Time)" in page
    assert "17th CPG meeting" in page and "March 1, 2031" in page and "Brussels" in page
    assert "Draft guidelines" in page
    assert "A — for approval without discussion" in page
    assert f'href="/consultations/{slug}/documents/{document.id}"' in page
    assert "Restricted to organizations in Rights Holders Consultative Group that are: Rights holder." in page
    # Readers get no managing buttons.
    assert f"/consultations/{slug}/edit" not in page
    assert f"/consultations/{slug}/participation" not in page


def test_managers_see_the_edit_action_and_participation_links(app, restricted):
    slug = restricted["slug"]
    page = restricted["manager"].get(f"/consultations/{slug}").get_data(as_text=True)
    assert f'href="/consultations/{slug}/edit"' in page
    assert f'href="/consultations/{slug}/close-early"' in page
    assert f'href="/consultations/{slug}/participation"' in page


def test_a_text_missing_in_the_readers_language_is_shown_in_the_original_with_a_notice(app, restricted):
    slug = restricted["slug"]
    _set(app, slug, title=LocalizedText({"fr": "Projet de lignes directrices"}, "fr"),
         summary=LocalizedText({"fr": "Résumé en français."}, "fr"))
    page = restricted["member"].get(f"/consultations/{slug}").get_data(as_text=True)
    assert '<h1 class="mb-0" lang="fr">Projet de lignes directrices</h1>' in page
    assert "This content is not available in English and is shown in French." in page


def test_readers_in_spanish_get_the_page_in_spanish_and_the_english_text_with_a_notice(app, restricted):
    member = restricted["member"]
    submit(member, "/language", {"locale": "es"}, form_page="/")
    page = member.get(f"/consultations/{restricted['slug']}").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert ">Abierta</span>" in page
    # The consultation is written in English only: shown in English, and the reader is told so in Spanish.
    assert "Este contenido no está disponible en español y se muestra en inglés." in page


def test_sections_registered_by_other_packages_are_rendered_with_their_context(app, restricted, monkeypatch):
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([
        DictLoader({"test/section.html": "<aside data-test-section>{{ section.context.word }}</aside>"}),
        app.jinja_loader,
    ]))
    seen = []

    def load(consultation, user):
        seen.append((consultation.slug, user.email))
        return {"word": "Hello from a section"} if user.organization_id else None

    monkeypatch.setitem(extensions._consultation_sections, "test",
                        extensions.Section("test", "test/section.html", 99, load))
    slug = restricted["slug"]
    page = restricted["member"].get(f"/consultations/{slug}").get_data(as_text=True)
    assert "<aside data-test-section>Hello from a section</aside>" in page
    # A section that returns None is left out.
    assert "data-test-section" not in restricted["manager"].get(f"/consultations/{slug}").get_data(as_text=True)
    assert seen[0] == (slug, restricted["member"].user.email)


# --- Who may see it --------------------------------------------------------------

PATHS = ["", "/edit", "/participation", "/publish", "/open-early", "/close-early", "/extend", "/archive",
         "/unpublish"]


OUTSIDERS = ["customs delegate", "participant of another organization", "participant without organization",
             "moderator of another group"]


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("suffix", PATHS)
def test_people_outside_a_restricted_audience_get_404_on_every_url(app, restricted, client_as, suffix, outsider):
    path = f"/consultations/{restricted['slug']}{suffix}"
    client = {
        "customs delegate": lambda: restricted["customs delegate"],
        "participant of another organization": lambda: client_as("participant"),
        "participant without organization": lambda: client_as("participant", organization_id=None),
        "moderator of another group": lambda: moderator_with_group(app, client_as),
    }[outsider]()
    assert client.get(path).status_code == 404
    if suffix not in ("", "/participation"):  # the pages that take a form
        assert submit(client, path, {"reason": "x"}, form_page="/").status_code == 404


@pytest.mark.parametrize("suffix", PATHS)
def test_a_draft_is_404_for_everyone_but_its_managers(app, manager, client_as, suffix):
    with app.app_context():
        slug = create_consultation(group_id=manager.group_id, state="draft").slug
    path = f"/consultations/{slug}{suffix}"
    assert client_as("participant").get(path).status_code == 404
    assert moderator_with_group(app, client_as).get(path).status_code == 404
    assert manager.get(path).status_code in (200, 409)
    assert client_as("staff").get(path).status_code in (200, 409)


def test_an_unknown_consultation_is_404_and_visitors_are_asked_to_sign_in(client, participant_client):
    assert participant_client.get("/consultations/no-such-thing").status_code == 404
    assert participant_client.get("/consultations/no-such-thing/participation").status_code == 404
    assert participant_client.get("/consultations/nul%00byte").status_code == 404
    assert participant_client.get("/consultations/" + "a" * 500).status_code == 404
    for path in ("/consultations/", "/consultations/no-such-thing", "/consultations/no-such-thing/edit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_a_member_of_a_deactivated_organization_loses_a_restricted_consultation(app, restricted):
    from consult.directory.models import Organization, User

    with app.app_context():
        user = db.session.get(User, restricted["member"].user.id)
        db.session.get(Organization, user.organization_id).active = False
        db.session.commit()
    assert restricted["member"].get(f"/consultations/{restricted['slug']}").status_code == 404


# --- Performance -----------------------------------------------------------------


def _page_queries(app, client, slug: str) -> int:
    with counted_queries(app) as statements:
        assert client.get(f"/consultations/{slug}").status_code == 200
    return len(statements)


def test_the_page_runs_the_same_number_of_queries_with_3_or_30_documents_and_groups(app, manager, client_as):
    with app.app_context():
        member_org = create_organization(stakeholder_type="rights_holder").id
    member = client_as("participant", organization_id=member_org)
    counts = []
    for size in (3, 30):
        with app.app_context():
            groups = [create_group(organization_ids=[member_org]).id for _ in range(size)]
            slug = create_consultation(group_id=manager.group_id, state="open", audience_mode="restricted",
                                       audience_group_ids=groups, audience_types=["rights_holder"]).slug
            consultation_id = db.session.scalar(db.select(Consultation.id).where(Consultation.slug == slug))
            for _ in range(size):
                create_document(consultation_id)
        counts.append((_page_queries(app, member, slug), _page_queries(app, manager, slug)))
    assert counts[0] == counts[1]
