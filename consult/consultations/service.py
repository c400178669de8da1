"""What moderators and the secretariat do to write a consultation: create it, edit it.

Each operation validates everything first, then writes, audits and commits
once; bad input raises InvalidInput (messages keyed by form field name) and
nothing is written. Changes of state (publish, open, close...) are in
state_service. Dates are entered as wall-clock times in a chosen zone and
stored in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy.exc import IntegrityError

from consult.audit import record
from consult.consultations import queries
from consult.consultations.forms import MAX_BODY, MAX_MEETING_TEXT, MAX_SLUG, MAX_SUMMARY, MAX_TITLE
from consult.consultations.models import (
    AudienceMode,
    Consultation,
    ConsultationAudienceType,
    ModerationMode,
)
from consult.directory.service import InvalidInput
from consult.directory.stakeholders import StakeholderType
from consult.extensions import db
from consult.i18n import LOCALES, LocalizedText, is_valid_time_zone, language_name, utcnow

SLUG_PATTERN = re.compile(r"^[a-z0-9-]{3,120}$")
# Addresses the blueprint uses for its own pages.
RESERVED_SLUGS = frozenset({"new"})
SUFFIX_ROOM = 8  # "-" and up to seven digits after an automatic slug
YEARS = range(2000, 3000)

__all__ = ["InvalidInput"]


# --- Time zones ------------------------------------------------------------


def to_utc(local: datetime, zone: str) -> datetime:
    """A wall-clock time in `zone`, as UTC.

    Times that occur twice (clocks going back) or never (clocks jumping
    forward) take fold=0: the offset in force before the change. A skipped
    02:30 thus becomes 03:30 once clocks have moved on; `skipped_to` says so.
    """
    return local.replace(tzinfo=ZoneInfo(zone), fold=0, microsecond=0).astimezone(UTC)


def plausible_year(local: datetime) -> bool:
    """Far-off years are typing slips, and at the edge of the calendar a zone's offset would overflow."""
    return local.year in YEARS


def year_error() -> str:
    return _("Enter a date between the years %(first)d and %(last)d.", first=YEARS[0], last=YEARS[-1])


