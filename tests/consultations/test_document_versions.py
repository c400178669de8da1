"""A new version: unchanged paragraphs keep their thread and translations; the diff shows what changed."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.comments.models import Comment
from consult.consultations.models import DocumentVersion, Paragraph, WorkingDocument
from consult.consultations.parsing import parse_markdown
from consult.consultations.versioning import build_paragraphs, diff_versions, word_diff
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.consultations.document_support import docx_bytes, setting
from tests.factories import create_comment
from tests.helpers import count, submit

FIRST = ["The Group met in Brussels.", "It agreed on three points.", "The Chair thanked the members."]
FRENCH = ["Le Groupe s'est réuni à Bruxelles.", "Il est convenu de trois points.", "Le Président a remercié."]


@pytest.fixture
def world(app, client_as):
    return setting(app, client_as, paragraphs=FIRST, translations={"fr": FRENCH})


def publish(world, content: str, note: str = "", locale: str = "en"):
    return submit(
        world.moderator, world.base + "/versions/new", {"original_locale": locale, "content": content, "note": note}
    )


def paragraphs_of(app, document_id: int, number: int) -> list[Paragraph]:
    with app.app_context():
        version = db.session.scalars(
            select(DocumentVersion).where(DocumentVersion.document_id == document_id, DocumentVersion.number == number)
        ).one()
        rows = list(version.paragraphs)
        for row in rows:
            db.session.expunge(row)
        return rows


def test_unchanged_paragraphs_keep_their_thread_and_translations_changed_ones_start_afresh(app, world):
    with app.app_context():
        first_paragraph = world.document.paragraph_ids[0]
        comment_id = create_comment(world.consultation.id, world.member.user.id, paragraph_id=first_paragraph)
    content = (
        "# Report\n\n"
        "The  Group met\nin Brussels.\n\n"  # the same words, other spacing
        "It agreed on four points.\n\n"  # changed
        "A new paragraph.\n\n"
        "The Chair thanked the members."
    )
    response = publish(world, content, note="Fourth point added")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(world.base + "/versions/2/diff")
    old, new = paragraphs_of(app, world.document.id, 1), paragraphs_of(app, world.document.id, 2)
    assert [p.kind for p in new] == ["heading", "paragraph", "paragraph", "paragraph", "paragraph"]
    assert [p.number for p in new] == [None, 1, 2, 3, 4]
    assert new[1].thread_key == old[0].thread_key
    assert new[1].text.get("fr") == FRENCH[0] and new[1].text.get("en") == "The  Group met\nin Brussels."
    assert new[4].thread_key == old[2].thread_key and new[4].text.get("fr") == FRENCH[2]
    fresh = [new[0], new[2], new[3]]
    assert all(p.thread_key not in {o.thread_key for o in old} for p in fresh)
    assert len({p.thread_key for p in new}) == 5
    assert new[2].text.get("fr") == "" and new[2].text.texts == {"en": "It agreed on four points."}
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.paragraph_id == world.document.paragraph_ids[0]  # stays on the paragraph it was made on
        document = db.session.get(WorkingDocument, world.document.id)
        assert document.current_version.number == 2 and document.current_version.note == "Fourth point added"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_version_published")).one()
        assert event.target_type == "WorkingDocument" and event.data["version"] == 2 and event.data["unchanged"] == 2
        # The first version is untouched.
        assert [p.text.get("en") for p in document.versions[0].paragraphs] == FIRST


def test_a_repeated_paragraph_is_taken_over_once():
    previous = build_paragraphs(parse_markdown("Same.\n\nSame.\n\nOther."), "en")
    new = build_paragraphs(parse_markdown("Same.\n\nSame.\n\nSame."), "en", previous)
    assert new[0].thread_key == previous[0].thread_key
    assert new[1].thread_key == previous[1].thread_key
    assert new[2].thread_key not in {p.thread_key for p in previous}


def test_a_version_in_another_language_matches_on_the_earlier_translation():
    previous = build_paragraphs(parse_markdown("Hello.\n\nWorld."), "en")
    previous[0].text = previous[0].text.with_text("fr", "Bonjour.")
    new = build_paragraphs(parse_markdown("Bonjour.\n\nMonde."), "fr", previous)
    assert new[0].thread_key == previous[0].thread_key
    assert new[0].text == LocalizedText({"en": "Hello.", "fr": "Bonjour."}, "fr")
    assert new[1].thread_key != previous[1].thread_key


def test_a_heading_and_a_paragraph_with_the_same_words_are_different_blocks():
    previous = build_paragraphs(parse_markdown("Scope"), "en")
    new = build_paragraphs(parse_markdown("# Scope"), "en", previous)
    assert new[0].thread_key != previous[0].thread_key


def test_a_new_version_from_a_docx(app, world):
    data = docx_bytes(lambda d: [d.add_paragraph(text) for text in FIRST])
    response = submit(
        world.moderator,
        world.base + "/versions/new",
        {"original_locale": "en", "content": "", "note": "", "upload": (io.BytesIO(data), "v2.docx")},
    )
    assert response.status_code == 302
    new = paragraphs_of(app, world.document.id, 2)
    assert [p.thread_key for p in new] == world.document.thread_keys


@pytest.mark.parametrize(
    ("content", "note", "message"),
    [
        ("", "", "Paste the document's text"),
        ("\n---\n", "", "The text is empty"),
        ("Text.", "n" * 501, "500 characters"),
    ],
)
def test_bad_new_versions_write_nothing(app, world, content, note, message):
    with app.app_context():
        before = count(DocumentVersion), count(Paragraph), count(AuditEvent)
    response = publish(world, content, note=note)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        assert (count(DocumentVersion), count(Paragraph), count(AuditEvent)) == before


def test_participants_cannot_publish_versions(app, world):
    assert world.member.get(world.base + "/versions/new").status_code == 403
    response = submit(
        world.member,
        world.base + "/versions/new",
        {"original_locale": "en", "content": "Mine."},
        form_page=world.base,
    )
    assert response.status_code == 403
    with app.app_context():
        assert count(DocumentVersion) == 1


def test_the_diff_page_shows_each_change_in_words(app, world):
    content = "The Group met in Geneva.\n\nIt agreed on three points.\n\nA <b>new</b> paragraph."
    assert publish(world, content).status_code == 302
    page = world.member.get(world.base + "/versions/2/diff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 changed, 1 added, 1 removed." in html
    assert '<del><span class="visually-hidden">removed: </span>Brussels.</del>' in html
    assert '<ins><span class="visually-hidden">added: </span>Geneva.</ins>' in html
    assert ">Unchanged<" in html and ">Added<" in html and ">Removed<" in html and ">Changed<" in html
    assert "A &lt;b&gt;new&lt;/b&gt; paragraph." in html and "<b>new</b>" not in html
    assert "The Chair thanked the members." in html  # the removed paragraph, shown struck out
    assert world.member.get(world.base + "/versions/1/diff").status_code == 404
    assert world.outsider.get(world.base + "/versions/2/diff").status_code == 404


def test_word_diff_escapes_before_marking():
    html = str(word_diff("Keep <i>this</i> & that", "Keep <script>x</script> & that"))
    assert "<script>" not in html and "<i>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&amp; that" in html
    assert html.startswith("Keep ")


def test_diff_pairs_blocks_and_numbers():
    old = build_paragraphs(parse_markdown("# A\n\nOne.\n\nTwo.\n\nThree."), "en")
    new = build_paragraphs(parse_markdown("# A\n\nOne.\n\nTwo changed.\n\nThree.\n\nFour."), "en", old)
    entries = diff_versions(old, new, "en")
    assert [e.status for e in entries] == ["unchanged", "unchanged", "changed", "unchanged", "added"]
    assert entries[2].old.number == 2 and entries[2].new.number == 2
    assert "<ins>" in str(entries[2].html)
