"""The parts of the site that belong to no domain: home, health, language, errors."""

from flask import Flask


def init_app(app: Flask) -> None:
    from consult.site.errors import register_error_handlers
    from consult.site.views import bp

    app.register_blueprint(bp)
    register_error_handlers(app)
