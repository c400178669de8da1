"""Reading a working document: numbered paragraphs, languages side by side, sections, who may see it."""

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader

from consult.consultations import extensions
from consult.consultations.extensions import Section
from consult.consultations.models import WorkingDocument
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.consultations.document_support import count_queries, setting
from tests.factories import create_document
from tests.helpers import submit

PARAGRAPHS = ["The Group **met** in Brussels.", "It agreed <script>alert(1)</script> on the way forward."]


@pytest.fixture
def world(app, client_as):
    return setting(app, client_as, paragraphs=PARAGRAPHS, translations={"fr": ["Le Groupe s'est réuni.", ""]})


def test_a_member_reads_numbered_paragraphs_with_anchors(world):
    page = world.member.get(world.base)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="p1"' in html and 'href="#p1"' in html and "§1" in html and "§2" in html
    assert "<strong>met</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "B — for discussion" in html
    assert "comments close in" in html
    assert html.count("<h1") == 1


def test_headings_are_not_numbered_and_keep_their_level(app, client_as):
    world = setting(app, client_as, paragraphs=["Text."])
    response = submit(
        world.moderator,
        world.base + "/versions/new",
        {"original_locale": "en", "content": "# 1. Scope\n\nFirst.\n\n## Sub\n\nSecond.", "note": ""},
    )
    assert response.status_code == 302
    html = world.member.get(world.base).get_data(as_text=True)
    assert re.search(r"<h2[^>]*>1\. Scope</h2>", html)
    assert re.search(r"<h3[^>]*>Sub</h3>", html)
    assert "§1" in html and "§2" in html and "§3" not in html
    assert "<li>Scope" not in html  # "1. Scope" stays a heading, not a list


def test_the_viewer_reads_their_language_with_a_notice_where_it_is_missing(world):
    submit(world.member, "/language", {"locale": "fr", "next": world.base}, form_page=world.base)
    html = world.member.get(world.base).get_data(as_text=True)
    assert "Le Groupe s'est réuni." in html
    # Each part says its language; the second paragraph falls back to English.
    assert '<div class="flex-grow-1" lang="fr">' in html and '<div class="flex-grow-1" lang="en">' in html
    assert "It agreed" in html
    # One notice for the page rather than one under every untranslated paragraph.
    assert html.count("1 partie sur 2 de ce document n’est pas disponible en français") == 1


def test_two_languages_side_by_side(world):
    html = world.member.get(world.base + "?compare=fr").get_data(as_text=True)
    assert 'class="col-md-6" lang="en"' in html
    assert 'lang="fr"' in html and "Le Groupe s'est réuni." in html
    assert "Not yet available in French." in html  # the second paragraph has no French text
    assert "One language only" in html
    # An unknown language is ignored rather than an error.
    plain = world.member.get(world.base + "?compare=xx")
    assert plain.status_code == 200 and "One language only" not in plain.get_data(as_text=True)


def test_managers_see_translation_progress(world):
    html = world.moderator.get(world.base).get_data(as_text=True)
    assert "1 of 2 paragraphs and headings (50%)" in html
    assert "2 of 2 paragraphs and headings (100%)" in html
    assert "0 of 2 paragraphs and headings (0%)" in html
    assert "Translate into French" in html and "Publish a new version" in html
    member_html = world.member.get(world.base).get_data(as_text=True)
    assert "paragraphs and headings" not in member_html and "Publish a new version" not in member_html


def test_sections_from_packages_above_render_after_each_paragraph_and_once_at_the_end(app, world, monkeypatch):
    templates = DictLoader(
        {
            "test/thread.html": "<aside data-thread='{{ paragraph.number }}' data-doc='{{ document.id }}'"
            " data-version='{{ version.number }}' data-slug='{{ consultation.slug }}'>"
            "{{ section.context.word }}</aside>",
            "test/footer.html": "<footer data-footer>{{ section.context.word }}</footer>",
        }
    )
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([templates, app.jinja_env.loader]))
    seen = {}

    def threads(document, version, user, request_args):
        seen["args"] = dict(request_args)
        return {"word": "thread-context"}

    monkeypatch.setattr(
        extensions,
        "_document_sections",
        {
            "threads": Section("threads", "test/thread.html", 50, threads),
            "document_footer": Section("document_footer", "test/footer.html", 60, lambda *a: {"word": "end"}),
        },
    )
    html = world.member.get(world.base + "?page=2").get_data(as_text=True)
    assert f"data-thread='1' data-doc='{world.document.id}' data-version='1'" in html
    assert "data-thread='2'" in html and html.count("thread-context") == 2
    assert html.count("data-footer") == 1 and html.index("data-thread='2'") < html.index("data-footer")
    assert seen["args"] == {"page": "2"}


