"""Fixtures: one application per run, a clean database for every test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set. No application context stays pushed while a test makes requests: each
request gets its own, exactly as in production.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from config import TestConfig, normalise_database_url
from consult import create_app
from consult.extensions import db, limiter
from tests.helpers import create_organization, create_user, login

DEFAULT_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    application = create_app(Config)
    with application.app_context():
        _empty_database()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_database() -> None:
    """Start from nothing, whatever schema an earlier run (or branch) left behind."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        return
    db.drop_all()  # SQLite: a fresh file per run, so this only tidies up


@pytest.fixture(autouse=True)
def _clean_state(app):
    yield
    with app.app_context():
        db.session.rollback()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.session.remove()
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_organization(app):
    def make(**fields):
        with app.app_context():
            return create_organization(**fields)

    return make


@pytest.fixture
def make_user(app):
    def make(role: str = "participant", password: str = DEFAULT_PASSWORD, **fields) -> SimpleNamespace:
        with app.app_context():
            return create_user(role=role, password=password, **fields)

    return make


@pytest.fixture
def client_as(app, make_user):
    """A signed-in test client for a new user of `role`; the user is on `.user`."""

    def make(role: str = "participant", **fields):
        user = make_user(role=role, **fields)
        signed_in = app.test_client()
        login(signed_in, user.email, user.password)
        signed_in.user = user
        return signed_in

    return make


@pytest.fixture
def participant_client(client_as):
    return client_as("participant")


@pytest.fixture
def moderator_client(client_as):
    return client_as("moderator")


@pytest.fixture
def staff_client(client_as):
    return client_as("staff")


@pytest.fixture
def admin_client(client_as):
    return client_as("admin")
