"""Outgoing email: one way out for every message Consult sends.

With MAIL_SERVER set, messages go out by SMTP. Without it (development,
tests, demo) they are written to the log and kept in the outbox table, which
admins can read in the browser.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.db_types import UTCDateTime
from consult.extensions import db
from consult.i18n import utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)


def send_email(recipient: str, subject: str, body: str) -> None:
    """Send a plain-text message now (SMTP) or keep it in the outbox.

    Raises smtplib.SMTPException / OSError when the SMTP server refuses, so
    the caller can tell the person the message did not go out.
    """
    app = current_app
    message = EmailMessage()
    message["From"] = app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="consult")
    message.set_content(body)

    if app.config.get("MAIL_SERVER"):
        _send_smtp(message)
        return
    app.logger.info("Email to %s: %s\n%s", recipient, subject, body)
    db.session.add(OutboxMessage(recipient=recipient, subject=subject, body=body))


def send_template(recipient: str, locale: str | None, template: str, subject, **context) -> None:
    """Render `template` (a .txt Jinja template) in the recipient's language and send it."""
    with force_locale(locale or "en"):
        text = render_template(template, **context)
        send_email(recipient, str(subject() if callable(subject) else subject), text)


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
