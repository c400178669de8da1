"""The translation editor: every block of the current version, saved in one go, with completeness shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.consultations.models import DocumentVersion, Paragraph, WorkingDocument
from consult.extensions import db
from tests.consultations.document_support import setting
from tests.helpers import count, csrf_token, submit

ENGLISH = ["The Group met.", "It agreed.", "The Chair closed the meeting."]


@pytest.fixture
def world(app, client_as):
    world = setting(app, client_as, paragraphs=ENGLISH)
    world.editor = world.base + "/translate/fr"
    return world


def editor_data(world, texts, title="Titre"):
    data = {"version": "1", "title": title}
    for paragraph_id, text in zip(world.document.paragraph_ids, texts, strict=True):
        data[f"block_{paragraph_id}"] = text
    return data


def test_the_editor_shows_each_original_beside_a_labelled_field(world):
    page = world.moderator.get(world.editor)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    first = world.document.paragraph_ids[0]
    assert f'<label class="form-label" for="block_{first}">§1 in French</label>' in html
    assert f'id="block_{first}"' in html and f'aria-describedby="original-{first}"' in html
    assert f'lang="en" id="original-{first}">The Group met.</div>' in html
    assert 'lang="fr"' in html
    assert "0 of 3 paragraphs and headings (0%)" in html


def test_translations_are_saved_in_one_post_and_completeness_follows(app, world):
    texts = ["Le Groupe s'est réuni.", "Il est convenu.", ""]
    response = submit(world.moderator, world.editor, editor_data(world, texts))
    assert response.status_code == 302
    with app.app_context():
        paragraphs = db.session.scalars(
            select(Paragraph).where(Paragraph.id.in_(world.document.paragraph_ids)).order_by(Paragraph.position)
        ).all()
        assert [p.text.get("fr") for p in paragraphs] == ["Le Groupe s'est réuni.", "Il est convenu.", ""]
        assert [p.text.get("en") for p in paragraphs] == ENGLISH and all(p.text.original == "en" for p in paragraphs)
        assert db.session.get(WorkingDocument, world.document.id).title.get("fr") == "Titre"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_translated")).one()
        assert event.data == {"locale": "fr", "version": 1, "changed": 3}
    page = world.moderator.get(world.editor).get_data(as_text=True)
    assert "The French translation is saved." in page
    assert "2 of 3 paragraphs and headings (66%)" in page
    assert world.moderator.get(world.base).get_data(as_text=True).count("2 of 3 paragraphs and headings (66%)") == 1
    # The reader now sees French where it exists.
    submit(world.member, "/language", {"locale": "fr", "next": world.base}, form_page=world.base)
    assert "Il est convenu." in world.member.get(world.base).get_data(as_text=True)


def test_emptying_a_field_removes_the_translation(app, world):
    submit(world.moderator, world.editor, editor_data(world, ["Un.", "Deux.", "Trois."]))
    submit(world.moderator, world.editor, editor_data(world, ["Un.", "", "Trois."]))
    with app.app_context():
        paragraph = db.session.get(Paragraph, world.document.paragraph_ids[1])
        assert paragraph.text.texts == {"en": "It agreed."}


def test_an_overlong_translation_is_refused_and_nothing_is_saved(app, world):
    response = submit(world.moderator, world.editor, editor_data(world, ["Un.", "x" * 50_001, "Trois."]))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This text can have at most 50000 characters." in html
    assert f'id="block_{world.document.paragraph_ids[1]}-error"' in html
    assert "Un.</textarea>" in html  # the input is kept
    with app.app_context():
        assert db.session.get(Paragraph, world.document.paragraph_ids[0]).text.get("fr") == ""
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_translated")).first() is None


def test_a_translation_of_a_superseded_version_is_refused_and_the_typing_is_kept(app, world):
    token = csrf_token(world.moderator, world.editor)
    content = "The Group met.\n\nIt agreed on more.\n\nThe Chair closed the meeting."
    submit(world.moderator, world.base + "/versions/new", {"original_locale": "en", "content": content, "note": ""})
    data = editor_data(world, ["Un.", "Deux.", "Trois."])
    data["csrf_token"] = token
    response = world.moderator.post(world.editor, data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "A new version was published while you were translating. Nothing was saved" in html
    assert "Un.</textarea>" in html and "Trois.</textarea>" in html  # unchanged paragraphs keep what was typed
    assert "Deux.</textarea>" not in html  # the changed one shows the current (empty) translation
    assert 'name="version" type="hidden" value="2"' in html
    with app.app_context():
        assert count(Paragraph) == 6
        assert all(not p.text.get("fr") for p in db.session.scalars(select(Paragraph)))


def test_the_original_language_is_not_edited_here(world):
    response = world.moderator.get(world.base + "/translate/en")
    assert response.status_code == 302
    assert "its text changes only with a new version" in world.moderator.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert world.moderator.get(world.base + "/translate/de").status_code == 404


def test_participants_cannot_translate_and_outsiders_get_404(app, world):
    assert world.member.get(world.editor).status_code == 403
    response = submit(world.member, world.editor, editor_data(world, ["Un.", "Deux.", "Trois."]), form_page=world.base)
    assert response.status_code == 403
    assert world.outsider.get(world.editor).status_code == 404
    with app.app_context():
        assert db.session.get(Paragraph, world.document.paragraph_ids[0]).text.get("fr") == ""
        assert count(DocumentVersion) == 1
