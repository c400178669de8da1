"""Consultation pages: list, page, editor, changes of state, participation panel.

Parse, check permission, call the service, render. A consultation the viewer
may not see answers 404 on every URL; one they see but do not run answers 403
to managing URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_time
from babel.lists import format_list
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from consult.consultations import queries, service, state_service
from consult.consultations.extensions import consultation_sections, participation_counts
from consult.consultations.forms import MAX_SLUG, ConsultationFilterForm, ConsultationForm, ExtendForm, ReasonForm
from consult.consultations.models import Consultation
from consult.directory.stakeholders import StakeholderType
from consult.extensions import db
from consult.i18n import current_locale_code, utcnow
from consult.markup import render_markdown
from consult.security import Role, role_required

bp = Blueprint("consultations", __name__, url_prefix="/consultations", template_folder="templates")

MAX_PAGE = 100_000


def _actor():
    return current_user._get_current_object()


def _paginate(query):
    page = request.args.get("page", 1, type=int)
    if not 0 < page <= MAX_PAGE:
        abort(404)  # before the database sees an offset it cannot hold
    return db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"], error_out=True)


def _visible_or_404(slug: str) -> Consultation:
    if len(slug) > MAX_SLUG or "\x00" in slug:
        abort(404)  # no consultation has such an address, and PostgreSQL refuses NUL
    consultation = queries.consultation_by_slug(slug)
    if consultation is None or not consultation.visible_to(_actor()):
        abort(404)
    return consultation


def _managed_or_403(slug: str) -> Consultation:
    consultation = _visible_or_404(slug)
    if not consultation.can_manage(_actor()):
        abort(403)
    return consultation


def _show_errors(form, errors: dict[str, str]) -> None:
    """Put the service's messages next to their fields."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")


# --- Helpers for every template that shows consultations -------------------


@bp.app_template_global()
def countdown(moment: datetime) -> str:
    """“in 3 days” or “2 hours ago”, in the viewer's language."""
    return format_timedelta(moment - utcnow(), granularity="minute", add_direction=True)


@bp.app_template_global()
def audience_description(consultation: Consultation) -> str:
    if not consultation.is_restricted:
        return _("Open to every signed-in participant.")
    locale = get_locale()
    groups = format_list([str(g.name) for g in consultation.audience_groups], locale=locale)
    types = format_list([StakeholderType(t).label for t in consultation.audience_types], style="or", locale=locale)
    if groups and types:
        return _("Restricted to organizations in %(groups)s that are: %(types)s.", groups=groups, types=types)
    if groups:
        return _("Restricted to organizations in %(groups)s.", groups=groups)
    return _("Restricted to organizations of these types: %(types)s.", types=types)


# --- The list ---------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    user = _actor()
    filters = ConsultationFilterForm(formdata=request.args)
    filters.set_choices(queries.groups_with_visible_consultations(user), manager=user.has_role(Role.MODERATOR))
    valid = filters.validate()
    query = queries.list_query(
        user,
        utcnow(),
        state=filters.chosen_state(),
        group_id=filters.chosen_group_id(),
        language=filters.chosen_language(),
        search=filters.chosen_search(),
    )
    page = _paginate(query)
    return render_template("consultations/index.html", filters=filters, page=page), 200 if valid else 400


# --- Writing a consultation -------------------------------------------------


def _editor(consultation: Consultation | None) -> ConsultationForm:
    user = _actor()
    form = ConsultationForm()
    form.set_choices(
        queries.manageable_groups(user, keep_id=consultation.group_id if consultation else None),
        queries.audience_group_choices(keep_ids=[g.id for g in consultation.audience_groups] if consultation else []),
    )
    if not form.is_submitted():
        if consultation is None:
            form.original_locale.data = current_locale_code()
            form.time_zone.data = user.timezone
        else:
            _fill(form, consultation)
    if consultation is not None and consultation.published_at is not None:
        form.lock_published_fields()
    return form