def wall_time(moment: datetime, zone: str) -> datetime:
    """The naive wall-clock time of `moment` in `zone`, as a datetime-local field shows it."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def skipped_to(local: datetime, zone: str) -> datetime | None:
    """For a local time that does not exist in `zone`, the wall-clock time it was taken as; else None."""
    actual = wall_time(to_utc(local, zone), zone)
    return actual if actual != local.replace(microsecond=0) else None


# --- Writing a consultation -----------------------------------------------


@dataclass
class ConsultationFields:
    titles: dict[str, str]
    summaries: dict[str, str]
    bodies: dict[str, str]
    original: str
    group_id: int | None
    # Ignored once the consultation is published: they change only through the audited actions.
    slug: str = ""
    opens_local: datetime | None = None
    closes_local: datetime | None = None
    time_zone: str = "UTC"
    audience_mode: str = AudienceMode.PUBLIC.value
    audience_group_ids: list[int] = field(default_factory=list)
    audience_types: list[str] = field(default_factory=list)
    meeting_name: str = ""
    meeting_date: date | None = None
    meeting_place: str = ""
    meeting_virtual: bool = False
    moderation_mode: str = ModerationMode.POST.value


def _without_nul(value: str | None) -> str:
    """NUL is never meant, and PostgreSQL refuses it in text."""
    return (value or "").replace("\x00", "")


def _one_line(value: str | None) -> str:
    return " ".join(_without_nul(value).split())


def clean_block(value: str | None) -> str:
    return _without_nul(value).strip().replace("\r\n", "\n")


def _check_texts(fields: ConsultationFields, errors: dict[str, str]) -> dict[str, LocalizedText]:
    if fields.original not in LOCALES:
        errors["original_locale"] = _("Choose the language the consultation was first written in.")
    parts = {
        "title": ({c: _one_line(fields.titles.get(c)) for c in LOCALES}, MAX_TITLE),
        "summary": ({c: clean_block(fields.summaries.get(c)) for c in LOCALES}, MAX_SUMMARY),
        "body": ({c: clean_block(fields.bodies.get(c)) for c in LOCALES}, MAX_BODY),
    }
    for part, (texts, limit) in parts.items():
        for code in LOCALES:
            if len(texts[code]) > limit:
                errors[f"{part}_{code}"] = _("This text can have at most %(count)d characters.", count=limit)
    if fields.original in LOCALES:
        language = language_name(fields.original)
        required = {
            "title": _("Enter the title in %(language)s, the original language.", language=language),
            "summary": _("Enter the summary in %(language)s, the original language.", language=language),
            "body": _("Enter the background in %(language)s, the original language.", language=language),
        }
        for part, (texts, _limit) in parts.items():
            if not texts[fields.original]:
                errors.setdefault(f"{part}_{fields.original}", required[part])
    original = fields.original if fields.original in LOCALES else LOCALES[0]
    return {part: LocalizedText(texts, original) for part, (texts, _limit) in parts.items()}


def _check_group(actor, fields: ConsultationFields, consultation: Consultation | None, errors) -> None:
    keep = consultation.group_id if consultation else None
    allowed = {g.id for g in queries.manageable_groups(actor, keep_id=keep)}
    if fields.group_id not in allowed:
        errors["group_id"] = _("Choose one of the groups you run consultations for.")


def _check_dates(fields: ConsultationFields, errors) -> tuple[datetime | None, datetime | None]:
    if not is_valid_time_zone(fields.time_zone):
        errors["time_zone"] = _("Choose a time zone from the list.")
        return None, None
    if fields.opens_local is None:
        errors["opens_at"] = _("Enter the date and time the consultation opens.")
    if fields.closes_local is None:
        errors["closes_at"] = _("Enter the date and time the consultation closes.")
    for name, local in (("opens_at", fields.opens_local), ("closes_at", fields.closes_local)):
        if local is not None and not plausible_year(local):
            errors[name] = year_error()
    if fields.opens_local is None or fields.closes_local is None or "opens_at" in errors or "closes_at" in errors:
        return None, None
    opens_at, closes_at = to_utc(fields.opens_local, fields.time_zone), to_utc(fields.closes_local, fields.time_zone)
    if closes_at <= opens_at:
        errors["closes_at"] = _("The consultation must close after it opens.")
    elif closes_at <= utcnow():
        errors["closes_at"] = _("This closing time has already passed.")
    return opens_at, closes_at


def _auto_slug(title: str, consultation: Consultation | None) -> str:
    base = slugify(title, max_length=MAX_SLUG - SUFFIX_ROOM, word_boundary=True)
    if len(base) < 3:
        base = f"consultation-{base}" if base else "consultation"
    taken = queries.slugs_like(base) | RESERVED_SLUGS
    if consultation is not None:
        taken.discard(consultation.slug)
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _check_slug(slug: str, title: LocalizedText, consultation: Consultation | None, errors) -> str:
    slug = slug.strip()
    if not slug:
        return _auto_slug(title.get(title.original), consultation)
    if not SLUG_PATTERN.fullmatch(slug):
        errors["slug"] = _("Use 3 to 120 lower-case letters, digits and hyphens, such as cpg-17-documents.")
    elif slug in RESERVED_SLUGS or queries.slug_taken(slug, consultation.id if consultation else None):
        errors["slug"] = _("Another consultation already has this address. Choose another one.")
    return slug


def _check_audience(fields: ConsultationFields, consultation: Consultation | None, errors) -> tuple[list, list[str]]:
    if fields.audience_mode not in set(AudienceMode):
        errors["audience_mode"] = _("Choose who takes part.")
        return [], []
    if fields.audience_mode == AudienceMode.PUBLIC.value:
        return [], []  # choices made before switching to public do not linger
    current = [g.id for g in consultation.audience_groups] if consultation else []
    offered = {g.id: g for g in queries.audience_group_choices(keep_ids=current)}
    wanted = list(dict.fromkeys(fields.audience_group_ids))
    if any(i not in offered for i in wanted):
        errors["audience_group_ids"] = _("One of the chosen groups does not exist or is deactivated.")
    types = list(dict.fromkeys(fields.audience_types))
    if any(t not in set(StakeholderType) for t in types):
        errors["audience_types"] = _("Choose stakeholder types from the list.")
    if not wanted and not types and "audience_group_ids" not in errors:
        errors["audience_group_ids"] = _(
            "Choose at least one group or stakeholder type, or open the consultation to every participant."
        )
    return [offered[i] for i in wanted if i in offered], sorted(types)


def _check_other(fields: ConsultationFields, errors) -> None:
    for name in ("meeting_name", "meeting_place"):
        if len(_one_line(getattr(fields, name))) > MAX_MEETING_TEXT:
            errors[name] = _("This text can have at most %(count)d characters.", count=MAX_MEETING_TEXT)
    if fields.moderation_mode not in set(ModerationMode):
        errors["moderation_mode"] = _("Choose how comments are moderated.")


def _validated(actor, fields: ConsultationFields, consultation: Consultation | None) -> dict[str, Any]:
    """The consultation's new attribute values, or InvalidInput with every problem at once."""
    errors: dict[str, str] = {}
    texts = _check_texts(fields, errors)
    _check_group(actor, fields, consultation, errors)
    locked = consultation is not None and consultation.published_at is not None
    if locked:
        slug, opens_at, closes_at = consultation.slug, consultation.opens_at, consultation.closes_at
        time_zone = consultation.time_zone
    else:
        opens_at, closes_at = _check_dates(fields, errors)
        slug = _check_slug(fields.slug, texts["title"], consultation, errors)
        time_zone = fields.time_zone
    audience_groups, audience_types = _check_audience(fields, consultation, errors)
    _check_other(fields, errors)
    if errors:
        raise InvalidInput(errors)
    return {
        **texts,
        "slug": slug,
        "group_id": fields.group_id,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "time_zone": time_zone,
        "audience_mode": fields.audience_mode,
        "audience_groups": audience_groups,
        "audience_types": audience_types,
        "meeting_name": _one_line(fields.meeting_name),
        "meeting_date": fields.meeting_date,
        "meeting_place": _one_line(fields.meeting_place),
        "meeting_virtual": bool(fields.meeting_virtual),
        "moderation_mode": fields.moderation_mode,
    }


