"""The audit log: an append-only record of who did what to which object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from consult.db_types import JSONType, UTCDateTime
from consult.extensions import db
from consult.i18n import utcnow

# Every action the application records, with the label an admin reads.
AUDIT_ACTIONS = {
    "data_exported": _l("Data exported"),
    "export_job_requested": _l("Export prepared in the background"),
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "user_created": _l("User created"),
    "user_updated": _l("User updated"),
    "role_change": _l("Role changed"),
    "user_deactivated": _l("User deactivated"),
    "user_reactivated": _l("User reactivated"),
    "organization_created": _l("Organization created"),
    "organization_updated": _l("Organization updated"),
    "organization_deactivated": _l("Organization deactivated"),
    "organization_reactivated": _l("Organization reactivated"),
    "group_created": _l("Group created"),
    "group_updated": _l("Group updated"),
    "group_deactivated": _l("Group deactivated"),
    "group_reactivated": _l("Group reactivated"),
    "invitation_sent": _l("Invitation sent"),
    "invitation_resent": _l("Invitation sent again"),
    "invitation_revoked": _l("Invitation revoked"),
    "invitation_accepted": _l("Invitation accepted"),
    "participants_imported": _l("Participants imported"),
    "survey_created": _l("Survey created"),
    "survey_updated": _l("Survey settings changed"),
    "survey_wording_changed": _l("Survey wording changed"),
    "survey_deleted": _l("Survey deleted"),
    "survey_section_added": _l("Survey section added"),
    "survey_section_moved": _l("Survey section moved"),
    "survey_section_deleted": _l("Survey section deleted"),
    "survey_question_added": _l("Survey question added"),
    "survey_question_updated": _l("Survey question changed"),
    "survey_question_moved": _l("Survey question moved"),
    "survey_question_deleted": _l("Survey question deleted"),
    "survey_condition_added": _l("Survey condition added"),
    "survey_condition_removed": _l("Survey condition removed"),
    "survey_published": _l("Survey published"),
    "survey_unpublished": _l("Survey unpublished"),
    "survey_duplicated": _l("Survey duplicated"),
    "survey_imported": _l("Survey imported"),
    "survey_response_submitted": _l("Survey response submitted"),
    "consultation_created": _l("Consultation created"),
    "consultation_updated": _l("Consultation updated"),
    "consultation_published": _l("Consultation published"),
    "consultation_opened_early": _l("Consultation opened early"),
    "consultation_closed_early": _l("Consultation closed early"),
    "consultation_extended": _l("Consultation extended"),
    "consultation_archived": _l("Consultation archived"),
    "consultation_unpublished": _l("Consultation back to draft"),
    "document_added": _l("Working document added"),
    "document_updated": _l("Working document details changed"),
    "document_deleted": _l("Working document deleted"),
    "document_translated": _l("Working document translated"),
    "document_version_published": _l("New version of a working document published"),
    "comment_posted": _l("Comment posted"),
    "comment_edited": _l("Comment edited"),
    "comment_withdrawn": _l("Comment withdrawn"),
    "comment_flagged": _l("Comment flagged"),
    "comment_approved": _l("Comment approved"),
    "comment_rejected": _l("Comment rejected"),
    "comment_hidden": _l("Comment hidden"),
    "comment_restored": _l("Comment restored"),
    "flags_dismissed": _l("Flags dismissed"),
    "response_written": _l("Secretariat response written"),
    "responses_published": _l("Secretariat responses published"),
    "responses_unpublished": _l("Secretariat responses unpublished"),
    "results_published": _l("Consultation results published"),
    "results_unpublished": _l("Consultation results unpublished"),
}


# What kind of object an event concerns, as an admin reads it.
TARGET_TYPE_LABELS = {
    "User": _l("User"),
    "Organization": _l("Organization"),
    "Group": _l("Group"),
    "Invitation": _l("Invitation"),
    "Survey": _l("Survey"),
    "WorkingDocument": _l("Working document"),
    "Comment": _l("Comment"),
    "Consultation": _l("Consultation"),
}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_label: Mapped[str] = mapped_column(String(320), default="")
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    @property
    def action_label(self) -> str:
        return str(AUDIT_ACTIONS.get(self.action, self.action))

    @property
    def target_type_label(self) -> str:
        return str(TARGET_TYPE_LABELS.get(self.target_type, self.target_type))


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("The audit log is append-only.")


def record(actor, action: str, target=None, **data: Any) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits.

    `action` is a key of AUDIT_ACTIONS. `actor` is a user or None (anonymous, system); `target` is any model with
    an `id`, or None. Extra keyword arguments are stored as JSON.
    """
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()  # a target created in this transaction needs its id
    event_row = _event(actor, action, target, data)
    db.session.add(event_row)
    return event_row


def _event(actor, action: str, target, data: dict[str, Any]) -> AuditEvent:
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to AUDIT_ACTIONS with a label.")
    actor_is_user = actor is not None and getattr(actor, "is_authenticated", True)
    return AuditEvent(
        actor_id=getattr(actor, "id", None) if actor_is_user else None,
        actor_label=getattr(actor, "email", "") if actor_is_user else "",
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        target_label=_label(target),
        ip_address=(request.remote_addr or "") if has_request_context() else "",
        data={k: _jsonable(v) for k, v in data.items()},
        created_at=utcnow(),
    )


def _label(target) -> str:
    if target is None:
        return ""
    for attribute in ("email", "name", "title"):
        value = getattr(target, attribute, None)
        if value:
            return str(value)[:320]
    return ""


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def record_now(actor, action: str, target=None, **data: Any) -> None:
    """Record an event in a transaction of its own, leaving the caller's session untouched.

    For reads worth auditing (exports): the request has nothing else to commit,
    and committing its session would expire the objects it is still streaming.
    """
    event_row = _event(actor, action, target, data)
    values = {column.key: getattr(event_row, column.key) for column in AuditEvent.__table__.columns
              if column.key != "id"}
    values["created_at"] = values["created_at"] or utcnow()
    with db.engine.begin() as connection:
        connection.execute(AuditEvent.__table__.insert().values(**values))
