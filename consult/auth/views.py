from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from consult.auth import invitations as invitation_service
from consult.auth import service
from consult.auth.forms import (
    AcceptInvitationForm,
    InvitationForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    ProfileForm,
)
from consult.auth.invitations import InvitationProblem, InvitationState
from consult.auth.models import Invitation
from consult.auth.tokens import ResetLinkProblem, read_password_reset_token
from consult.extensions import db, limiter
from consult.i18n import SESSION_LOCALE_KEY
from consult.security import staff_required
from consult.urls import safe_next_url

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _password_reset_limit() -> str:
    return current_app.config.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute")


def _submitted_email() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:320]


def _current_user():
    return current_user._get_current_object()


# --- Signing in and out ------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_submitted_email)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("The email address or password is not correct."), "error")
            return render_template("auth/login.html", form=form), 401
        service.start_session(user, remember=form.remember.data)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(safe_next_url(form.next.data) or url_for("site.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    service.end_all_sessions(_current_user())
    flash(_("You have signed out."), "success")
    return redirect(url_for("site.home"))


# --- Links that no longer work -------------------------------------------------

# (status, title, explanation, where to go next, what that link says)
INVITATION_PROBLEMS = {
    InvitationProblem.UNKNOWN: (
        404,
        _l("This invitation link is not valid"),
        _l(
            "The link may have been cut short when it was copied. Open it again from the email, "
            "or ask the secretariat to send you a new invitation."
        ),
        None,
        None,
    ),
    InvitationProblem.EXPIRED: (
        410,
        _l("This invitation has expired"),
        _l("Invitation links work for a limited time. Ask the secretariat to send you a new invitation."),
        None,
        None,
    ),
    InvitationProblem.USED: (
        410,
        _l("This invitation has already been used"),
        _l(
            "Each invitation link works once. If you have already set up your account, sign in. "
            "Otherwise ask the secretariat to send you a new invitation."
        ),
        "auth.login",
        _l("Sign in"),
    ),
    InvitationProblem.REVOKED: (
        410,
        _l("This invitation has been withdrawn"),
        _l("The secretariat withdrew this invitation. Ask them for a new one if you still need access."),
        None,
        None,
    ),
    InvitationProblem.HAS_ACCOUNT: (
        410,
        _l("You already have an account"),
        _l(
            "An account with a password already exists for this email address. Sign in instead; "
            "if you have forgotten your password, you can set a new one."
        ),
        "auth.login",
        _l("Sign in"),
    ),
    InvitationProblem.DISABLED: (
        410,
        _l("This account is disabled"),
        _l("The account for this email address has been disabled. Contact the secretariat."),
        None,
        None,
    ),
}

RESET_LINK_PROBLEMS = {
    ResetLinkProblem.INVALID: (
        404,
        _l("This password reset link is not valid"),
        _l("The link may have been cut short when it was copied. Open it again from the email, or ask for a new one."),
    ),
    ResetLinkProblem.EXPIRED: (
        410,
        _l("This password reset link has expired"),
        _l("Password reset links work for one hour. Ask for a new one."),
    ),
    ResetLinkProblem.USED: (
        410,
        _l("This password reset link has already been used"),
        _l("Each link works once: your password has changed since it was sent. Ask for a new one if you need it."),
    ),
}


def _invitation_problem_page(problem: InvitationProblem):
    status, title, message, endpoint, action = INVITATION_PROBLEMS[problem]
    action_url = url_for(endpoint) if endpoint else None
    page = render_template(
        "auth/link_unavailable.html", title=title, message=message, action_url=action_url, action_label=action
    )
    return page, status


def _reset_link_problem_page(problem: ResetLinkProblem):
    status, title, message = RESET_LINK_PROBLEMS[problem]
    page = render_template(
        "auth/link_unavailable.html",
        title=title,
        message=message,
        action_url=url_for("auth.request_password_reset"),
        action_label=_("Ask for a new link"),
    )
    return page, status


# --- Invitations ---------------------------------------------------------------


def _invitation_form(inviter, **kwargs) -> InvitationForm:
    return InvitationForm(
        roles=invitation_service.roles_grantable_by(inviter),
        organizations=invitation_service.active_organizations(),
        groups=invitation_service.active_groups(),
        **kwargs,
    )


def _invitations_page(form: InvitationForm, status: int = 200):
    inviter = _current_user()
    state = InvitationState(request.args["status"]) if request.args.get("status") in set(InvitationState) else None
    pagination = db.paginate(
        invitation_service.invitations_query(state),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=True,
    )
    page = render_template(
        "auth/invitations.html",
        form=form,
        pagination=pagination,
        state=state,
        states=list(InvitationState),
        state_of=invitation_service.invitation_state,
        can_manage=lambda invitation: invitation_service.can_manage_invitation(inviter, invitation),
        passwordless_count=invitation_service.count_passwordless_users(inviter),
    )
    return page, status


@bp.route("/invitations/", methods=["GET", "POST"])
@staff_required
def invitations():
    inviter = _current_user()
    form = _invitation_form(inviter, locale="en")
    if not form.validate_on_submit():
        return _invitations_page(form, 400 if form.is_submitted() else 200)
    try:
        invitation = invitation_service.invite(
            inviter,
            email=form.email.data,
            role=form.role.data,
            organization_id=form.organization_id,
            group_id=form.group_id,
            locale=form.locale.data,
        )
    except service.Refused as refusal:
        form.email.errors.append(str(refusal))
        return _invitations_page(form, 400)
    except service.MailNotSent:
        flash(_("The invitation email could not be sent, so no invitation was saved. Please try again later."), "error")
        return _invitations_page(form, 503)
    flash(_("An invitation has been sent to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("auth.invitations"))


@bp.post("/invitations/passwordless")
@staff_required
def invite_passwordless():
    try:
        sent = invitation_service.invite_passwordless_users(_current_user())
    except service.MailNotSent as failure:
        flash(
            ngettext(
                "The mail server stopped accepting messages after %(num)d invitation. Try again later for the rest.",
                "The mail server stopped accepting messages after %(num)d invitations. Try again later for the rest.",
                failure.sent,
            ),
            "error",
        )
        return redirect(url_for("auth.invitations"))
    if sent:
        flash(
            ngettext(
                "%(num)d invitation sent to an account without a password.",
                "%(num)d invitations sent to accounts without a password.",
                sent,
            ),
            "success",
        )
    else:
        flash(_("Every account already has a password or a pending invitation; nothing was sent."), "info")
    return redirect(url_for("auth.invitations"))


@bp.post("/invitations/<int:invitation_id>/revoke")
@staff_required
def revoke_invitation(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id)
    actor = _current_user()
    if not invitation_service.can_manage_invitation(actor, invitation):
        abort(403)
    try:
        invitation_service.revoke_invitation(actor, invitation)
    except service.Refused as refusal:
        flash(str(refusal), "warning")
    else:
        flash(_("The invitation to %(email)s has been revoked.", email=invitation.email), "success")
    return redirect(url_for("auth.invitations"))


@bp.route("/invitations/accept/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = Invitation.by_token(token)
    problem = invitation_service.invitation_problem(invitation)
    if problem is not None:
        return _invitation_problem_page(problem)
    existing = invitation_service.existing_passwordless_user(invitation)
    form = AcceptInvitationForm(
        email=invitation.email,
        display_name=existing.display_name if existing else None,
        timezone=existing.timezone if existing else None,
        locale=invitation.locale,
    )
    if not form.validate_on_submit():
        page = render_template("auth/accept_invitation.html", form=form, invitation=invitation, token=token)
        return page, 400 if form.is_submitted() else 200
    try:
        user = invitation_service.accept_invitation(
            invitation, form.display_name.data, form.password.data, form.locale.data, form.timezone.data
        )
    except invitation_service.InvitationUnusable as unusable:
        return _invitation_problem_page(unusable.problem)
    service.start_session(user, remember=False)
    session[SESSION_LOCALE_KEY] = user.locale
    flash(_("Welcome to Consult, %(name)s. Your account is ready.", name=user.display_name), "success")
    return redirect(url_for("site.home"))


# --- Password reset ---------------------------------------------------------------


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_password_reset_limit, methods=["POST"])
def request_password_reset():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        return render_template("auth/password_reset_requested.html")
    status = 400 if form.is_submitted() else 200
    return render_template("auth/request_password_reset.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user, problem = read_password_reset_token(token)
    if problem is not None:
        return _reset_link_problem_page(problem)
    form = PasswordResetForm(email=user.email)
    if not form.validate_on_submit():
        page = render_template("auth/reset_password.html", form=form, token=token)
        return page, 400 if form.is_submitted() else 200
    service.reset_password(user, form.password.data)
    service.start_session(user, remember=False)
    flash(_("Your password has been changed and you are signed in. Any other sessions have been ended."), "success")
    return redirect(url_for("site.home"))


# --- The person's own account ------------------------------------------------------


def _account_page(profile_form: ProfileForm, password_form: PasswordChangeForm, status: int = 200):
    user = _current_user()
    page = render_template(
        "auth/account.html",
        user=user,
        profile_form=profile_form,
        password_form=password_form,
        member_groups=user.organization.groups if user.organization else [],
    )
    return page, status


def _profile_form(user, **kwargs) -> ProfileForm:
    return ProfileForm(prefix="profile", obj=user, **kwargs)


def _password_form(user, **kwargs) -> PasswordChangeForm:
    return PasswordChangeForm(prefix="password", email=user.email, **kwargs)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = _current_user()
    profile_form = _profile_form(user)
    if not profile_form.validate_on_submit():
        status = 400 if profile_form.is_submitted() else 200
        return _account_page(profile_form, _password_form(user, formdata=None), status)
    service.update_profile(user, profile_form.display_name.data, profile_form.locale.data, profile_form.timezone.data)
    session[SESSION_LOCALE_KEY] = user.locale
    flash(_("Your details have been saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
@limiter.limit(_login_limit)
def change_password():
    user = _current_user()
    password_form = _password_form(user)
    if password_form.validate_on_submit():
        if service.change_password(user, password_form.current_password.data, password_form.password.data):
            service.start_session(user, remember=False)
            flash(_("Your password has been changed. You have been signed out everywhere else."), "success")
            return redirect(url_for("auth.account"))
        password_form.current_password.errors.append(_("This is not your current password."))
    return _account_page(_profile_form(user, formdata=None), password_form, 400)
