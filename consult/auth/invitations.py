"""Invitations: who may invite whom, sending and revoking them, and accepting one to join."""

from __future__ import annotations

import enum

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, not_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from consult.audit import record
from consult.auth.models import Invitation
from consult.auth.service import MAIL_ERRORS, MailNotSent, Refused
from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.i18n import is_supported_locale, is_valid_time_zone, utcnow
from consult.mail import send_template
from consult.security import Role

# --- Invitations: what state one is in, and the same rule as a query filter --


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return str(INVITATION_STATE_LABELS[self])


INVITATION_STATE_LABELS = {
    InvitationState.PENDING: _l("Pending"),
    InvitationState.ACCEPTED: _l("Accepted"),
    InvitationState.EXPIRED: _l("Expired"),
    InvitationState.REVOKED: _l("Revoked"),
}


def invitation_state(invitation: Invitation) -> InvitationState:
    if invitation.accepted_at is not None:
        return InvitationState.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.is_expired:
        return InvitationState.EXPIRED
    return InvitationState.PENDING


def invitation_state_filter(state: InvitationState):
    """`invitation_state(i) == state` as a WHERE clause."""
    now = utcnow()
    accepted, revoked = Invitation.accepted_at.is_not(None), Invitation.revoked_at.is_not(None)
    if state is InvitationState.ACCEPTED:
        return accepted
    if state is InvitationState.REVOKED:
        return and_(not_(accepted), revoked)
    if state is InvitationState.EXPIRED:
        return and_(not_(accepted), not_(revoked), Invitation.expires_at <= now)
    return and_(not_(accepted), not_(revoked), Invitation.expires_at > now)


