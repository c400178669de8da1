"""Fixtures for the auth tests: extra applications on the same database, a test catalog."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from config import TestConfig
from consult import create_app
from consult.extensions import babel, db

# A few real strings of the auth emails, translated, so a test can see which
# language a message was rendered in before the project's catalogs exist.
TEST_TRANSLATIONS = {
    "fr": {
        "Your invitation to Consult": "Votre invitation à Consult",
        "Reset your Consult password": "Réinitialisez votre mot de passe Consult",
        "Hello,": "Bonjour,",
    },
    "es": {
        "Your invitation to Consult": "Su invitación a Consult",
        "Hello,": "Hola:",
    },
}


@pytest.fixture(scope="session")
def test_catalogs(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("translations")
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
    # Flask-Babel caches catalogs by locale on the one shared Babel object, not
    # per application; clear it so no application sees another's catalogs.
    with app.app_context():
        babel.domain_instance.cache.clear()


@pytest.fixture
def make_app(app, database_url):
    """Build another application on the test database with some settings changed."""
    built = []

    def make(**settings):
        config = type("ChangedConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **settings})
        application = create_app(config)
        built.append(application)
        return application

    _forget_loaded_translations(app)
    yield make
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
    _forget_loaded_translations(app)


@pytest.fixture
def translated_app(make_app, test_catalogs):
    """The application with French and Spanish catalogs for the auth emails."""
    return make_app(BABEL_TRANSLATION_DIRECTORIES=test_catalogs)