def test_an_older_version_is_readable_and_says_so(app, world):
    response = submit(
        world.moderator, world.base + "/versions/new", {"original_locale": "en", "content": "New text.", "note": ""}
    )
    assert response.status_code == 302
    latest = world.member.get(world.base).get_data(as_text=True)
    assert "New text." in latest and "Version 2 of 2" in latest
    older = world.member.get(world.base + "/versions/1").get_data(as_text=True)
    assert "met" in older and "You are reading an earlier version of this document." in older
    assert world.member.get(world.base + "/versions/3").status_code == 404


def _outsider_paths(world):
    return [
        world.base,
        world.base + "/versions/1",
        world.base + "/versions/1/original",
        world.base + "/versions/2/diff",
        world.base + "/edit",
        world.base + "/versions/new",
        world.base + "/translate/fr",
        world.new_url,
    ]


def test_outsiders_get_404_on_every_url(app, world):
    with app.app_context():
        version = db.session.get(WorkingDocument, world.document.id).current_version
        version.source_file = b"secret"
        version.source_filename = "secret.md"
        version.source_format = "markdown"
        db.session.commit()
    for path in _outsider_paths(world):
        assert world.outsider.get(path).status_code == 404, path
    for path in (world.base + "/delete", world.base + "/edit", world.base + "/translate/fr", world.new_url,
                 world.base + "/versions/new"):
        assert submit(world.outsider, path, {"content": "x"}, form_page="/").status_code == 404, path
    assert world.member.get(world.base + "/versions/1/original").data == b"secret"


def test_a_draft_is_hidden_from_its_audience(app, client_as):
    world = setting(app, client_as, state="draft")
    assert world.member.get(world.base).status_code == 404
    assert world.moderator.get(world.base).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for path in _outsider_paths(world):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_documents_of_another_consultation_and_absurd_ids_are_404(app, world):
    with app.app_context():
        from tests.factories import create_consultation

        other = create_consultation(state="open")
        stray = create_document(other.id)
    assert world.member.get(f"/consultations/{world.consultation.slug}/documents/{stray.id}").status_code == 404
    assert world.member.get(f"/consultations/{world.consultation.slug}/documents/99999999999").status_code == 404
    assert world.member.get(world.base + "/versions/99999999999").status_code == 404
    assert world.member.get("/consultations/no-such-slug/documents/1").status_code == 404


def test_pasted_documents_have_no_original_file(world):
    assert world.member.get(world.base + "/versions/1/original").status_code == 404
    assert "Download the original file" not in world.member.get(world.base).get_data(as_text=True)


def test_query_count_is_the_same_for_10_and_200_paragraphs(app, client_as):
    small = setting(app, client_as, paragraphs=[f"Paragraph {n}." for n in range(10)])
    with app.app_context():
        large = create_document(small.consultation.id, paragraphs=[f"Paragraph {n}." for n in range(200)])
        # A title in one language only, so the page also renders fallbacks.
        db.session.get(WorkingDocument, large.id).title = LocalizedText({"fr": "Grand"}, "fr")
        db.session.commit()
    large_url = f"/consultations/{small.consultation.slug}/documents/{large.id}"
    for client in (small.member, small.moderator):
        client.get(small.base)  # warm up: the first request of a client loads its session
        _, few = count_queries(app, lambda c=client: c.get(small.base + "?compare=es"))
        _, many = count_queries(app, lambda c=client: c.get(large_url + "?compare=es"))
        assert few == many
