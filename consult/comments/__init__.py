"""Comment threads, proposed wording, flags, secretariat responses and the moderation queue."""

from flask import Flask


def init_app(app: Flask) -> None:
    from consult.comments import models, moderation_views, sections, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(moderation_views.bp)
    app.register_blueprint(moderation_views.response_views.responses_bp)
