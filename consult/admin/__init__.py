"""Admin readers for the audit log and the email outbox."""

from flask import Flask


def init_app(app: Flask) -> None:
    from consult.admin.views import bp

    app.register_blueprint(bp)
