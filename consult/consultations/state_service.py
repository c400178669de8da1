"""Changes of a consultation's state: publish, open early, close early, extend, archive, back to draft.

The state is never stored: it follows from the dates, `published_at` and
`archived_at` (see Consultation.state_at), so each action moves one of those.
Each needs a reason, which the audit log keeps. An action the current state
does not allow raises WrongState; bad input raises InvalidInput; either way
nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consult.audit import record
from consult.consultations.forms import MAX_REASON
from consult.consultations.models import Consultation, ConsultationState
from consult.consultations.service import clean_block, plausible_year, to_utc, year_error
from consult.directory.service import InvalidInput
from consult.extensions import db
from consult.i18n import format_local_datetime, utcnow

__all__ = ["InvalidInput", "WrongState"]


class WrongState(Exception):
    """The action does not apply to the consultation as it is now; the message says why."""


def _check_reason(reason: str | None) -> str:
    text = clean_block(reason)
    if not text:
        raise InvalidInput({"reason": _("Say why, for the record.")})
    if len(text) > MAX_REASON:
        raise InvalidInput({"reason": _("The reason can have at most %(count)d characters.", count=MAX_REASON)})
    return text


# Each change of state: the states it applies to, and what a person is told otherwise.
STATE_ACTIONS: dict[str, tuple[frozenset[ConsultationState], Any]] = {
    "publish": (frozenset({ConsultationState.DRAFT}), _l("This consultation is already published.")),
    "open-early": (frozenset({ConsultationState.SCHEDULED}), _l("Only a scheduled consultation can be opened early.")),
    "close-early": (frozenset({ConsultationState.OPEN}), _l("Only an open consultation can be closed early.")),
    "extend": (
        frozenset({ConsultationState.SCHEDULED, ConsultationState.OPEN, ConsultationState.CLOSED}),
        _l("Only a scheduled, open or closed consultation can be extended."),
    ),
    "archive": (frozenset({ConsultationState.CLOSED}), _l("Only a closed consultation can be archived.")),
    "unpublish": (
        frozenset({ConsultationState.SCHEDULED}),
        _l("Only a consultation that has not opened yet can go back to draft: once open, people may have "
           "contributed."),
    ),
}


def refusal(action: str, consultation: Consultation, now: datetime) -> str | None:
    """Why `action` cannot be taken on the consultation now, or None when it can."""
    states, message = STATE_ACTIONS[action]
    if consultation.state_at(now) not in states:
        return str(message)
    if action == "publish" and consultation.closes_at <= now:
        return _("Its closing time has passed. Edit the dates before publishing it.")
    return None


def available_actions(consultation: Consultation, now: datetime) -> list[str]:
    return [action for action in STATE_ACTIONS if refusal(action, consultation, now) is None]


def _require(action: str, consultation: Consultation, now: datetime) -> None:
    message = refusal(action, consultation, now)
    if message:
        raise WrongState(message)


def _finish(actor, consultation: Consultation, action: str, reason: str, now: datetime, **data) -> None:
    record(actor, action, consultation, reason=reason, state=consultation.state_at(now).value, **data)
    db.session.commit()


def publish(actor, consultation: Consultation, reason: str) -> ConsultationState:
    """Draft → scheduled or open, as the dates say."""
    now = utcnow()
    _require("publish", consultation, now)
    reason = _check_reason(reason)
    consultation.published_at = now
    _finish(actor, consultation, "consultation_published", reason, now)
    return consultation.state_at(now)


def open_early(actor, consultation: Consultation, reason: str) -> None:
    now = utcnow()
    _require("open-early", consultation, now)
    reason = _check_reason(reason)
    previous = consultation.opens_at
    consultation.opens_at = now
    _finish(actor, consultation, "consultation_opened_early", reason, now,
            opens_at=[previous.isoformat(), now.isoformat()])


def close_early(actor, consultation: Consultation, reason: str) -> None:
    now = utcnow()
    _require("close-early", consultation, now)
    reason = _check_reason(reason)
    previous = consultation.closes_at
    # Opened this very instant: it still has to close after it opened.
    consultation.closes_at = max(now, consultation.opens_at + timedelta(microseconds=1))
    _finish(actor, consultation, "consultation_closed_early", reason, consultation.closes_at,
            closes_at=[previous.isoformat(), consultation.closes_at.isoformat()])


def extend(actor, consultation: Consultation, new_closes_local: datetime | None, reason: str) -> None:
    """A later closing time, entered in the consultation's own zone; a closed consultation opens again."""
    now = utcnow()
    _require("extend", consultation, now)
    errors: dict[str, str] = {}
    new_closes_at = None
    if new_closes_local is None:
        errors["closes_at"] = _("Enter the new closing date and time.")
    elif not plausible_year(new_closes_local):
        errors["closes_at"] = year_error()
    else:
        new_closes_at = to_utc(new_closes_local, consultation.time_zone)
        if new_closes_at <= consultation.closes_at:
            errors["closes_at"] = _(
                "Choose a time after the current closing time (%(current)s).",
                current=format_local_datetime(consultation.closes_at),
            )
        elif new_closes_at <= now:
            errors["closes_at"] = _("This closing time has already passed.")
    try:
        reason = _check_reason(reason)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    previous = consultation.closes_at
    consultation.closes_at = new_closes_at
    _finish(actor, consultation, "consultation_extended", reason, now,
            closes_at=[previous.isoformat(), new_closes_at.isoformat()])


def archive(actor, consultation: Consultation, reason: str) -> None:
    now = utcnow()
    _require("archive", consultation, now)
    reason = _check_reason(reason)
    consultation.archived_at = now
    _finish(actor, consultation, "consultation_archived", reason, now)


def unpublish(actor, consultation: Consultation, reason: str) -> None:
    """Back to draft, only before it opens: once open, people may have contributed."""
    now = utcnow()
    _require("unpublish", consultation, now)
    reason = _check_reason(reason)
    consultation.published_at = None
    _finish(actor, consultation, "consultation_unpublished", reason, now)
