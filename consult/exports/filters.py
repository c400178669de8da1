"""The filters every export and report shares: read from a query string, checked, turned into SQL conditions.

    filters, errors = ExportFilters.from_args(request.args)
    if errors: ...400, one message per field...
    query = filters.apply_to_comments(select(Comment)...)
    query = filters.apply_to_responses(select(Response)...)

Stakeholder type, group and country are those of the organization the item was
written for (comment or response); language is the item's own; the date range
covers whole UTC days, on the comment's creation time and on the response's
submission time (its last edit while it is a draft). A status filter names
response statuses (draft, submitted) or comment statuses (published, pending,
hidden, withdrawn, rejected), and narrows only the kind it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from werkzeug.datastructures import MultiDict

from consult.comments.models import Comment, CommentStatus
from consult.directory.models import Group, Organization, group_organization
from consult.directory.stakeholders import StakeholderType, is_country_code
from consult.extensions import db
from consult.i18n import LOCALES
from consult.surveys.models import Response, ResponseStatus

FILTER_NAMES = ("stakeholder_type", "group", "country", "language", "status", "date_from", "date_to")
RESPONSE_STATUSES = tuple(s.value for s in ResponseStatus)
COMMENT_STATUSES = tuple(s.value for s in CommentStatus)
_MAX_LENGTH = 64
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ExportFilters:
    stakeholder_type: str | None = None
    group_id: int | None = None
    country: str | None = None
    language: str | None = None
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    # What the person typed, kept to show the form again and to pass the filters on (links, background jobs).
    raw: dict[str, list[str]] = field(default_factory=dict, compare=False)

    # --- reading -------------------------------------------------------------

    @classmethod
    def from_args(cls, args: MultiDict | dict) -> tuple[ExportFilters, dict[str, str]]:
        """The filters in `args` and {field name: message} for each value that cannot be used."""
        args = args if isinstance(args, MultiDict) else MultiDict(args)
        raw = {name: [v.strip()[:_MAX_LENGTH] for v in args.getlist(name) if v and v.strip()] for name in FILTER_NAMES}
        raw = {name: values for name, values in raw.items() if values}
        errors: dict[str, str] = {}
        values: dict = {}

        stakeholder_type = _single(raw, "stakeholder_type")
        if stakeholder_type is not None:
            if stakeholder_type in {t.value for t in StakeholderType}:
                values["stakeholder_type"] = stakeholder_type
            else:
                errors["stakeholder_type"] = _("Choose a stakeholder type from the list.")

        group = _single(raw, "group")
        if group is not None:
            if _is_small_id(group) and db.session.get(Group, int(group)) is not None:
                values["group_id"] = int(group)
            else:
                errors["group"] = _("Choose a group from the list.")

        country = _single(raw, "country")
        if country is not None:
            if is_country_code(country) and len(country) == 2:
                values["country"] = country.upper()
            else:
                errors["country"] = _("Choose a country from the list.")

        language = _single(raw, "language")
        if language is not None:
            if language in LOCALES:
                values["language"] = language
            else:
                errors["language"] = _("Choose a language from the list.")

        statuses = raw.get("status", [])
        if any(s not in RESPONSE_STATUSES + COMMENT_STATUSES for s in statuses):
            errors["status"] = _("Choose a status from the list.")
        else:
            values["statuses"] = tuple(dict.fromkeys(statuses))

        for name in ("date_from", "date_to"):
            text = _single(raw, name)
            if text is None:
                continue
            try:
                if not _ISO_DATE.fullmatch(text):
                    raise ValueError(text)
                values[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = _("Enter a date as YYYY-MM-DD, for example 2026-03-31.")
        if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
            errors["date_to"] = _("The end of the period must not come before its start.")

        for name, items in raw.items():
            if name != "status" and len(items) > 1 and name not in errors:
                errors[name] = _("Choose only one value.")

        return cls(raw=raw, **values), errors

    # --- what it asks for --------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.raw

    def to_args(self) -> dict[str, list[str]]:
        """The filters as query-string values, to build a link or a background job that asks for the same rows."""
        return {name: list(values) for name, values in self.raw.items()}

    @property
    def response_statuses(self) -> tuple[str, ...]:
        return tuple(s for s in self.statuses if s in RESPONSE_STATUSES)

    @property
    def comment_statuses(self) -> tuple[str, ...]:
        return tuple(s for s in self.statuses if s in COMMENT_STATUSES)

    # --- as SQL ------------------------------------------------------------

    def comment_conditions(self) -> list[ColumnElement[bool]]:
        conditions = self._organization_conditions(Comment.organization_id)
        if self.language:
            conditions.append(Comment.language == self.language)
        if self.comment_statuses:
            conditions.append(Comment.status.in_(self.comment_statuses))
        conditions.extend(self._period_conditions(Comment.created_at))
        return conditions

    def response_conditions(self) -> list[ColumnElement[bool]]:
        conditions = self._organization_conditions(Response.organization_id)
        if self.language:
            conditions.append(Response.language == self.language)
        if self.response_statuses:
            conditions.append(Response.status.in_(self.response_statuses))
        moment = func.coalesce(Response.submitted_at, Response.last_edited_at)
        conditions.extend(self._period_conditions(moment))
        return conditions

    def apply_to_comments(self, query: Select) -> Select:
        conditions = self.comment_conditions()
        return query.where(and_(*conditions)) if conditions else query

    def apply_to_responses(self, query: Select) -> Select:
        conditions = self.response_conditions()
        return query.where(and_(*conditions)) if conditions else query

    def _organization_conditions(self, organization_id) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        wanted = []
        if self.stakeholder_type:
            wanted.append(Organization.stakeholder_type == self.stakeholder_type)
        if self.country:
            wanted.append(Organization.country == self.country)
        if wanted:
            conditions.append(organization_id.in_(select(Organization.id).where(*wanted)))
        if self.group_id is not None:
            conditions.append(
                exists().where(
                    group_organization.c.organization_id == organization_id,
                    group_organization.c.group_id == self.group_id,
                )
            )
        return conditions

    def _period_conditions(self, moment) -> list[ColumnElement[bool]]:
        conditions = []
        if self.date_from:
            conditions.append(moment >= _start_of(self.date_from))
        if self.date_to and self.date_to < date.max:
            conditions.append(moment < _start_of(self.date_to + timedelta(days=1)))
        return conditions


def _single(raw: dict[str, list[str]], name: str) -> str | None:
    values = raw.get(name)
    return values[0] if values else None


def _is_small_id(text: str) -> bool:
    """Digits that fit an integer column everywhere (a longer number would overflow PostgreSQL's integer)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
