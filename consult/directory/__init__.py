"""Organizations, stakeholder groups and users, and the admin pages that manage them."""

from flask import Flask


def init_app(app: Flask) -> None:
    from consult.directory import cli, import_views, models, views  # noqa: F401  (routes register on views.bp)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.users_command)