def _fill(form: ConsultationForm, consultation: Consultation) -> None:
    for part in ("title", "summary", "body"):
        form.fill_texts(part, getattr(consultation, part).texts)
    form.original_locale.data = consultation.title.original
    form.slug.data = consultation.slug
    form.group_id.data = consultation.group_id
    form.opens_at.data = service.wall_time(consultation.opens_at, consultation.time_zone)
    form.closes_at.data = service.wall_time(consultation.closes_at, consultation.time_zone)
    form.time_zone.data = consultation.time_zone
    form.audience_mode.data = consultation.audience_mode
    form.audience_group_ids.data = [g.id for g in consultation.audience_groups]
    form.audience_types.data = consultation.audience_types
    for name in ("meeting_name", "meeting_date", "meeting_place", "meeting_virtual", "moderation_mode"):
        form[name].data = getattr(consultation, name)


def _fields(form: ConsultationForm) -> service.ConsultationFields:
    dates_editable = "opens_at" in form
    return service.ConsultationFields(
        titles=form.texts("title"),
        summaries=form.texts("summary"),
        bodies=form.texts("body"),
        original=form.original_locale.data or "",
        group_id=form.group_id.data,
        slug=(form.slug.data or "") if dates_editable else "",
        opens_local=form.opens_at.data if dates_editable else None,
        closes_local=form.closes_at.data if dates_editable else None,
        time_zone=(form.time_zone.data or "") if dates_editable else "",
        audience_mode=form.audience_mode.data or "",
        audience_group_ids=form.audience_group_ids.data or [],
        audience_types=form.audience_types.data or [],
        meeting_name=form.meeting_name.data or "",
        meeting_date=form.meeting_date.data,
        meeting_place=form.meeting_place.data or "",
        meeting_virtual=bool(form.meeting_virtual.data),
        moderation_mode=form.moderation_mode.data or "",
    )


def _warn_about_skipped_times(fields: service.ConsultationFields) -> None:
    """Tell the editor when a time they entered falls in a daylight-saving gap and was moved."""
    if fields.opens_local is None or fields.closes_local is None:
        return

    def short(moment: datetime) -> str:
        return format_time(moment.time(), "short", locale=get_locale())

    opens = service.skipped_to(fields.opens_local, fields.time_zone)
    if opens is not None:
        flash(_("%(time)s does not exist that day in %(zone)s (the clocks move forward): the consultation opens "
                "at %(actual)s.", time=short(fields.opens_local), zone=fields.time_zone, actual=short(opens)),
              "warning")
    closes = service.skipped_to(fields.closes_local, fields.time_zone)
    if closes is not None:
        flash(_("%(time)s does not exist that day in %(zone)s (the clocks move forward): the consultation closes "
                "at %(actual)s.", time=short(fields.closes_local), zone=fields.time_zone, actual=short(closes)),
              "warning")


