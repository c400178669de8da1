"""Consultations, their working documents, versions and paragraphs."""

from flask import Flask


def init_app(app: Flask) -> None:
    from consult.consultations import document_views, models, views  # noqa: F401  (routes register on views.bp)

    app.register_blueprint(views.bp)
