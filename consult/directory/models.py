"""Organizations, stakeholder groups and users."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from consult.db_types import UTCDateTime
from consult.directory.stakeholders import StakeholderType, country_name
from consult.extensions import db
from consult.i18n import DEFAULT_LOCALE, LOCALES, LocalizedText, localized_column, utcnow
from consult.security import Role

group_organization = Table(
    "group_organization",
    db.metadata,
    Column("group_id", ForeignKey("stakeholder_group.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True),
)

group_moderator = Table(
    "group_moderator",
    db.metadata,
    Column("group_id", ForeignKey("stakeholder_group.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


def password_hash_method() -> str:
    """scrypt with werkzeug's strong defaults; the test suite lowers the cost to run fast."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Organization(db.Model):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(_in_list("stakeholder_type", StakeholderType), name="stakeholder_type"),
        CheckConstraint("length(country) = 2", name="country_alpha2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Names are unique ignoring case; the normalised copy carries the constraint.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    stakeholder_type: Mapped[str] = mapped_column(String(32), index=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organization")
    groups: Mapped[list[Group]] = relationship(
        secondary=group_organization, back_populates="organizations"
    )

    @staticmethod
    def key_for(name: str) -> str:
        return " ".join(name.split()).casefold()

    @property
    def stakeholder(self) -> StakeholderType:
        return StakeholderType(self.stakeholder_type)

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    def __repr__(self) -> str:
        return f"<Organization {self.name!r}>"


class Group(db.Model):
    """A stakeholder group, such as the Counterfeiting and Piracy Group."""

    __tablename__ = "stakeholder_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[LocalizedText] = localized_column("name")
    description: Mapped[LocalizedText] = localized_column("description")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organizations: Mapped[list[Organization]] = relationship(
        secondary=group_organization, back_populates="groups", order_by="Organization.name"
    )
    moderators: Mapped[list[User]] = relationship(
        secondary=group_moderator, back_populates="moderated_groups", order_by="User.display_name"
    )

    def __repr__(self) -> str:
        return f"<Group {self.name.get(self.name.original)!r}>"


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(_in_list("role", Role), name="role"),
        CheckConstraint(_in_list("locale", LOCALES), name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default=DEFAULT_LOCALE)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=Role.PARTICIPANT.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to end every other session of this user (logout, password change).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization | None] = relationship(back_populates="users")
    moderated_groups: Mapped[list[Group]] = relationship(
        secondary=group_moderator, back_populates="moderators"
    )

    @staticmethod
    def normalise_email(email: str) -> str:
        return (email or "").strip().lower()

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(select(cls).where(cls.email == cls.normalise_email(email)))

    # Flask-Login: the id carries the session version, so bumping the version
    # logs out every session and remember-me cookie issued before.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def user_role(self) -> Role:
        return Role(self.role)

    def has_role(self, minimum: Role) -> bool:
        return self.user_role.at_least(minimum)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def end_other_sessions(self) -> None:
        self.session_version = (self.session_version or 1) + 1

    def __repr__(self) -> str:
        return f"<User {self.email!r}>"

