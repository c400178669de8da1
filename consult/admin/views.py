from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from consult.admin.queries import audit_events_query, parse_audit_filters
from consult.audit import AUDIT_ACTIONS
from consult.extensions import db
from consult.mail import OutboxMessage
from consult.search import contains
from consult.security import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/audit/")
@admin_required
def audit_log():
    filters, errors = parse_audit_filters(request.args)
    if errors:
        return render_template("admin/audit_log.html", events=None, filters=filters, errors=errors,
                               actions=AUDIT_ACTIONS), 400
    events = db.paginate(audit_events_query(filters), per_page=current_app.config["PAGE_SIZE"])
    return render_template("admin/audit_log.html", events=events, filters=filters, errors={}, actions=AUDIT_ACTIONS)


@bp.get("/outbox/")
@admin_required
def outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    recipient = (request.args.get("recipient") or "").strip()[:320]
    if recipient:
        query = query.where(contains(OutboxMessage.recipient, recipient))
    messages = db.paginate(query, per_page=current_app.config["PAGE_SIZE"])
    return render_template("admin/outbox.html", messages=messages, recipient=recipient)


@bp.get("/outbox/<int:message_id>")
@admin_required
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("admin/outbox_message.html", message=message)

