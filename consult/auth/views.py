from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult.auth import service
from consult.auth.forms import LoginForm
from consult.extensions import limiter
from consult.urls import safe_next_url

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _submitted_email() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:320]


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
    service.end_all_sessions(current_user._get_current_object())
    flash(_("You have signed out."), "success")
    return redirect(url_for("site.home"))


@bp.get("/account")
@login_required
def account():
    return render_template("base.html")


@bp.get("/invitations/")
@login_required
def invitations():
    return render_template("base.html")


@bp.get("/password/reset")
def request_password_reset():
    return render_template("base.html")
