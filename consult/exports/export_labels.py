"""How an export names things: raw codes, words in a chosen language, or both (`?labels=` and `?lang=`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.i18n import LOCALES, LocalizedText

LABEL_MODES = ("text", "codes", "both")


@dataclass(frozen=True)
class Labels:
    mode: str = "text"
    lang: str = "en"

    @classmethod
    def from_args(cls, args: MultiDict, default_lang: str) -> tuple[Labels, dict[str, str]]:
        errors: dict[str, str] = {}
        mode = (args.get("labels") or "text").strip()
        if mode not in LABEL_MODES:
            errors["labels"] = _("Choose how answers are written: text, codes or both.")
            mode = "text"
        lang = (args.get("lang") or default_lang).strip()
        if lang not in LOCALES:
            errors["lang"] = _("Choose English, French or Spanish.")
            lang = default_lang
        return cls(mode, lang), errors

    @contextmanager
    def speaking(self) -> Iterator[None]:
        """Translated words (headers, yes/no, statuses) in the export's language, not the interface's."""
        with force_locale(self.lang):
            yield

    def text(self, value: LocalizedText | None) -> str:
        return value.render(self.lang).text if value is not None else ""

    def value(self, code: str | None, text: str) -> str:
        """A coded value (an option, a status, a country) as the person asked to read it."""
        if code is None or code == "":
            return ""
        if self.mode == "codes":
            return str(code)
        if self.mode == "both":
            return f"[{code}] {text}"
        return text

    def header(self, code: str, text: str) -> str:
        return self.value(code, text)


def json_text(value) -> str:
    """One JSON value as text: characters as written (accents, right-to-left, emoji), control characters escaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value):
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, LocalizedText):
        return {"texts": value.texts, "original": value.original}
    raise TypeError(f"{type(value).__name__} is not written to JSON exports")


def utc_iso(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC, e.g. 2026-03-31T14:05:00+00:00."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None
