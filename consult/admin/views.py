from flask import Blueprint, render_template

from consult.security import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/audit/")
@admin_required
def audit_log():
    return render_template("base.html")


@bp.get("/outbox/")
@admin_required
def outbox():
    return render_template("base.html")
