"""Admin pages for users, organizations and groups: parse, check permission, call the service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.directory import group_service, organization_service, queries, service
from consult.directory.forms import (
    MAX_ID,
    GroupForm,
    NewUserForm,
    OrganizationFilterForm,
    OrganizationForm,
    UserFilterForm,
    UserForm,
    yes_no,
)
from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.security import admin_required

bp = Blueprint("directory", __name__, url_prefix="/admin", template_folder="templates")

MAX_PAGE = 100_000


def _actor() -> User:
    return current_user._get_current_object()


def _paginate(query):
    page = request.args.get("page", 1, type=int)
    if not 0 < page <= MAX_PAGE:
        abort(404)  # before the database sees an offset it cannot hold
    return db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"], error_out=True)


def _get_or_404(model, object_id: int):
    if not 0 < object_id <= MAX_ID:
        abort(404)
    return db.get_or_404(model, object_id)


def _accepted(field):
    """A filter's value, or None when it is invalid (the page then says so and ignores it)."""
    return None if field.errors else field.data


def _show_errors(form, errors: dict[str, str]) -> None:
    """Put the service's messages next to their fields."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")


def _form_page(template: str, form, **context):
    return render_template(template, form=form, **context), 400 if form.is_submitted() else 200


# --- Users ---------------------------------------------------------------


@bp.get("/users/")
@admin_required
def users():
    filters = UserFilterForm(formdata=request.args)
    filters.set_choices(queries.all_organizations())
    valid = filters.validate()
    query = queries.user_list_query(
        search=_accepted(filters.q),
        role=_accepted(filters.role),
        active=yes_no(_accepted(filters.status)),
        organization_id=_accepted(filters.organization),
    )
    page = _paginate(query)
    return render_template("directory/users.html", filters=filters, page=page), 200 if valid else 400


def _user_fields(form: UserForm) -> service.UserFields:
    return service.UserFields(
        email=form.email.data or "",
        display_name=form.display_name.data or "",
        role=form.role.data or "",
        organization_id=form.organization_id.data,
        locale=form.locale.data or "",
        timezone=form.timezone.data or "",
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = NewUserForm()
    form.set_choices(queries.organization_choices())
    if form.validate_on_submit():
        try:
            user = service.create_user(_actor(), _user_fields(form), password=form.password.data or None)
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("The account of %(name)s is created.", name=user.display_name), "success")
            return redirect(url_for(".user", user_id=user.id))
    return _form_page("directory/user_form.html", form, user=None)


def _render_user(user: User, status: int = 200):
    return render_template("directory/user.html", user=user), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _render_user(_get_or_404(User, user_id))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = _get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.set_choices(queries.organization_choices(keep_ids=[user.organization_id]))
    if form.validate_on_submit():
        try:
            service.update_user(_actor(), user, _user_fields(form))
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("The account of %(name)s is saved.", name=user.display_name), "success")
            return redirect(url_for(".user", user_id=user.id))
    return _form_page("directory/user_form.html", form, user=user)


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: int):
    user = _get_or_404(User, user_id)
    try:
        changed = service.deactivate_user(_actor(), user)
    except service.Refused as refusal:
        flash(str(refusal), "error")
        return _render_user(user, 400)
    if changed:
        flash(
            _("The account of %(name)s is deactivated and all its sessions have ended.", name=user.display_name),
            "success",
        )
    return redirect(url_for(".user", user_id=user.id))


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def reactivate_user(user_id: int):
    user = _get_or_404(User, user_id)
    if service.reactivate_user(_actor(), user):
        flash(_("The account of %(name)s is active again.", name=user.display_name), "success")
    return redirect(url_for(".user", user_id=user.id))


# --- Organizations -------------------------------------------------------


@bp.get("/organizations/")
@admin_required
def organizations():
    filters = OrganizationFilterForm(formdata=request.args)
    filters.set_choices()
    valid = filters.validate()
    query = queries.organization_list_query(
        search=_accepted(filters.q),
        stakeholder_type=_accepted(filters.stakeholder_type),
        country=_accepted(filters.country),
        verified=yes_no(_accepted(filters.verified)),
        active=yes_no(_accepted(filters.status)),
    )
    page = _paginate(query)
    members = queries.member_counts(o.id for o in page.items)
    return (
        render_template("directory/organizations.html", filters=filters, page=page, members=members),
        200 if valid else 400,
    )


def _organization_fields(form: OrganizationForm) -> organization_service.OrganizationFields:
    return organization_service.OrganizationFields(
        name=form.name.data or "",
        country=form.country.data or "",
        stakeholder_type=form.stakeholder_type.data or "",
        verified=bool(form.verified.data),
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@admin_required
def new_organization():
    form = OrganizationForm()
    form.set_choices()
    if form.validate_on_submit():
        try:
            organization = organization_service.create_organization(_actor(), _organization_fields(form))
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("%(name)s is created.", name=organization.name), "success")
            return redirect(url_for(".organization", organization_id=organization.id))
    return _form_page("directory/organization_form.html", form, organization=None)


@bp.get("/organizations/<int:organization_id>")
@admin_required
def organization(organization_id: int):
    organization = _get_or_404(Organization, organization_id)
    members = _paginate(queries.organization_users_query(organization.id))
    return render_template("directory/organization.html", organization=organization, members=members)


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_organization(organization_id: int):
    organization = _get_or_404(Organization, organization_id)
    form = OrganizationForm(obj=organization)
    form.set_choices()
    if form.validate_on_submit():
        try:
            organization_service.update_organization(_actor(), organization, _organization_fields(form))
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("%(name)s is saved.", name=organization.name), "success")
            return redirect(url_for(".organization", organization_id=organization.id))
    return _form_page("directory/organization_form.html", form, organization=organization)


@bp.post("/organizations/<int:organization_id>/deactivate")
@admin_required
def deactivate_organization(organization_id: int):
    organization = _get_or_404(Organization, organization_id)
    if organization_service.deactivate_organization(_actor(), organization):
        flash(_("%(name)s is deactivated.", name=organization.name), "success")
    return redirect(url_for(".organization", organization_id=organization.id))


@bp.post("/organizations/<int:organization_id>/reactivate")
@admin_required
def reactivate_organization(organization_id: int):
    organization = _get_or_404(Organization, organization_id)
    if organization_service.reactivate_organization(_actor(), organization):
        flash(_("%(name)s is active again.", name=organization.name), "success")
    return redirect(url_for(".organization", organization_id=organization.id))


# --- Groups --------------------------------------------------------------


@bp.get("/groups/")
@admin_required
def groups():
    page = _paginate(queries.group_list_query())
    ids = [g.id for g in page.items]
    return render_template(
        "directory/groups.html",
        page=page,
        organization_counts=queries.group_organization_counts(ids),
        moderator_counts=queries.group_moderator_counts(ids),
    )


def _group_form(group: Group | None) -> GroupForm:
    form = GroupForm()
    if group is not None and not form.is_submitted():
        form.fill_texts("name", group.name.texts)
        form.fill_texts("description", group.description.texts)
        form.original_locale.data = group.name.original
        form.organization_ids.data = [o.id for o in group.organizations]
        form.moderator_ids.data = [u.id for u in group.moderators]
    form.set_choices(
        queries.organization_choices(keep_ids=[o.id for o in group.organizations] if group else []),
        queries.moderator_choices(keep_ids=[u.id for u in group.moderators] if group else []),
    )
    return form


def _group_fields(form: GroupForm) -> group_service.GroupFields:
    return group_service.GroupFields(
        names=form.texts("name"),
        descriptions=form.texts("description"),
        original=form.original_locale.data or "",
        organization_ids=form.organization_ids.data or [],
        moderator_ids=form.moderator_ids.data or [],
    )


@bp.route("/groups/new", methods=["GET", "POST"])
@admin_required
def new_group():
    form = _group_form(None)
    if form.validate_on_submit():
        try:
            group = group_service.create_group(_actor(), _group_fields(form))
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("The group %(name)s is created.", name=str(group.name)), "success")
            return redirect(url_for(".group", group_id=group.id))
    return _form_page("directory/group_form.html", form, group=None)


@bp.get("/groups/<int:group_id>")
@admin_required
def group(group_id: int):
    return render_template("directory/group.html", group=_get_or_404(Group, group_id))


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_group(group_id: int):
    group = _get_or_404(Group, group_id)
    form = _group_form(group)
    if form.validate_on_submit():
        try:
            group_service.update_group(_actor(), group, _group_fields(form))
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("The group %(name)s is saved.", name=str(group.name)), "success")
            return redirect(url_for(".group", group_id=group.id))
    return _form_page("directory/group_form.html", form, group=group)


@bp.post("/groups/<int:group_id>/deactivate")
@admin_required
def deactivate_group(group_id: int):
    group = _get_or_404(Group, group_id)
    if group_service.deactivate_group(_actor(), group):
        flash(_("The group %(name)s is deactivated.", name=str(group.name)), "success")
    return redirect(url_for(".group", group_id=group.id))


@bp.post("/groups/<int:group_id>/reactivate")
@admin_required
def reactivate_group(group_id: int):
    group = _get_or_404(Group, group_id)
    if group_service.reactivate_group(_actor(), group):
        flash(_("The group %(name)s is active again.", name=str(group.name)), "success")
    return redirect(url_for(".group", group_id=group.id))
