"""The author of a moderated comment is told by email, in their own language, why and where."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from config import TestConfig
from consult import create_app
from consult.extensions import babel, db
from tests.comments.test_moderation_support import PASSWORD, add_comment, build_scene, outbox
from tests.helpers import login, submit

PROJECT_TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"

# The sentences of the moderation emails, translated, so a test can see which language a
# message was rendered in before the project's catalogs have them. The reason labels come
# from the project's own catalogs, which already translate them.
TEST_TRANSLATIONS = {
    "fr": {
        "Your comment has been hidden by a moderator": "Votre commentaire a été masqué par un modérateur",
        "Hello %(name)s,": "Bonjour %(name)s,",
        "Reason: %(reason)s": "Motif : %(reason)s",
    },
}


@pytest.fixture(scope="module")
def test_catalogs(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("moderation_translations")
    for locale, messages in TEST_TRANSLATIONS.items():
        catalog = Catalog(locale=locale)
        for english, translated in messages.items():
            catalog.add(english, translated)
        folder = root / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with open(folder / "messages.mo", "wb") as handle:
            write_mo(handle, catalog)
    return str(root)


def _forget_loaded_translations(app) -> None:
    # Flask-Babel caches catalogs on the one shared Babel object, not per application.
    with app.app_context():
        babel.domain_instance.cache.clear()


@pytest.fixture
def translated_app(app, database_url, test_catalogs):
    """The application with the test sentences added to the project's catalogs."""
    config = type(
        "TranslatedConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url,
         "BABEL_TRANSLATION_DIRECTORIES": f"{PROJECT_TRANSLATIONS};{test_catalogs}"},
    )
    _forget_loaded_translations(app)
    application = create_app(config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    _forget_loaded_translations(app)


def test_a_french_speaking_author_is_told_in_french(app, client_as, translated_app):
    scene = build_scene(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.french.id, paragraph_id=scene.document.paragraph_ids[0],
                             body="Le paragraphe est trop vague.")
    moderator = translated_app.test_client()
    login(moderator, scene.moderator.user.email, PASSWORD)

    response = submit(moderator, f"/moderation/comments/{comment_id}/hide",
                      {"reason": "off_topic", "note": "Merci de rester sur le sujet."},
                      form_page=f"/moderation/comments/{comment_id}")

    assert response.status_code == 302
    [mail] = outbox(app, "camille@example.org")
    assert mail.subject == "Votre commentaire a été masqué par un modérateur"
    assert "Bonjour Camille Martin," in mail.body
    assert "Motif : Sans rapport avec l’objet de la consultation" in mail.body  # the reason, in French
    assert "Merci de rester sur le sujet." in mail.body  # the moderator's note, as written
    assert "Projet de lignes directrices" in mail.body  # the consultation's French title
    link = f"/consultations/{scene.consultation.slug}/comments/{comment_id}"
    assert f"http://localhost{link}" in mail.body
    assert "Le paragraphe est trop vague." in mail.body
    # The link leads the author to their comment in the paragraph's thread.
    author = translated_app.test_client()
    login(author, "camille@example.org", PASSWORD)
    followed = author.get(link)
    assert followed.status_code == 302
    thread_key = scene.document.thread_keys[0]
    assert followed.headers["Location"].endswith(
        f"/documents/{scene.document.id}/threads/{thread_key}#comment-{comment_id}")


def test_the_moderators_own_language_does_not_leak_into_the_authors_email(app, client_as, translated_app):
    scene = build_scene(app, client_as)
    comment_id = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    moderator = translated_app.test_client()
    login(moderator, scene.moderator.user.email, PASSWORD)
    submit(moderator, "/language", {"locale": "fr", "next": "/"}, form_page="/")
    assert 'lang="fr"' in moderator.get("/moderation/").get_data(as_text=True)

    response = submit(moderator, f"/moderation/comments/{comment_id}/reject", {"reason": "spam"},
                      form_page=f"/moderation/comments/{comment_id}")

    assert response.status_code == 302
    [mail] = outbox(app, "john@example.org")
    assert mail.subject == "Your comment was not published"
    assert "Reason: Advertising or spam" in mail.body
    assert "Hello John Smith," in mail.body
    assert f"/consultations/{scene.consultation.slug}/comments/{comment_id}" in mail.body


def test_each_action_tells_the_author_what_happened(app, client_as):
    scene = build_scene(app, client_as)
    pending = add_comment(app, scene.consultation.id, scene.english.id, status="pending")
    published = add_comment(app, scene.consultation.id, scene.english.id)
    hidden = add_comment(app, scene.consultation.id, scene.english.id, status="hidden")

    for comment_id, action, data in [
        (pending, "approve", {}),
        (published, "hide", {"reason": "spam"}),
        (hidden, "restore", {"note": "Restored after review."}),
    ]:
        assert submit(scene.moderator, f"/moderation/comments/{comment_id}/{action}", data,
                      form_page="/moderation/").status_code == 302

    subjects = [mail.subject for mail in outbox(app, "john@example.org")]
    assert subjects == [
        "Your comment has been published",
        "Your comment has been hidden by a moderator",
        "Your comment has been restored",
    ]
    assert "Restored after review." in outbox(app, "john@example.org")[-1].body