def _current_values(consultation: Consultation) -> dict[str, Any]:
    names = ("title", "summary", "body", "slug", "group_id", "opens_at", "closes_at", "time_zone", "audience_mode",
             "audience_groups", "audience_types", "meeting_name", "meeting_date", "meeting_place", "meeting_virtual",
             "moderation_mode")
    return {name: getattr(consultation, name) for name in names}


def _for_the_record(name: str, value: Any) -> Any:
    if isinstance(value, LocalizedText):
        return {"texts": value.texts, "original": value.original}
    if name == "audience_groups":
        return sorted(g.id for g in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for name, new in after.items():
        old_record, new_record = _for_the_record(name, before[name]), _for_the_record(name, new)
        if old_record == new_record:
            continue
        if name == "body":  # long Markdown: the languages that changed say enough
            old_texts, new_texts = before[name].texts, new.texts
            changes[name] = {"languages": [c for c in LOCALES if old_texts.get(c) != new_texts.get(c)]}
        else:
            changes[name] = [old_record, new_record]
    return changes


def _apply(consultation: Consultation, values: dict[str, Any]) -> None:
    types = values.pop("audience_types")
    for name, value in values.items():
        setattr(consultation, name, value)
    kept = [row for row in consultation.audience_type_rows if row.stakeholder_type in types]
    present = {row.stakeholder_type for row in kept}
    consultation.audience_type_rows = kept + [
        ConsultationAudienceType(stakeholder_type=t) for t in types if t not in present
    ]


def _commit() -> None:
    """Commit; losing a race for the same address becomes a field error, not a 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput({"slug": _("Another consultation already has this address. Choose another one.")}) from None


def create_consultation(actor, fields: ConsultationFields) -> Consultation:
    """A new consultation, always a draft: nobody but its managers sees it until it is published."""
    values = _validated(actor, fields, None)
    consultation = Consultation(created_by_id=actor.id, published_at=None, archived_at=None)
    _apply(consultation, dict(values))
    db.session.add(consultation)
    record(actor, "consultation_created", consultation,
           **{name: _for_the_record(name, value) for name, value in values.items() if name != "body"})
    _commit()
    return consultation


def update_consultation(actor, consultation: Consultation, fields: ConsultationFields) -> dict[str, Any]:
    """Save the editor's changes; returns what changed (nothing is written when nothing did)."""
    values = _validated(actor, fields, consultation)
    changes = _changes(_current_values(consultation), values)
    if not changes:
        return {}
    _apply(consultation, values)
    record(actor, "consultation_updated", consultation, changed=sorted(changes), changes=changes)
    _commit()
    return changes
