"""Stakeholder types and countries: the one list of each."""

from __future__ import annotations

import enum
import unicodedata
from functools import lru_cache

import pycountry
from babel import Locale
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from consult.i18n import LOCALES, current_locale_code


class StakeholderType(enum.StrEnum):
    CUSTOMS = "customs"
    RIGHTS_HOLDER = "rights_holder"
    INTERMEDIARY = "intermediary"
    INTERNATIONAL_ORGANIZATION = "international_organization"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(STAKEHOLDER_LABELS[self])


STAKEHOLDER_LABELS = {
    StakeholderType.CUSTOMS: _l("Customs administration"),
    StakeholderType.RIGHTS_HOLDER: _l("Rights holder"),
    StakeholderType.INTERMEDIARY: _l("Intermediary"),
    StakeholderType.INTERNATIONAL_ORGANIZATION: _l("International organization"),
    StakeholderType.OTHER: _l("Other"),
}


def parse_stakeholder_type(value: str) -> StakeholderType | None:
    """Accept the code ("rights_holder") or the label in any interface language."""
    cleaned = " ".join((value or "").replace("_", " ").replace("-", " ").split()).casefold()
    for member in StakeholderType:
        names = {member.value.replace("_", " ")}
        for locale in LOCALES:
            with force_locale(locale):
                names.add(str(STAKEHOLDER_LABELS[member]).casefold())
        if cleaned in names:
            return member
    return None


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def is_country_code(value: str) -> bool:
    return (value or "").upper() in country_codes()


def country_name(code: str, locale: str | None = None) -> str:
    return _country_name((code or "").upper(), locale or current_locale_code())


@lru_cache(maxsize=4096)  # Locale.parse on every call was a visible cost of pages listing many organizations
def _country_name(code: str, locale: str) -> str:
    names = Locale.parse(locale).territories
    if code in names:
        return names[code]
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    locale = locale or current_locale_code()
    return sorted(((code, country_name(code, locale)) for code in country_codes()), key=lambda c: sort_key(c[1]))


def sort_key(text: str) -> str:
    """Alphabetical order as a reader expects it: accents and case do not move a name."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
