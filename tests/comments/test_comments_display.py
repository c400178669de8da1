"""What a reader sees of a comment: author, organization, labels in their language, proposed change, status,
secretariat response, placeholders, confidentiality, and user text that is always shown as text."""

from __future__ import annotations

from consult.comments.models import SecretariatResponse
from consult.comments.wording import proposed_change
from consult.consultations.models import Consultation
from consult.directory.models import Organization, User
from consult.extensions import db
from consult.i18n import utcnow
from tests.comments.test_comments_support import (
    add_comment,
    add_version,
    build_discussion,
    comment_fields,
    render_discussion,
    render_document_threads,
    set_fields,
    signed_in,
    text_of,
)
from tests.helpers import submit

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _raw_discussion(app, user_id: int, **kwargs) -> str:
    """The section's HTML as sent, not unescaped."""
    from flask import render_template, session
    from flask_login import login_user
    from sqlalchemy import select

    from consult.consultations.extensions import consultation_sections

    with app.test_request_context("/consultations/guidelines"):
        session["locale"] = kwargs.get("locale", "en")
        user = db.session.get(User, user_id)
        login_user(user)
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "guidelines"))
        [section] = [s for s in consultation_sections(consultation, user) if s.name == "discussion"]
        return render_template(section.template, section=section, consultation=consultation)


def test_a_comment_shows_who_wrote_it_and_what_kind_it_is(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.camille.id, body="Nous soutenons.", comment_type="technical",
                position="support", language="fr")
    page = render_discussion(app, scene.pablo.id)
    for expected in ("Camille Martin", "Maison Lumière", "Rights holder", "France", "Technical", "Position: Support",
                     "Written in French", "Coordinated Universal Time"):
        assert expected in page, expected
    raw = _raw_discussion(app, scene.pablo.id)
    assert '<div class="comment-body" lang="fr"><p>Nous soutenons.</p>' in raw


def test_country_and_language_names_follow_the_readers_language(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.pablo.id, language="es")
    french = render_discussion(app, scene.camille.id, locale="fr")
    assert "Espagne" in french and "espagnol" in french
    spanish = render_discussion(app, scene.pablo.id, locale="es")
    assert "España" in spanish and "español" in spanish


def test_html_and_scripts_in_every_field_are_shown_as_text(app, client_as):
    scene = build_discussion(app, client_as)
    with app.app_context():
        db.session.get(User, scene.camille.id).display_name = PAYLOAD
        db.session.get(Organization, scene.camille.organization_id).name = PAYLOAD
        db.session.commit()
    general = add_comment(app, scene.consultation.id, scene.camille.id, body=PAYLOAD + " [link](javascript:alert(1))",
                          status="hidden", moderation_reason="offensive", moderation_note=PAYLOAD)
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0],
                body=PAYLOAD, proposed_wording=PAYLOAD)
    with app.app_context():
        db.session.add(SecretariatResponse(comment_id=general, outcome="noted", text=PAYLOAD, language="en"))
        db.session.get(Consultation, scene.consultation.id).responses_published_at = utcnow()
        db.session.commit()

    pages = [_raw_discussion(app, scene.camille.id), _raw_discussion(app, scene.moderator.user.id)]
    client = signed_in(app, scene.camille)
    pages.append(client.get(f"/consultations/guidelines/comments/new?parent={general}").get_data(as_text=True))
    pages.append(client.get(f"/consultations/guidelines/comments/{general}/revisions").get_data(as_text=True))
    thread = f"/consultations/guidelines/documents/{scene.document.id}/threads/{scene.document.thread_keys[0]}"
    pages.append(client.get(thread).get_data(as_text=True))
    failed = submit(client, "/consultations/guidelines/comments",
                    comment_fields(body=PAYLOAD, language=PAYLOAD, next=PAYLOAD, submission_key=PAYLOAD,
                                   comment_type=PAYLOAD, visibility=PAYLOAD), form_page="/")
    assert failed.status_code == 400
    pages.append(failed.get_data(as_text=True))

    for page in pages:
        assert "<script>" not in page and "<img" not in page and 'href="javascript:' not in page, page
    assert all("&lt;script&gt;" in page for page in pages)
    assert "Moderator's note: &lt;script&gt;" in pages[0]


