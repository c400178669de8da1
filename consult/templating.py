"""Helpers every template can use."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import format_decimal

from consult.i18n import (
    LOCALES,
    current_locale_code,
    format_local_datetime,
    native_language_name,
    render_localized,
)
from consult.security import Role


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        LOCALES=LOCALES,
        Role=Role,
        current_locale_code=current_locale_code,
        native_language_name=native_language_name,
        localized=render_localized,
        page_url=page_url,
        field_attributes=field_attributes,
    )
    app.jinja_env.filters["local_datetime"] = format_local_datetime
    app.jinja_env.filters["number"] = format_decimal


def page_url(page: int) -> str:
    """The current URL with its query string kept and `page` replaced."""
    args = request.args.to_dict()
    args["page"] = str(page)
    return f"{request.path}?{urlencode(args)}"


def field_attributes(field, has_hint: bool, autocomplete: str | None = None) -> dict:
    """ARIA and HTML attributes that tie a field to its hint and its errors."""
    described = []
    if has_hint:
        described.append(f"{field.id}-hint")
    if field.errors:
        described.append(f"{field.id}-error")
    attributes = {}
    if described:
        attributes["aria-describedby"] = " ".join(described)
    if field.errors:
        attributes["aria-invalid"] = "true"
    if autocomplete:
        attributes["autocomplete"] = autocomplete
    return attributes