def invitations_query(state: InvitationState | None = None):
    query = (
        select(Invitation)
        .options(
            joinedload(Invitation.organization),
            joinedload(Invitation.invited_by),
            joinedload(Invitation.group),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return query if state is None else query.where(invitation_state_filter(state))


def roles_grantable_by(user: User) -> list[Role]:
    """Staff invite up to staff; only admins invite admins."""
    return [role for role in Role if user.has_role(role)]


def can_manage_invitation(user: User, invitation: Invitation) -> bool:
    return Role(invitation.role) in roles_grantable_by(user)


def active_organizations() -> list[Organization]:
    query = select(Organization).where(Organization.active.is_(True)).order_by(Organization.name)
    return list(db.session.scalars(query))


def active_groups() -> list[Group]:
    groups = db.session.scalars(select(Group).where(Group.active.is_(True))).all()
    return sorted(groups, key=lambda group: str(group.name).casefold())


# --- Invitations: sending and revoking -------------------------------------


def invite(
    inviter: User,
    email: str,
    role: str,
    organization_id: int | None,
    group_id: int | None,
    locale: str,
) -> Invitation:
    """Invite a person by email, replacing any invitation still pending for that address."""
    email = User.normalise_email(email)
    role = Role(role)
    if role not in roles_grantable_by(inviter):
        raise Refused(_("You may not invite someone as %(role)s.", role=role.label))
    if not is_supported_locale(locale):
        raise Refused(_("Choose English, French or Spanish."))
    existing = User.by_email(email)
    if existing is not None and existing.has_password:
        raise Refused(
            _(
                "%(email)s already has an account. They can sign in, "
                "or reset their password if they have forgotten it.",
                email=email,
            )
        )
    if existing is not None and not existing.active:
        raise Refused(_("The account for %(email)s is disabled. Reactivate it before inviting them.", email=email))
    organization = db.session.get(Organization, organization_id) if organization_id else None
    if organization_id and (organization is None or not organization.active):
        raise Refused(_("Choose an active organization from the list."))
    if role is Role.PARTICIPANT and organization is None:
        raise Refused(_("Choose the organization this participant belongs to."))
    group = db.session.get(Group, group_id) if group_id else None
    if group_id and (group is None or not group.active):
        raise Refused(_("Choose an active group from the list."))

    replaced = db.session.scalars(
        select(Invitation).where(Invitation.email == email, invitation_state_filter(InvitationState.PENDING))
    ).all()
    if any(not can_manage_invitation(inviter, old) for old in replaced):
        raise Refused(
            _(
                "An invitation with the administrator role is pending for %(email)s; "
                "only an administrator can replace it.",
                email=email,
            )
        )
    now = utcnow()
    for old in replaced:
        old.revoked_at = now

    invitation, token = Invitation.issue(
        valid_days=current_app.config["INVITATION_VALID_DAYS"],
        email=email,
        role=role.value,
        organization=organization,
        group=group,
        locale=locale,
        invited_by=inviter,
    )
    db.session.add(invitation)
    record(
        inviter,
        "invitation_resent" if replaced else "invitation_sent",
        invitation,
        role=role.value,
        organization_id=organization_id,
        group_id=group_id,
        locale=locale,
        replaces=[old.id for old in replaced],
    )
    _send_invitation_or_roll_back(invitation, token)
    db.session.commit()
    return invitation


def _passwordless_users_query(inviter: User):
    """Active accounts without a password and without a pending invitation (the CSV import makes them)."""
    pending = exists().where(Invitation.email == User.email, invitation_state_filter(InvitationState.PENDING))
    return select(User).where(
        User.active.is_(True),
        User.password_hash.is_(None),
        User.role.in_([role.value for role in roles_grantable_by(inviter)]),
        not_(pending),
    )


def count_passwordless_users(inviter: User) -> int:
    query = _passwordless_users_query(inviter).subquery()
    return db.session.scalar(select(func.count()).select_from(query)) or 0


def invite_passwordless_users(inviter: User) -> int:
    """Invite every account still without a password; returns how many invitations went out.

    Each invitation is committed as soon as its email has gone, so what the
    database says matches what people received even if the mail server fails
    half-way (then MailNotSent carries the number already sent).
    """
    users = db.session.scalars(_passwordless_users_query(inviter).order_by(User.id)).all()
    sent = 0
    for user in users:
        invitation, token = Invitation.issue(
            valid_days=current_app.config["INVITATION_VALID_DAYS"],
            email=user.email,
            role=user.role,
            organization_id=user.organization_id,
            locale=user.locale,
            invited_by=inviter,
        )
        db.session.add(invitation)
        record(inviter, "invitation_sent", invitation, role=user.role, organization_id=user.organization_id,
               locale=user.locale, passwordless_account=True)
        try:
            _send_invitation_or_roll_back(invitation, token)
        except MailNotSent as error:
            error.sent = sent
            raise
        db.session.commit()
        sent += 1
    return sent


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if invitation_state(invitation) is not InvitationState.PENDING:
        raise Refused(_("This invitation is no longer pending, so it cannot be revoked."))
    invitation.revoked_at = utcnow()
    record(actor, "invitation_revoked", invitation, role=invitation.role)
    db.session.commit()


def _send_invitation_or_roll_back(invitation: Invitation, token: str) -> None:
    try:
        send_template(
            invitation.email,
            invitation.locale,
            "auth/email/invitation.txt",
            subject=_l("Your invitation to Consult"),
            invitation=invitation,
            role=Role(invitation.role),
            link=url_for("auth.accept_invitation", token=token, _external=True),
            valid_days=current_app.config["INVITATION_VALID_DAYS"],
        )
    except MAIL_ERRORS as error:
        db.session.rollback()
        current_app.logger.exception("Invitation email to %s not sent", invitation.email)
        raise MailNotSent() from error


# --- Invitations: accepting --------------------------------------------------


class InvitationProblem(enum.StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    HAS_ACCOUNT = "has_account"
    DISABLED = "disabled"


class InvitationUnusable(Exception):
    def __init__(self, problem: InvitationProblem):
        super().__init__(problem.value)
        self.problem = problem


def invitation_problem(invitation: Invitation | None) -> InvitationProblem | None:
    """Why this invitation cannot be accepted now, or None if it can."""
    if invitation is None:
        return InvitationProblem.UNKNOWN
    state = invitation_state(invitation)
    if state is not InvitationState.PENDING:
        return {
            InvitationState.ACCEPTED: InvitationProblem.USED,
            InvitationState.REVOKED: InvitationProblem.REVOKED,
            InvitationState.EXPIRED: InvitationProblem.EXPIRED,
        }[state]
    user = User.by_email(invitation.email)
    if user is not None and user.has_password:
        return InvitationProblem.HAS_ACCOUNT
    if user is not None and not user.active:
        return InvitationProblem.DISABLED
    return None


def existing_passwordless_user(invitation: Invitation) -> User | None:
    user = User.by_email(invitation.email)
    return user if user is not None and not user.has_password else None


def accept_invitation(invitation: Invitation, display_name: str, password: str, locale: str, timezone: str) -> User:
    """Create the invitee's account (or complete the one the CSV import made) and use up the invitation.

    The invitation is claimed with a conditional UPDATE first, so of two
    simultaneous acceptances exactly one succeeds.
    """
    problem = invitation_problem(invitation)
    if problem is not None:
        raise InvitationUnusable(problem)
    if not is_supported_locale(locale) or not is_valid_time_zone(timezone):
        raise Refused(_("Choose a language and a time zone from the lists."))
    now = utcnow()
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        current = invitation_problem(db.session.get(Invitation, invitation.id))
        raise InvitationUnusable(current or InvitationProblem.USED)

    user = User.by_email(invitation.email)
    if user is None:
        user = User(email=invitation.email)
        db.session.add(user)
    user.display_name = display_name.strip()
    user.set_password(password)
    user.locale = locale
    user.timezone = timezone
    user.role = invitation.role
    if invitation.organization is not None:
        user.organization = invitation.organization
    _join_invited_group(invitation, user)
    invitation.accepted_at = now
    invitation.user = user
    record(user, "invitation_accepted", invitation, role=invitation.role, organization_id=invitation.organization_id)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone else created an account for this address at the same moment.
        db.session.rollback()
        raise InvitationUnusable(InvitationProblem.HAS_ACCOUNT) from None
    return user


def _join_invited_group(invitation: Invitation, user: User) -> None:
    group = invitation.group
    if group is None:
        return
    if invitation.organization is not None and invitation.organization not in group.organizations:
        group.organizations.append(invitation.organization)
    if invitation.role == Role.MODERATOR.value and user not in group.moderators:
        group.moderators.append(user)
