"""Which language a person sees, and how times and translatable content are shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from consult.i18n import LocalizedText, format_local_datetime, render_localized
from tests.helpers import login, submit


def _lang(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_english_by_default(client):
    assert _lang(client.get("/")) == "en"


def test_accept_language_is_followed(client):
    assert _lang(client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})) == "es"
    assert _lang(client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.7"})) == "fr"


def test_unsupported_accept_language_falls_back_to_english(client):
    response = client.get("/", headers={"Accept-Language": "zz-ZZ, *;q=0.1"})
    assert response.status_code == 200 and _lang(response) == "en"


def test_explicit_choice_beats_accept_language(client):
    response = submit(client, "/language", {"locale": "fr", "next": "/login"}, form_page="/")
    assert response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "es"})
    assert _lang(page) == "fr"
    assert "Se connecter" in page.get_data(as_text=True)


def test_unknown_locale_is_refused_clearly_and_changes_nothing(client):
    response = submit(client, "/language", {"locale": "xx"}, form_page="/")
    assert response.status_code == 400
    assert "That language is not available" in response.get_data(as_text=True)
    assert _lang(client.get("/")) == "en"


def test_garbage_locale_in_the_session_never_breaks_a_page(client):
    with client.session_transaction() as session:
        session["locale"] = "<script>"
    response = client.get("/")
    assert response.status_code == 200 and _lang(response) == "en"


def test_account_preference_applies_after_sign_in(app, client, make_user):
    user = make_user(locale="es")
    login(client, user.email, user.password)
    assert _lang(client.get("/", headers={"Accept-Language": "fr"})) == "es"


def test_switching_language_is_remembered_on_the_account(app, make_user):
    user = make_user(locale="en")
    first = app.test_client()
    login(first, user.email, user.password)
    submit(first, "/language", {"locale": "fr"}, form_page="/")
    second = app.test_client()
    login(second, user.email, user.password)
    assert _lang(second.get("/")) == "fr"


def test_every_page_offers_the_language_switcher(client):
    page = client.get("/login").get_data(as_text=True)
    for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
        assert f'value="{code}" lang="{code}"' in page and name in page


def test_times_are_shown_in_the_viewers_zone_with_its_name(app):
    moment = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    with app.test_request_context():
        from flask_babel import refresh

        app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Paris"
        refresh()
        try:
            with force_locale("fr"):
                text = format_local_datetime(moment)
        finally:
            app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    assert "15:00" in text
    assert "heure normale d’Europe centrale" in text


def test_user_time_zone_is_used_on_pages(app, client, make_user):
    user = make_user(timezone="America/Santiago")
    login(client, user.email, user.password)
    with app.test_request_context():
        pass
    with client:
        client.get("/")
        from flask_babel import get_timezone

        assert str(get_timezone()) == "America/Santiago"


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("es", "Este contenido no está disponible en español y se muestra en inglés."),
        ("fr", "Ce contenu n’est pas disponible en français et est affiché en anglais."),
    ],
)
def test_missing_translation_shows_the_original_with_a_notice(app, viewer, expected):
    text = LocalizedText({"en": "Counterfeiting and Piracy Group"}, original="en")
    with app.test_request_context(), force_locale(viewer):
        shown = text.render()
        notice = shown.notice
        html = str(render_localized(text))
    assert shown.text == "Counterfeiting and Piracy Group" and shown.is_fallback
    assert notice == expected
    assert 'lang="en"' in html and expected in html


def test_available_translation_is_shown_without_notice(app):
    text = LocalizedText({"en": "Group", "fr": "Groupe"}, original="en")
    with app.test_request_context(), force_locale("fr"):
        html = str(render_localized(text))
    assert html == '<span lang="fr">Groupe</span>'


def test_translatable_content_is_escaped(app):
    text = LocalizedText({"en": "<script>alert(1)</script>"}, original="en")
    with app.test_request_context(), force_locale("en"):
        html = str(render_localized(text))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_localized_text_round_trips_through_the_database(app):
    from consult.directory.models import Group
    from consult.extensions import db

    with app.app_context():
        group = Group(name=LocalizedText({"en": "Group", "es": "Grupo"}, "es"), description=LocalizedText({}, "es"))
        db.session.add(group)
        db.session.commit()
        group_id = group.id
        db.session.remove()
        loaded = db.session.get(Group, group_id)
        assert loaded.name.texts == {"en": "Group", "es": "Grupo"}
        assert loaded.name.original == "es"
        assert loaded.name.missing_locales() == ["fr"]


def test_a_naive_time_is_read_as_utc(app):
    with app.test_request_context(), force_locale("en"):
        naive = format_local_datetime(datetime(2026, 11, 29, 14, 0))
        aware = format_local_datetime(datetime(2026, 11, 29, 14, 0, tzinfo=UTC))
    assert naive == aware and "2:00" in naive


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Nov 29, 2026, 2:05"), ("fr", "29 nov. 2026, 14:05"), ("es", "29 nov 2026, 14:05")],
)
def test_times_are_shown_to_the_minute_in_each_locales_style(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        text = format_local_datetime(datetime(2026, 11, 29, 14, 5, 59, tzinfo=UTC))
    assert text.startswith(expected) and ":59" not in text
