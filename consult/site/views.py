from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from consult.extensions import csrf
from consult.i18n import SESSION_LOCALE_KEY, is_supported_locale
from consult.site import service
from consult.urls import safe_next_url

bp = Blueprint("site", __name__, template_folder="templates")


@bp.get("/healthz")
@csrf.exempt
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
def home():
    return render_template("site/home.html")


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if not is_supported_locale(locale):
        abort(400, description="unknown-locale")
    session[SESSION_LOCALE_KEY] = locale
    if current_user.is_authenticated:
        service.remember_locale(current_user, locale)
    return redirect(safe_next_url(request.form.get("next")) or url_for("site.home"))
