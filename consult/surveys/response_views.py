"""What moderators see of a survey's responses: the list, each response in full, its files, the non-respondents."""

from __future__ import annotations

import csv
import io
from datetime import UTC

from flask import Response as HttpResponse
from flask import abort, current_app, render_template, request, send_file, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from consult.audit import record_now
from consult.consultations.queries import consultation_by_slug
from consult.directory.stakeholders import StakeholderType, country_name, sort_key
from consult.extensions import db
from consult.i18n import LOCALES, language_name
from consult.security import Role
from consult.surveys import response_queries as queries
from consult.surveys.models import PublicationConsent, ResponsePolicy, ResponseStatus
from consult.surveys.response_display import describe_all
from consult.surveys.views import bp

SURVEY = "/consultations/<slug>/surveys/<int:survey_id>"

# The respondent's choice, as a moderator reads it (the form's labels speak to the respondent).
CONSENT_COLUMN = {
    PublicationConsent.NAMED.value: _l("Publish with name"),
    PublicationConsent.ANONYMOUS.value: _l("Publish anonymously"),
    PublicationConsent.NONE.value: _l("Do not publish"),
}


def _viewer():
    return current_user._get_current_object()


def _managed_survey(slug: str, survey_id: int, with_questions: bool = False):
    """The consultation and survey, for a manager: 404 to those who cannot see them, 403 to those who can."""
    user = _viewer()
    consultation = consultation_by_slug(slug)
    if consultation is None or not consultation.visible_to(user):
        abort(404)
    survey = queries.survey_of(consultation, survey_id, with_questions=with_questions)
    if survey is None or not survey.visible_to(user):
        abort(404)
    if not survey.can_manage(user):
        abort(403)
    return consultation, survey


def _per_page() -> int:
    return current_app.config["PAGE_SIZE"]


def _filter_choices(groups) -> dict:
    return {
        "group_options": [(str(g.id), str(g.name)) for g in groups],
        "type_options": [(t.value, t.label) for t in StakeholderType],
    }


# --- The responses list and one response in full ------------------------------


@bp.get(f"{SURVEY}/responses")
@login_required
def responses(slug: str, survey_id: int):
    consultation, survey = _managed_survey(slug, survey_id)
    groups = queries.group_choices()
    filters = queries.parse_response_filters(request.args, groups)
    countries = sorted(((c, country_name(c)) for c in queries.response_countries(survey)),
                       key=lambda item: sort_key(item[1]))
    context = {
        "consultation": consultation,
        "survey": survey,
        "filters": filters,
        "countries": countries,
        "languages": [(code, language_name(code)) for code in LOCALES],
        "language_names": {code: language_name(code) for code in LOCALES},
        "statuses": [(s.value, s.label) for s in ResponseStatus],
        "consent_labels": CONSENT_COLUMN,
        **_filter_choices(groups),
    }
    if filters.errors:
        return render_template("surveys/responses.html", page=None, **context), 400
    page = db.paginate(queries.responses_query(survey, _viewer(), filters), per_page=_per_page(), error_out=True)
    return render_template("surveys/responses.html", page=page, **context)


@bp.get(f"{SURVEY}/responses/<int:response_id>")
@login_required
def response(slug: str, survey_id: int, response_id: int):
    consultation, survey = _managed_survey(slug, survey_id, with_questions=True)
    shown = queries.response_of(survey, response_id, _viewer()) or abort(404)
    files = queries.files_of(shown)
    answers = describe_all(survey.ordered_questions(), {a.question_id: a.value for a in shown.answers}, files)
    return render_template(
        "surveys/response.html",
        consultation=consultation,
        survey=survey,
        response=shown,
        sections=queries.ordered_sections(survey),
        answers=answers,
        editors=queries.users_by_id(r.submitted_by_id for r in shown.revisions),
        language_name=language_name(shown.language),
        consent_labels=CONSENT_COLUMN,
    )


@bp.get(f"{SURVEY}/responses/<int:response_id>/files/<int:file_id>")
@login_required
def response_file(slug: str, survey_id: int, response_id: int, file_id: int):
    _consultation, survey = _managed_survey(slug, survey_id)
    owner = queries.response_of(survey, response_id, _viewer()) or abort(404)
    stored = queries.file_of(owner, file_id) or abort(404)
    return send_file(
        io.BytesIO(stored.content),
        mimetype=stored.mimetype or "application/octet-stream",
        as_attachment=True,
        download_name=stored.filename,
    )


