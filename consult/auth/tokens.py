"""Signed password-reset links.

The token carries the user id and a fingerprint of the current password hash,
so it stops working the moment the password changes: a link works once.
Nothing is stored on the server.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from consult.directory.models import User
from consult.extensions import db

PASSWORD_RESET_SALT = "password-reset"  # noqa: S105  (a namespace, not a secret)


class ResetLinkProblem(enum.StrEnum):
    INVALID = "invalid"  # tampered, truncated or for an unknown or disabled account
    EXPIRED = "expired"
    USED = "used"  # the password changed since the link was sent


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=PASSWORD_RESET_SALT)


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash; changes whenever the password does."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_password_reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "password": password_fingerprint(user)})


def read_password_reset_token(token: str) -> tuple[User | None, ResetLinkProblem | None]:
    """The user a reset link is for, or the reason the link cannot be used."""
    max_age = current_app.config["PASSWORD_RESET_VALID_SECONDS"]
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return None, ResetLinkProblem.EXPIRED
    except BadSignature:
        return None, ResetLinkProblem.INVALID
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        return None, ResetLinkProblem.INVALID
    user = db.session.get(User, payload["user"])
    if user is None or not user.active:
        return None, ResetLinkProblem.INVALID
    if not hmac.compare_digest(str(payload.get("password", "")), password_fingerprint(user)):
        return None, ResetLinkProblem.USED
    return user, None
