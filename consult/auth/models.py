"""Invitations: single-use links that let a person join with a role."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.db_types import UTCDateTime
from consult.directory.models import Group, Organization, User, _in_list
from consult.extensions import db
from consult.i18n import DEFAULT_LOCALE, utcnow
from consult.security import Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(db.Model):
    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint(_in_list("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    # Only the hash of the link's token is stored: a database leak opens no account.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder_group.id", ondelete="SET NULL")
    )
    role: Mapped[str] = mapped_column(String(16), default=Role.PARTICIPANT.value)
    locale: Mapped[str] = mapped_column(String(8), default=DEFAULT_LOCALE)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    organization: Mapped[Organization | None] = relationship()
    group: Mapped[Group | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @classmethod
    def issue(cls, valid_days: int, **fields) -> tuple[Invitation, str]:
        """A new invitation and the clear token for its link (never stored)."""
        token = secrets.token_urlsafe(32)
        invitation = cls(
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(days=valid_days),
            **fields,
        )
        return invitation, token

    @classmethod
    def by_token(cls, token: str) -> Invitation | None:
        if not token or len(token) > 200:
            return None
        return db.session.scalar(select(cls).where(cls.token_hash == hash_token(token)))

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()