def test_proposed_wording_is_shown_as_a_word_level_change(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.pablo.id, paragraph_id=scene.paragraph_ids[1],
                proposed_wording="Small parcels under 2 kg are inspected at random.", language="en")
    page = render_document_threads(app, scene.camille.id, scene.document.id)
    assert "Proposed change to paragraph 2" in page
    assert '<ins><span class="visually-hidden">inserted: </span>under 2 kg</ins>' in page
    assert '<del><span class="visually-hidden">deleted: </span>the border.</del>' in page
    assert "<ins><span class=\"visually-hidden\">inserted: </span>random.</ins>" in page


def test_the_change_is_measured_against_the_paragraph_in_the_comments_language(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[1], language="fr",
                proposed_wording="Les petits colis sont contrôlés à la frontière.")
    add_comment(app, scene.consultation.id, scene.pablo.id, paragraph_id=scene.paragraph_ids[1], language="es",
                proposed_wording="Small parcels are weighed at the border.")
    page = render_document_threads(app, scene.moderator.user.id, scene.document.id)
    assert "<del><span class=\"visually-hidden\">deleted: </span>inspectés</del>" in page
    assert "<ins><span class=\"visually-hidden\">inserted: </span>contrôlés</ins>" in page
    # No Spanish text: compared with the original, and the reader is told so.
    assert "(compared with the text in English)" in page


def test_word_diff_escapes_and_ignores_markdown():
    change = proposed_change("Some **bold** <b>text</b>.", "Some bold <i>text</i>.")
    assert "<b>" not in change.html and "<i>" not in change.html
    assert "&lt;i&gt;text&lt;/i&gt;." in change.html
    assert proposed_change("Same words.", "Same   words.").changed is False


def test_moderators_see_every_status_readers_see_placeholders(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.camille.id, body="Taken down.", status="hidden",
                moderation_reason="off_topic", moderation_note="Please stay on topic.")
    add_comment(app, scene.consultation.id, scene.camille.id, body="Waiting.", status="pending")
    add_comment(app, scene.consultation.id, scene.camille.id, body="Refused.", status="rejected",
                moderation_reason="spam")

    reader = render_discussion(app, scene.pablo.id)
    assert "Hidden by a moderator" in reader
    assert "Taken down." not in reader and "Waiting." not in reader and "Refused." not in reader

    author = render_discussion(app, scene.camille.id)
    assert "Taken down." in author and "Not about the consultation's subject" in author
    assert "Please stay on topic." in author
    assert "Waiting." in author and "Awaiting moderation" in author
    assert "Refused." in author and "Advertising or spam" in author

    moderator = render_discussion(app, scene.moderator.user.id)
    for text in ("Taken down.", "Waiting.", "Refused.", "Hidden by a moderator", "Awaiting moderation", "Rejected"):
        assert text in moderator, text


def test_the_author_reads_the_moderation_reason_in_their_language(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.camille.id, status="rejected", moderation_reason="duplicate")
    from flask_babel import force_locale

    from consult.comments.models import MODERATION_REASON_LABELS, ModerationReason

    with app.test_request_context("/"), force_locale("fr"):
        french_label = str(MODERATION_REASON_LABELS[ModerationReason.DUPLICATE])
    assert french_label in render_discussion(app, scene.camille.id, locale="fr")


