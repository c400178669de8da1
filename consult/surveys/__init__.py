"""Questionnaires attached to consultations: the builder, answering, and the responses."""

from flask import Flask


def init_app(app: Flask) -> None:
    from consult.surveys import builder_views, models, response_views, sections, tallies, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.cli.add_command(tallies.tallies_command)
