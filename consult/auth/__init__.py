"""Signing in and out, invitations, password reset, the person's own account."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from consult.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from consult.auth import models  # noqa: F401
    from consult.auth.views import bp

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.register_blueprint(bp)


def load_user(session_id: str):
    """Find the user for a session, refusing sessions ended since (version bumped)."""
    from consult.directory.models import User

    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
