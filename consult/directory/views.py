from flask import Blueprint, render_template

from consult.security import admin_required

bp = Blueprint("directory", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/users/")
@admin_required
def users():
    return render_template("base.html")


@bp.get("/organizations/")
@admin_required
def organizations():
    return render_template("base.html")


@bp.get("/groups/")
@admin_required
def groups():
    return render_template("base.html")
