"""Filters for the audit log reader."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, select
from werkzeug.datastructures import MultiDict

from consult.audit import AUDIT_ACTIONS, AuditEvent
from consult.search import contains


def parse_audit_filters(args: MultiDict) -> tuple[dict, dict]:
    """The filters asked for in the query string, and a message per bad one."""
    filters: dict = {
        "action": (args.get("action") or "").strip(),
        "actor": (args.get("actor") or "").strip()[:320],
        "target": (args.get("target") or "").strip()[:320],
        "since": (args.get("since") or "").strip(),
        "until": (args.get("until") or "").strip(),
    }
    errors: dict[str, str] = {}
    if filters["action"] and filters["action"] not in AUDIT_ACTIONS:
        errors["action"] = _("Choose an action from the list.")
    for name in ("since", "until"):
        if filters[name]:
            try:
                date.fromisoformat(filters[name])
            except ValueError:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
    return filters, errors


def audit_events_query(filters: dict) -> Select:
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if filters.get("action"):
        query = query.where(AuditEvent.action == filters["action"])
    if filters.get("actor"):
        query = query.where(contains(AuditEvent.actor_label, filters["actor"]))
    if filters.get("target"):
        query = query.where(contains(AuditEvent.target_label, filters["target"]))
    if filters.get("since"):
        query = query.where(AuditEvent.created_at >= _start_of(filters["since"]))
    if filters.get("until"):
        query = query.where(AuditEvent.created_at < _start_of(filters["until"]) + timedelta(days=1))
    return query


def _start_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=UTC)

