"""Roles, the decorators that guard views, and the security headers."""

from __future__ import annotations

import enum
from functools import wraps

from flask import Flask, Request, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


ROLE_LABELS = {
    Role.PARTICIPANT: _l("Participant"),
    Role.MODERATOR: _l("Moderator"),
    Role.STAFF: _l("Staff"),
    Role.ADMIN: _l("Administrator"),
}


def role_required(minimum: Role):
    """Signed-in users whose role is at least `minimum`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(minimum):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(Role.ADMIN)
staff_required = role_required(Role.STAFF)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def set_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


class CleanInputRequest(Request):
    """A request whose form fields never hold NUL: it is never meant, and PostgreSQL refuses it in text.

    Removed once, here, so no form anywhere can turn it into a server error; files are left as they came.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in key or "\x00" in value for key, value in form.items(multi=True)):
            self.__dict__["form"] = ImmutableMultiDict(
                [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in form.items(multi=True)]
            )