def test_confidential_comments_are_never_shown_or_counted_for_the_audience(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.camille.id, body="Only for the secretariat.",
                visibility="confidential")
    add_comment(app, scene.consultation.id, scene.camille.id, body="Confidential and withdrawn.",
                visibility="confidential", status="withdrawn")
    add_comment(app, scene.consultation.id, scene.camille.id, body="On a paragraph, confidentially.",
                visibility="confidential", paragraph_id=scene.paragraph_ids[0])

    reader = render_discussion(app, scene.pablo.id)
    assert "Only for the secretariat." not in reader and "0 comments" in reader
    assert "Withdrawn by its author" not in reader  # no placeholder gives a confidential comment away
    assert "On a paragraph" not in render_document_threads(app, scene.pablo.id, scene.document.id)
    assert "comment on paragraph" not in render_document_threads(app, scene.pablo.id, scene.document.id)

    author = render_discussion(app, scene.camille.id)
    assert "Only for the secretariat." in author and "Confidential" in author and "1 comment" in author
    moderator = render_discussion(app, scene.moderator.user.id)
    assert "Only for the secretariat." in moderator and "2 comments" in moderator


def test_secretariat_responses_show_once_published(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id)
    with app.app_context():
        db.session.add(SecretariatResponse(comment_id=comment_id, outcome="partially_accepted",
                                           text="We will *reword* it.", language="en"))
        db.session.commit()
    assert "Secretariat response" not in render_discussion(app, scene.pablo.id)
    assert "Secretariat response: Partially accepted" in render_discussion(app, scene.moderator.user.id)
    set_fields(app, Consultation, scene.consultation.id, responses_published_at=utcnow())
    page = render_discussion(app, scene.pablo.id)
    assert "Secretariat response: Partially accepted" in page and "<em>reword</em>" in page


def test_managers_get_a_link_to_write_the_response(app, client_as):
    scene = build_discussion(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.camille.id)
    assert "Write the secretariat response" not in render_discussion(app, scene.pablo.id)
    page = render_discussion(app, scene.moderator.user.id)
    assert "Write the secretariat response" in page
    assert f"/moderation/comments/{comment_id}/response" in page


def test_comments_on_an_earlier_version_of_an_unchanged_paragraph_say_so(app, client_as):
    scene = build_discussion(app, client_as)
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0], body="On v1.")
    add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[1], body="Gone.")
    version = add_version(app, scene.document.id, [None, "Small parcels are inspected at random."])
    add_comment(app, scene.consultation.id, scene.pablo.id, paragraph_id=version.paragraph_ids[0], body="On v2.")

    current = render_document_threads(app, scene.camille.id, scene.document.id)
    assert "On v1." in current and "on version 1" in current and "On v2." in current
    assert "Gone." not in current  # its paragraph changed: its thread stays with version 1
    first = render_document_threads(app, scene.camille.id, scene.document.id, version_number=1)
    assert "Gone." in first and "On v2." in first and "on version 2" in first
    # The old version's changed paragraph takes no new comments; the unchanged one does (on its thread page).
    assert "Comment on §1" in first and "Comment on §2" not in first
    assert "<form" not in first and "<form" not in current


def test_the_page_of_a_whole_thread(app, client_as):
    scene = build_discussion(app, client_as)
    for number in range(1, 24):
        add_comment(app, scene.consultation.id, scene.camille.id, paragraph_id=scene.paragraph_ids[0],
                    body=f"Remark number {number}.")
    client = signed_in(app, scene.pablo)
    path = f"/consultations/guidelines/documents/{scene.document.id}/threads/{scene.document.thread_keys[0]}"
    first = text_of(client.get(path))
    assert "Comments on paragraph 1" in first and "Scope of the guidelines." in first
    assert "Remark number 20." in first and "Remark number 21." not in first
    assert "23 comments" in first
    second = text_of(client.get(path + "?page=2"))
    assert "Remark number 21." in second and "Remark number 23." in second
    assert client.get(path + "?page=3").status_code == 404
    assert client.get(path + "?page=-1").status_code == 404
    assert client.get(path.replace(scene.document.thread_keys[0], "0" * 32)).status_code == 404
    other = f"/consultations/other-consultation/documents/{scene.document.id}/threads/{scene.document.thread_keys[0]}"
    assert signed_in(app, scene.outsider).get(other).status_code == 404
    assert client.get(other).status_code == 404
