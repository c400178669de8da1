"""What a person does to get in and out, and look after their account."""

from __future__ import annotations

import smtplib

from flask import current_app, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from consult.audit import record
from consult.auth.tokens import make_password_reset_token
from consult.directory.models import User, password_hash_method
from consult.extensions import db
from consult.i18n import SESSION_LOCALE_KEY, is_supported_locale, is_valid_time_zone, utcnow
from consult.mail import send_template

# Compared against when the email is unknown, so both failures take as long.
_DUMMY_HASHES: dict[str, str] = {}

# Session values that survive signing in: the language chosen, and the key of a
# comment kept while the session had expired (the comments package claims it).
COMMENT_DRAFT_SESSION_KEY = "comment_draft_key"
KEPT_AT_SIGN_IN = (SESSION_LOCALE_KEY, COMMENT_DRAFT_SESSION_KEY)

# What the SMTP server or the network can raise when a message does not go out.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


class Refused(Exception):
    """The operation cannot be done; the message, in the person's language, says why."""


class MailNotSent(Exception):
    """The email could not be handed to the mail server; nothing was saved for it."""

    def __init__(self, sent: int = 0):
        super().__init__("mail not sent")
        self.sent = sent


# --- Signing in and out ----------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None, recording either outcome."""
    user = User.by_email(email)
    if user is None or not user.has_password:
        check_password_hash(_dummy_hash(), password)
        record(None, "login_failed", user, email=User.normalise_email(email)[:320])
        db.session.commit()
        return None
    if not user.check_password(password) or not user.active:
        record(None, "login_failed", user, email=user.email)
        db.session.commit()
        return None
    return user


def start_session(user: User, remember: bool) -> None:
    """Log in with a brand-new session, keeping only the language choice and a kept comment's key."""
    kept = {name: session[name] for name in KEPT_AT_SIGN_IN if session.get(name)}
    session.clear()
    session.update(kept)
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


# --- Password reset ---------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Send a reset link if an active account has this address; say nothing either way."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    link = url_for("auth.reset_password", token=make_password_reset_token(user), _external=True)
    try:
        send_template(
            user.email,
            user.locale,
            "auth/email/password_reset.txt",
            subject=_l("Reset your Consult password"),
            user=user,
            link=link,
            valid_minutes=current_app.config["PASSWORD_RESET_VALID_SECONDS"] // 60,
        )
    except MAIL_ERRORS:
        # The answer must not differ for existing accounts, so the failure is only logged.
        db.session.rollback()
        current_app.logger.exception("Password reset email to %s not sent", user.email)
        return
    db.session.commit()  # the outbox row, when there is no mail server


def reset_password(user: User, password: str) -> None:
    user.set_password(password)
    user.end_other_sessions()
    record(user, "password_reset", user)
    db.session.commit()


# --- The person's own account -----------------------------------------------


def update_profile(user: User, display_name: str, locale: str, timezone: str) -> None:
    if not is_supported_locale(locale) or not is_valid_time_zone(timezone):
        raise Refused(_("Choose a language and a time zone from the lists."))
    changed = {
        name: value
        for name, value in (("display_name", display_name.strip()), ("locale", locale), ("timezone", timezone))
        if getattr(user, name) != value
    }
    if not changed:
        return
    for name, value in changed.items():
        setattr(user, name, value)
    record(user, "user_updated", user, changed=sorted(changed), by_themselves=True)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Set a new password and end every other session; False if the current password is wrong."""
    if not user.check_password(current_password):
        return False
    user.set_password(new_password)
    user.end_other_sessions()
    record(user, "password_changed", user)
    db.session.commit()
    return True



def _dummy_hash() -> str:
    """A hash of the configured cost, compared against when the email is unknown."""
    method = password_hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]
