"""Exports and reports for the secretariat: streamed CSV/XLSX/JSON, the compilation of comments, summaries."""

from flask import Flask


def init_app(app: Flask) -> None:
    # Modules that add routes to views.bp are imported before it is registered.
    from consult.exports import campaign_views, export_views, jobs, public_views, report_views, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.cli.add_command(jobs.exports_command)