def _editor_page(form: ConsultationForm, consultation: Consultation | None, status: int | None = None):
    status = status or (400 if form.is_submitted() else 200)
    return render_template("consultations/form.html", form=form, consultation=consultation), status


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def new():
    form = _editor(None)
    if not form.group_id.choices:
        return _editor_page(form, None, 403)  # the page explains who can give them a group
    if form.validate_on_submit():
        fields = _fields(form)
        try:
            consultation = service.create_consultation(_actor(), fields)
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            _warn_about_skipped_times(fields)
            flash(_("The consultation is saved as a draft. Only its managers see it until it is published."),
                  "success")
            return redirect(url_for(".consultation", slug=consultation.slug))
    return _editor_page(form, None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    consultation = _managed_or_403(slug)
    form = _editor(consultation)
    if form.validate_on_submit():
        fields = _fields(form)
        try:
            changes = service.update_consultation(_actor(), consultation, fields)
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            if changes:
                _warn_about_skipped_times(fields)
                flash(_("The consultation is saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for(".consultation", slug=consultation.slug))
    return _editor_page(form, consultation)


# --- The consultation page -------------------------------------------------


@bp.get("/<slug>")
@login_required
def consultation(slug: str):
    consultation = _visible_or_404(slug)
    user = _actor()
    shown = {part: getattr(consultation, part).render() for part in ("title", "summary", "body")}
    notices = list(dict.fromkeys(r.notice for r in shown.values() if r.is_fallback))
    manager = consultation.can_manage(user)
    return render_template(
        "consultations/consultation.html",
        consultation=consultation,
        shown=shown,
        body_html=render_markdown(shown["body"].text),
        notices=notices,
        manager=manager,
        actions=state_service.available_actions(consultation, utcnow()) if manager else [],
        state_actions=STATE_ACTIONS,
        sections=consultation_sections(consultation, user),
    )


# --- Changes of state -----------------------------------------------------


@dataclass(frozen=True)
class StateAction:
    heading: str
    explanation: str
    button: str
    done: str


STATE_ACTIONS = {
    "publish": StateAction(
        _l("Publish the consultation"),
        _l("Its audience sees it at once. It opens for contributions at its opening time, or now if that has "
           "passed."),
        _l("Publish"),
        _l("The consultation is published."),
    ),
    "open-early": StateAction(
        _l("Open the consultation early"),
        _l("It opens for contributions now instead of at its planned opening time."),
        _l("Open now"),
        _l("The consultation is open."),
    ),
    "close-early": StateAction(
        _l("Close the consultation early"),
        _l("Contributions stop now instead of at the planned closing time."),
        _l("Close now"),
        _l("The consultation is closed."),
    ),
    "extend": StateAction(
        _l("Extend the consultation"),
        _l("Choose a later closing time. A closed consultation opens again until then."),
        _l("Extend"),
        _l("The closing time is extended."),
    ),
    "archive": StateAction(
        _l("Archive the consultation"),
        _l("It leaves the lists of current consultations; its page and contributions stay available."),
        _l("Archive"),
        _l("The consultation is archived."),
    ),
    "unpublish": StateAction(
        _l("Take the consultation back to draft"),
        _l("Only its managers will see it until it is published again."),
        _l("Back to draft"),
        _l("The consultation is a draft again."),
    ),
}

SERVICE_ACTIONS = {
    "publish": state_service.publish,
    "open-early": state_service.open_early,
    "close-early": state_service.close_early,
    "archive": state_service.archive,
    "unpublish": state_service.unpublish,
}


def _state_page(consultation: Consultation, action: str, form, status: int, refusal: str | None = None):
    page = render_template(
        "consultations/state_action.html",
        consultation=consultation,
        action=action,
        spec=STATE_ACTIONS[action],
        form=form,
        refusal=refusal,
    )
    return page, status


@bp.route("/<slug>/<any(publish, 'open-early', 'close-early', extend, archive, unpublish):action>",
          methods=["GET", "POST"])
@login_required
def change_state(slug: str, action: str):
    consultation = _managed_or_403(slug)
    form = ExtendForm() if action == "extend" else ReasonForm()
    if action == "extend" and not form.is_submitted():
        form.closes_at.data = service.wall_time(consultation.closes_at, consultation.time_zone)
    refusal = state_service.refusal(action, consultation, utcnow())
    if refusal:
        return _state_page(consultation, action, form, 409, refusal)
    if not form.validate_on_submit():
        return _state_page(consultation, action, form, 400 if form.is_submitted() else 200)
    try:
        if action == "extend":
            state_service.extend(_actor(), consultation, form.closes_at.data, form.reason.data)
        else:
            SERVICE_ACTIONS[action](_actor(), consultation, form.reason.data)
    except state_service.WrongState as wrong:  # the state changed while the form was open
        return _state_page(consultation, action, form, 409, str(wrong))
    except state_service.InvalidInput as invalid:
        _show_errors(form, invalid.errors)
        return _state_page(consultation, action, form, 400)
    flash(str(STATE_ACTIONS[action].done), "success")
    return redirect(url_for(".consultation", slug=consultation.slug))


# --- The participation panel ------------------------------------------------


@bp.get("/<slug>/participation")
@login_required
def participation(slug: str):
    consultation = _managed_or_403(slug)
    contributed = queries.contributing_organization_ids(participation_counts(consultation))
    summary = queries.participation(consultation, contributed)
    missing = _paginate(queries.not_contributed_query(consultation, contributed))
    return render_template(
        "consultations/participation.html",
        consultation=consultation,
        summary=summary,
        missing=missing,
        percent=format_percent,
    )
