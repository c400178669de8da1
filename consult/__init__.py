"""Consult: written consultations for stakeholder groups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import DEFAULT_SECRET_KEY, config_from_environment
from consult.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from consult.i18n import select_locale, select_timezone
from consult.security import CleanInputRequest

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config_object=None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = CleanInputRequest
    app.config.from_object(config_object or config_from_environment())
    _refuse_insecure_production(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    bootstrap.init_app(app)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    limiter.init_app(app)

    from consult import admin, audit, auth, comments, consultations, directory, exports, mail, site, surveys  # noqa: F401
    from consult.security import install_security_headers
    from consult.templating import install_template_helpers

    site.init_app(app)
    auth.init_app(app)
    directory.init_app(app)
    consultations.init_app(app)
    comments.init_app(app)
    surveys.init_app(app)
    exports.init_app(app)
    admin.init_app(app)
    install_template_helpers(app)
    install_security_headers(app)

    from consult.demo import demo_command

    app.cli.add_command(demo_command)
    return app


def _refuse_insecure_production(app: Flask) -> None:
    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY")
    if not key or key == DEFAULT_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production."
        )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
