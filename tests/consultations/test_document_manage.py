"""Adding a working document, editing its details, deleting it: managers only, bad input refused whole."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.consultations.document_service import safe_filename
from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
from consult.extensions import db
from tests.consultations.document_support import docx_bytes, setting
from tests.helpers import count, csrf_token, submit


def document_data(**overrides):
    data = {
        "original_locale": "en",
        "title_en": "Draft programme of work",
        "title_fr": "Projet de programme de travail",
        "title_es": "",
        "category": "B",
        "comment_deadline": "",
        "content": "# Scope\n\nFirst paragraph.\n\nSecond paragraph.",
    }
    data.update(overrides)
    return data


def post_document(client, url, data, upload=None, form_page=None):
    payload = dict(data)
    payload["csrf_token"] = csrf_token(client, form_page or url)
    if upload is not None:
        payload["upload"] = (io.BytesIO(upload[1]), upload[0])
    return client.post(url, data=payload, content_type="multipart/form-data")


def rows(app):
    with app.app_context():
        return count(WorkingDocument), count(DocumentVersion), count(Paragraph), count(AuditEvent)


@pytest.fixture
def world(app, client_as):
    return setting(app, client_as)


def test_a_manager_adds_a_document_from_pasted_markdown(app, world):
    before = rows(app)
    response = post_document(world.moderator, world.new_url, document_data())
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalars(select(WorkingDocument).order_by(WorkingDocument.id.desc())).first()
        assert response.headers["Location"].endswith(f"/documents/{document.id}")
        assert document.title.texts == {"en": "Draft programme of work", "fr": "Projet de programme de travail"}
        assert document.category == "B" and document.comment_deadline is None
        version = document.current_version
        assert version.number == 1 and version.original_locale == "en" and version.source_file is None
        assert [(p.kind, p.number, p.text.get("en")) for p in version.paragraphs] == [
            ("heading", None, "Scope"),
            ("paragraph", 1, "First paragraph."),
            ("paragraph", 2, "Second paragraph."),
        ]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_added")).one()
        assert event.target_type == "WorkingDocument" and event.target_id == document.id
    assert rows(app)[:3] == (before[0] + 1, before[1] + 1, before[2] + 3)
    page = world.moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "The document is added." in page and 'id="p2"' in page


def test_a_manager_adds_a_document_from_a_docx_and_the_original_is_kept_byte_for_byte(app, world):
    data = docx_bytes(lambda d: (d.add_heading("Titre", 1), d.add_paragraph("Premier paragraphe.")))
    response = post_document(
        world.moderator,
        world.new_url,
        document_data(original_locale="fr", title_fr="Rapport", content=""),
        upload=("Rapport final (v2).docx", data),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        version = db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.id.desc())).first()
        assert version.source_file == data and version.source_format == "docx"
        assert version.source_filename == "Rapport final (v2).docx" and version.original_locale == "fr"
        document_id = version.document_id
        assert [p.text.get("fr") for p in version.paragraphs] == ["Titre", "Premier paragraphe."]
    download = world.member.get(
        f"/consultations/{world.consultation.slug}/documents/{document_id}/versions/1/original"
    )
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-Disposition"] == "attachment; filename=rapport-final-v2-v1.docx"
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_markdown_file_upload_is_read_as_utf8(app, world):
    text = "# Portée\n\nLes délégués « commentent ».\n".encode()
    response = post_document(world.moderator, world.new_url, document_data(content=""), upload=("notes.md", text))
    assert response.status_code == 302
    with app.app_context():
        version = db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.id.desc())).first()
        assert version.source_file == text and version.source_format == "markdown"
        assert version.paragraphs[1].text.get("en") == "Les délégués « commentent »."


BAD_UPLOADS = {
    "an .exe renamed .docx": ("report.docx", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4,
                              "not a Word document"),
    "random bytes named .md": ("notes.md", bytes((i * 7919) % 256 for i in range(3000)), "not UTF-8 text"),
    "a zip that is not a Word document": ("report.docx", None, "not a Word document"),
    "an empty file": ("empty.md", b"", "The file is empty."),
    "a Latin-1 text": ("notes.txt", "Délégués et réunion".encode("latin-1"), "not UTF-8 text"),
    "a file with no text": ("blank.md", b"\n\n   \n", "The file has no text"),
    "an unknown kind of file": ("slides.pdf", b"%PDF-1.7", "Upload a Word document"),
    "a Word document named .md": ("notes.md", None, "not UTF-8 text"),
}


def _zip_without_word_part() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("hello.txt", "not a document")
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_are_refused_next_to_the_field_and_nothing_is_written(app, world, case):
    name, data, message = BAD_UPLOADS[case]
    if data is None:
        data = _zip_without_word_part() if name.endswith(".docx") else docx_bytes(lambda d: d.add_paragraph("x"))
    before = rows(app)
    response = post_document(world.moderator, world.new_url, document_data(content=""), upload=(name, data))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="upload-error"' in page
    assert 'value="Draft programme of work"' in page  # the rest of the input is kept
    assert rows(app) == before


def test_an_oversized_upload_is_refused(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 1000)
    before = rows(app)
    response = post_document(
        world.moderator, world.new_url, document_data(content=""), upload=("big.md", b"word " * 300)
    )
    assert response.status_code == 400
    assert "The file is larger than 1 KB." in response.get_data(as_text=True)
    assert rows(app) == before


def test_the_default_limit_is_ten_megabytes(app, world):
    before = rows(app)
    big = b"a" * (10 * 1024 * 1024 + 1)
    response = post_document(world.moderator, world.new_url, document_data(content=""), upload=("big.txt", big))
    assert response.status_code == 400
    assert "The file is larger than 10 MB" in response.get_data(as_text=True)
    assert rows(app) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"content": "  \n\n---\n"}, "content", "The text is empty"),
        ({"content": ""}, "content", "Paste the document&#39;s text or upload a file."),
        ({"title_en": ""}, "title_en", "Enter the title in English, the original language."),
        ({"category": "Z"}, "category", "Choose the agenda category."),
        ({"original_locale": "de"}, "original_locale", "Choose the language"),
        ({"comment_deadline": "not a date"}, "comment_deadline", "Not a valid datetime value."),
        ({"title_fr": "x" * 301}, "title_fr", "300 characters"),
    ],
)
def test_bad_details_are_refused(app, world, overrides, field, message):
    before = rows(app)
    response = post_document(world.moderator, world.new_url, document_data(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    assert rows(app) == before


def test_pasting_and_uploading_at_once_is_refused(app, world):
    before = rows(app)
    response = post_document(world.moderator, world.new_url, document_data(), upload=("a.md", b"Text"))
    assert response.status_code == 400
    assert "not both" in response.get_data(as_text=True)
    assert rows(app) == before


def _local(moment, zone="Europe/Brussels"):
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_the_comment_deadline_is_entered_in_the_consultations_zone_and_must_fall_in_its_window(app, world):
    with app.app_context():
        consultation = db.session.get(Consultation, world.consultation.id)
        opens, closes = consultation.opens_at, consultation.closes_at
    too_early = _local(opens - timedelta(hours=1))
    too_late = _local(closes + timedelta(minutes=1))
    for wrong in (too_early, too_late):
        before = rows(app)
        response = post_document(world.moderator, world.new_url, document_data(comment_deadline=wrong))
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "The deadline must be after the consultation opens" in page and 'id="comment_deadline-error"' in page
        assert rows(app) == before

    inside = (closes - timedelta(days=2)).replace(second=0, microsecond=0)
    response = post_document(world.moderator, world.new_url, document_data(comment_deadline=_local(inside)))
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalars(select(WorkingDocument).order_by(WorkingDocument.id.desc())).first()
        assert document.comment_deadline == inside


def test_a_time_that_does_not_exist_in_the_zone_is_refused(app, world):
    with app.app_context():
        consultation = db.session.get(Consultation, world.consultation.id)
        consultation.opens_at = consultation.opens_at.replace(year=2030, month=3, day=1)
        consultation.closes_at = consultation.closes_at.replace(year=2030, month=4, day=30)
        db.session.commit()
    # Brussels clocks jump from 02:00 to 03:00 on the last Sunday of March 2030 (the 31st).
    response = post_document(world.moderator, world.new_url, document_data(comment_deadline="2030-03-31T02:30"))
    assert response.status_code == 400
    assert "does not exist in Europe/Brussels" in response.get_data(as_text=True)


def test_only_managers_may_add_documents(app, world, client_as):
    before = rows(app)
    assert world.member.get(world.new_url).status_code == 403
    response = post_document(world.member, world.new_url, document_data(), form_page=world.base)
    assert response.status_code == 403
    assert world.outsider.get(world.new_url).status_code == 404
    other_moderator = client_as("moderator")
    assert other_moderator.get(world.new_url).status_code == 404  # a restricted consultation they do not run
    assert client_as("staff").get(world.new_url).status_code == 200
    assert rows(app)[:3] == before[:3]


def test_editing_details_is_audited(app, world):
    url = world.base + "/edit"
    page = world.moderator.get(url)
    assert page.status_code == 200
    response = submit(
        world.moderator,
        url,
        {"original_locale": "en", "title_en": "Renamed", "title_fr": "Renommé", "title_es": "", "category": "A",
         "comment_deadline": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        document = db.session.get(WorkingDocument, world.document.id)
        assert document.title.texts == {"en": "Renamed", "fr": "Renommé"} and document.category == "A"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_updated")).one()
        assert event.data["changes"]["category"] == ["B", "A"]


def test_participants_cannot_edit_or_delete(app, world):
    before = rows(app)
    assert world.member.get(world.base + "/edit").status_code == 403
    response = world.member.post(world.base + "/delete", data={"csrf_token": csrf_token(world.member, world.base)})
    assert response.status_code == 403
    assert submit(world.outsider, world.base + "/delete", {}, form_page="/").status_code == 404
    assert rows(app) == before


def test_a_document_of_a_published_consultation_cannot_be_deleted(app, world):
    before = rows(app)
    response = submit(world.moderator, world.base + "/delete", {}, form_page=world.base)
    assert response.status_code == 409
    assert "the consultation is no longer a draft" in response.get_data(as_text=True)
    assert rows(app) == before


def test_a_draft_consultations_single_version_document_can_be_deleted(app, client_as):
    world = setting(app, client_as, state="draft")
    response = submit(world.moderator, world.base + "/delete", {}, form_page=world.base + "/edit")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(WorkingDocument, world.document.id) is None
        assert count(Paragraph) == 0
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document_deleted")).one()
        assert event.target_id == world.document.id


def test_a_document_with_two_versions_cannot_be_deleted_even_in_a_draft(app, client_as):
    world = setting(app, client_as, state="draft")
    response = submit(
        world.moderator, world.base + "/versions/new", {"original_locale": "en", "content": "New text.", "note": ""}
    )
    assert response.status_code == 302
    edit_page = world.moderator.get(world.base + "/edit").get_data(as_text=True)
    assert "it already has more than one version" in edit_page
    before = rows(app)
    response = submit(world.moderator, world.base + "/delete", {}, form_page=world.base)
    assert response.status_code == 409
    assert rows(app) == before


def test_an_uploaded_files_name_cannot_reach_the_download_header(app, world):
    name = "..\\..\\évil;\tname=x résumé.md"
    response = post_document(world.moderator, world.new_url, document_data(content=""), upload=(name, b"Text."))
    assert response.status_code == 302
    with app.app_context():
        version = db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.id.desc())).first()
        assert version.source_filename == "évil;name=x résumé.md"
        url = f"/consultations/{world.consultation.slug}/documents/{version.document_id}/versions/1/original"
    download = world.member.get(url)
    assert download.status_code == 200 and download.data == b"Text."
    assert download.headers["Content-Disposition"] == "attachment; filename=evil-name-x-resume-v1.md"
    assert download.headers["Cache-Control"] == "private, no-store"


def test_safe_filename_keeps_only_a_printable_last_part():
    assert safe_filename('C:\\Users\\me\\report.docx') == "report.docx"
    assert safe_filename("/etc/passwd") == "passwd"
    assert safe_filename('a"b\r\nc\x00.md') == "abc.md"
    assert safe_filename(None) == ""
    assert len(safe_filename("x" * 400 + ".md")) == 255
