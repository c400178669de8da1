"""What a person does to get in and out."""

from __future__ import annotations

from flask import session
from flask_login import login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from consult.audit import record
from consult.directory.models import User
from consult.extensions import db
from consult.i18n import SESSION_LOCALE_KEY, utcnow

# Compared against when the email is unknown, so both failures take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None, recording either outcome."""
    user = User.by_email(email)
    if user is None or not user.has_password:
        check_password_hash(_DUMMY_HASH, password)
        record(None, "login_failed", user, email=User.normalise_email(email)[:320])
        db.session.commit()
        return None
    if not user.check_password(password) or not user.active:
        record(None, "login_failed", user, email=user.email)
        db.session.commit()
        return None
    return user


def start_session(user: User, remember: bool) -> None:
    """Log in with a brand-new session, keeping only the language choice."""
    locale = session.get(SESSION_LOCALE_KEY)
    session.clear()
    if locale:
        session[SESSION_LOCALE_KEY] = locale
    user.last_login_at = utcnow()
    login_user(user, remember=remember)
    record(user, "login", user)
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Sign out here and everywhere else this person is signed in."""
    user.end_other_sessions()
    record(user, "logout", user)
    db.session.commit()
    locale = session.get(SESSION_LOCALE_KEY)
    logout_user()
    session.clear()
    if locale:
        session[SESSION_LOCALE_KEY] = locale
