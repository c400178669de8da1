"""Locale and time-zone selection, translatable content and its fallback notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import format_datetime, get_timezone_name
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, get_timezone, gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import String
from sqlalchemy.orm import composite, mapped_column

from consult.db_types import JSONType

LOCALES: tuple[str, ...] = ("en", "fr", "es")
DEFAULT_LOCALE = "en"
SESSION_LOCALE_KEY = "locale"

def is_supported_locale(value: object) -> bool:
    return isinstance(value, str) and value in LOCALES


def select_locale() -> str:
    """Explicit choice > account preference > Accept-Language > English."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = session.get(SESSION_LOCALE_KEY)
    if is_supported_locale(chosen):
        return chosen
    if current_user and current_user.is_authenticated:
        preferred = getattr(current_user, "locale", None)
        if is_supported_locale(preferred):
            return preferred
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def is_valid_time_zone(name: object) -> bool:
    return isinstance(name, str) and name in time_zone_names()


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        zone = getattr(current_user, "timezone", None)
        if is_valid_time_zone(zone):
            return zone
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC")


def current_locale_code() -> str:
    locale = get_locale()
    return locale.language if locale else DEFAULT_LOCALE


def language_name(code: str, in_locale: str | None = None) -> str:
    """The name of language `code`, written in `in_locale` (the viewer's language)."""
    viewer = Locale.parse(in_locale or current_locale_code())
    return viewer.languages.get(code, code)


def native_language_name(code: str) -> str:
    """The language's own name for itself, capitalised as a switcher shows it."""
    name = language_name(code, code)
    return name[:1].upper() + name[1:]


def language_choices(native: bool = False) -> list[tuple[str, str]]:
    """The interface languages for a select: in the viewer's language, or each in its own (`native`)."""
    def capitalised(name: str) -> str:
        return name[:1].upper() + name[1:]

    return [(code, capitalised(language_name(code, code if native else None))) for code in LOCALES]


def format_local_datetime(value: datetime | None, format: str = "medium") -> str:
    """A moment in the viewer's zone to the minute, followed by the zone's name in their language."""
    return LocalTime(format)(value)


class LocalTime:
    """format_local_datetime for the many moments of one page: zone, language and pattern looked up once."""

    def __init__(self, format: str = "medium") -> None:
        self.zone = str(get_timezone())
        self.tzinfo = ZoneInfo(self.zone)
        self.locale = get_locale()
        self.pattern = _minute_pattern(format, str(self.locale))

    def __call__(self, value: datetime | None) -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(self.tzinfo)
        zone_name = _zone_name(local, self.zone, self.locale)
        return f"{format_datetime(local, self.pattern, tzinfo=local.tzinfo, locale=self.locale)} ({zone_name})"


_ZONE_NAMES: dict[tuple, str] = {}


def _zone_name(local: datetime, zone: str, locale) -> str:
    """The zone's long name in the viewer's language, looked up once per zone, year, offset and language.

    A page of comments shows the same few names many times, and each lookup in the CLDR data is slow.
    """
    key = (zone, local.year, local.utcoffset(), local.dst(), str(locale))
    name = _ZONE_NAMES.get(key)
    if name is None:
        if len(_ZONE_NAMES) > 4096:
            _ZONE_NAMES.clear()
        name = _ZONE_NAMES[key] = get_timezone_name(local, width="long", locale=locale)
    return name


@lru_cache(maxsize=32)
def _minute_pattern(date_width: str, locale_code: str) -> str:
    """The locale's own way of joining a date of `date_width` with a time to the minute (no seconds)."""
    locale = Locale.parse(locale_code)
    joiner = locale.datetime_formats.get(date_width, "{1} {0}")
    return joiner.format(locale.time_formats["short"].pattern, locale.date_formats[date_width].pattern)


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- Translatable content -------------------------------------------------


@dataclass
class Rendition:
    """What a viewer is shown of a LocalizedText: the text, its language, and why."""

    text: str
    lang: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        return self.lang != self.requested

    @property
    def notice(self) -> str:
        if not self.is_fallback:
            return ""
        return gettext(
            "This content is not available in %(requested)s and is shown in %(shown)s.",
            requested=language_name(self.requested),
            shown=language_name(self.lang),
        )


@dataclass
class LocalizedText:
    """Content written in one language and translated into others.

    Treat it as immutable: build a new value (`with_text`) to change it, so the
    ORM sees the change.
    """

    texts: dict[str, str] = field(default_factory=dict)
    original: str = DEFAULT_LOCALE

    def __post_init__(self) -> None:
        self.texts = {k: v for k, v in (self.texts or {}).items() if v}

    def get(self, locale: str) -> str:
        return self.texts.get(locale, "")

    def with_text(self, locale: str, text: str) -> LocalizedText:
        texts = dict(self.texts)
        texts[locale] = text
        return LocalizedText(texts, self.original)

    def missing_locales(self) -> list[str]:
        return [code for code in LOCALES if not self.texts.get(code)]

    def render(self, locale: str | None = None) -> Rendition:
        wanted = locale or current_locale_code()
        if self.texts.get(wanted):
            return Rendition(self.texts[wanted], wanted, wanted)
        if self.texts.get(self.original):
            return Rendition(self.texts[self.original], self.original, wanted)
        for code, text in self.texts.items():
            return Rendition(text, code, wanted)
        return Rendition("", wanted, wanted)

    def __str__(self) -> str:
        return self.render().text


def localized_column(name: str, nullable: bool = False):
    """A LocalizedText attribute stored as `<name>_texts` (JSON) and `<name>_locale`."""
    return composite(
        LocalizedText,
        mapped_column(f"{name}_texts", JSONType, nullable=nullable),
        mapped_column(f"{name}_locale", String(8), nullable=nullable),
    )


def render_localized(value: LocalizedText | None, block: bool = False, notice: bool = True) -> Markup:
    """HTML for translatable content, marked with its language, plus the fallback notice.

    `notice=False` where a notice nearby already says it (breadcrumbs, lists of many items).
    """
    if value is None:
        return Markup("")
    shown = value.render()
    template = Markup('<div lang="{lang}">{text}</div>') if block else Markup('<span lang="{lang}">{text}</span>')
    html = template.format(lang=shown.lang, text=shown.text)
    if shown.is_fallback and notice:
        html += Markup(' <span class="fallback-notice">{}</span>').format(shown.notice)
    return html
