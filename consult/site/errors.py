"""Error pages in the person's language, for every code the app can answer with."""

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Check what you entered and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or is not available to you.")),
    405: (_l("Method not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What you sent is larger than the site accepts. Try a smaller file or shorter text.")),
    429: (
        _l("Too many attempts"),
        _l("You have made too many attempts in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "An unexpected error occurred on our side. Nothing you entered has been lost; please try again in a moment."
        ),
    ),
}

# Specific reasons a view can pass with abort(code, description=key).
REASONS = {
    "unknown-locale": _l("That language is not available. Choose English, French or Spanish."),
    "csrf": _l("Your form expired or was sent from another site. Go back, reload the page and submit it again."),
}


def render_error(code: int, reason: str | None = None):
    title, message = ERROR_TEXTS.get(code, ERROR_TEXTS[500 if code >= 500 else 400])
    detail = REASONS.get(reason or "")
    return render_template("errors/error.html", code=code, title=title, message=message, detail=detail), code


def register_error_handlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        return render_error(400, "csrf")

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request.path == "/healthz":
            return error
        reason = error.description if isinstance(error.description, str) else None
        response, code = render_error(error.code, reason)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            return response, code, {"Allow": ", ".join(error.valid_methods)}
        return response, code

    @app.errorhandler(InternalServerError)
    def handle_500(error):
        from consult.extensions import db

        db.session.rollback()
        return render_error(500)
