from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from consult.consultations import queries as consultation_queries
from consult.extensions import csrf
from consult.i18n import SESSION_LOCALE_KEY, is_supported_locale, utcnow
from consult.security import Role
from consult.site import service
from consult.urls import safe_next_url

bp = Blueprint("site", __name__, template_folder="templates")


@bp.get("/healthz")
@csrf.exempt
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
def home():
    """A welcome for visitors; for signed-in people, what is open to them now and next."""
    if not current_user.is_authenticated:
        return render_template("site/home.html")
    user = current_user._get_current_object()
    now = utcnow()
    return render_template(
        "site/home.html",
        open_now=consultation_queries.open_for(user, now),
        upcoming=consultation_queries.upcoming_for(user, now),
        running=consultation_queries.run_by(user, now) if user.has_role(Role.MODERATOR) else None,
        limit=consultation_queries.HOME_LIMIT,
    )


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if not is_supported_locale(locale):
        abort(400, description="unknown-locale")
    session[SESSION_LOCALE_KEY] = locale
    if current_user.is_authenticated:
        service.remember_locale(current_user, locale)
    return redirect(safe_next_url(request.form.get("next")) or url_for("site.home"))