# --- Non-respondents ------------------------------------------------------------


def _audience_context(consultation, survey, groups, filters) -> dict:
    return {
        "consultation": consultation,
        "survey": survey,
        "filters": filters,
        **_filter_choices(groups),
        "per_person": survey.policy is ResponsePolicy.PERSON,
        "can_download": _viewer().has_role(Role.STAFF),
    }


@bp.get(f"{SURVEY}/nonrespondents")
@login_required
def nonrespondents(slug: str, survey_id: int):
    consultation, survey = _managed_survey(slug, survey_id)
    groups = queries.group_choices()
    filters = queries.parse_audience_filters(request.args, groups)
    context = _audience_context(consultation, survey, groups, filters)
    if filters.errors:
        return render_template("surveys/nonrespondents.html", page=None, **context), 400
    page = db.paginate(queries.nonrespondent_organizations_query(survey, filters), per_page=_per_page(),
                       error_out=True)
    return render_template(
        "surveys/nonrespondents.html",
        page=page,
        activity=queries.organization_activity(survey, [o.id for o in page.items]),
        breakdown=queries.organization_breakdown(survey, groups),
        people_total=queries.count_people(survey) if context["per_person"] else None,
        **context,
    )


@bp.get(f"{SURVEY}/nonrespondents/people")
@login_required
def nonrespondent_people(slug: str, survey_id: int):
    consultation, survey = _managed_survey(slug, survey_id)
    if survey.policy is not ResponsePolicy.PERSON:
        abort(404)  # one response per organization: people do not answer on their own
    groups = queries.group_choices()
    filters = queries.parse_audience_filters(request.args, groups)
    context = _audience_context(consultation, survey, groups, filters)
    if filters.errors:
        return render_template("surveys/nonrespondents_people.html", page=None, **context), 400
    page = db.paginate(queries.nonrespondent_people_query(survey, filters), per_page=_per_page(), error_out=True)
    return render_template(
        "surveys/nonrespondents_people.html",
        page=page,
        activity=queries.person_activity(survey, page.items),
        breakdown=queries.people_breakdown(survey, groups),
        **context,
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_line(cells) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


def _moment(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _nonrespondent_lines(survey):
    """The CSV, a line at a time, reading the organizations and people in chunks."""
    yield "\ufeff" + _csv_line([
        _("Non-respondent"), _("Organization"), _("Country"), _("Stakeholder type"), _("Groups"),
        _("Person"), _("Email"), _("Last activity (UTC)"),
    ])
    no_filters = queries.ListFilters()

    def organization_cells(organization):
        names = "; ".join(sorted((str(g.name) for g in organization.groups), key=sort_key))
        return [organization.name, organization.country_name, organization.stakeholder.label, names]

    for chunk in queries.in_chunks(queries.nonrespondent_organizations_query(survey, no_filters)):
        activity = queries.organization_activity(survey, [o.id for o in chunk])
        for organization in chunk:
            yield _csv_line([_("Organization"), *organization_cells(organization), "", "",
                             _moment(activity.get(organization.id))])
    if survey.policy is ResponsePolicy.PERSON:
        for chunk in queries.in_chunks(queries.nonrespondent_people_query(survey, no_filters)):
            activity = queries.person_activity(survey, chunk)
            for person in chunk:
                yield _csv_line([_("Person"), *organization_cells(person.organization), person.display_name,
                                 person.email, _moment(activity.get(person.id))])


@bp.get(f"{SURVEY}/nonrespondents.csv")
@login_required
def nonrespondents_csv(slug: str, survey_id: int):
    consultation, survey = _managed_survey(slug, survey_id)
    if not _viewer().has_role(Role.STAFF):
        abort(403)
    filename = f"nonrespondents-{consultation.slug}-{survey.id}.csv"
    # Names and addresses leave the platform: who took them is kept.
    record_now(_viewer(), "data_exported", consultation, kind="nonrespondents", format="csv", survey=survey.id)
    return HttpResponse(
        stream_with_context(_nonrespondent_lines(survey)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
