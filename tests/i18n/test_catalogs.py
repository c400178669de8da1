"""Every interface string exists in French and Spanish, and the catalogs match the source."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}


def _message_key(message_id, context: str | None = None) -> tuple[str | None, str]:
    return context, message_id if isinstance(message_id, str) else message_id[0]


@pytest.fixture(scope="module")
def source_messages() -> set[tuple[str | None, str]]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(_message_key(message, context))
    assert len(found) > 50, "extraction found suspiciously few messages"
    return found


def _catalog(locale: str):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.parametrize("locale", ["fr", "es"])
def test_every_interface_string_is_translated(source_messages, locale):
    catalog = _catalog(locale)
    translated = {
        _message_key(m.id, m.context): m for m in catalog if m.id and not m.fuzzy and all(_strings(m))
    }
    missing = sorted(source_messages - translated.keys())
    assert missing == [], f"{len(missing)} messages missing, empty or fuzzy in {locale}: {missing[:10]}"


@pytest.mark.parametrize("locale", ["fr", "es"])
def test_catalog_has_no_stale_messages(source_messages, locale):
    catalog_ids = {_message_key(m.id, m.context) for m in _catalog(locale) if m.id}
    stale = sorted(catalog_ids - source_messages)
    assert stale == [], f"{locale} catalog has messages no longer in the source (run make translations): {stale[:10]}"


@pytest.mark.parametrize("locale", ["fr", "es"])
def test_placeholders_survive_translation(locale):
    for message in _catalog(locale):
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        for translation in _strings(message):
            for placeholder in _placeholders(source):
                assert placeholder in translation, f"{locale}: {placeholder} lost in {translation!r}"


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"%\([a-z_]+\)s", text))
