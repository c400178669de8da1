"""Who may export, and what bad requests get: 404 to those who cannot see the consultation, 403 to those who can but
do not run it, 404 for unknown formats, 400 with a message for bad filters — never a 500."""

from __future__ import annotations

import html
import re

import pytest

from tests.exports.test_exports_support import export_url, make_answered_consultation
from tests.factories import create_consultation, create_group

EXPORTS = [f"{kind}.{fmt}" for kind in ("responses", "comments") for fmt in ("csv", "xlsx", "json")]


@pytest.fixture
def data(app):
    return make_answered_consultation(app)


def test_anonymous_visitors_are_sent_to_sign_in(client, data):
    for name in [*EXPORTS, ""]:
        response = client.get(export_url(data, name))
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("name", [*EXPORTS, ""])
def test_a_participant_of_the_audience_is_refused(participant_client, data, name):
    assert participant_client.get(export_url(data, name)).status_code == 403


def test_a_participant_outside_a_restricted_audience_is_not_told_it_exists(app, participant_client):
    with app.app_context():
        consultation = create_consultation(audience_mode="restricted", audience_types=["rights_holder"])
    for name in [*EXPORTS, ""]:
        response = participant_client.get(f"/consultations/{consultation.slug}/export/{name}")
        assert response.status_code == 404


def test_moderators_export_only_the_consultations_they_run(app, client_as, data):
    own = client_as("moderator")
    other = client_as("moderator")
    with app.app_context():
        from consult.directory.models import Group, User
        from consult.extensions import db

        group = db.session.get(Group, data.group_id)
        group.moderators.append(db.session.get(User, own.user.id))
        db.session.commit()
        draft = create_consultation(group_id=create_group().id, state="draft")
    assert own.get(export_url(data, "comments.csv")).status_code == 200
    assert own.get(export_url(data, "")).status_code == 200
    # A published, public consultation another moderator runs: visible, not theirs to export.
    assert other.get(export_url(data, "comments.csv")).status_code == 403
    # A draft of another group: not even visible.
    assert own.get(f"/consultations/{draft.slug}/export/comments.csv").status_code == 404


def test_admins_may_export(admin_client, data):
    assert admin_client.get(export_url(data, "responses.json")).status_code == 200


@pytest.mark.parametrize("name", ["responses.pdf", "comments.exe", "responses.CSV", "comments.", "compilation.csv",
                                  "responses.csv.zip"])
def test_unknown_formats_are_not_found(staff_client, data, name):
    assert staff_client.get(export_url(data, name)).status_code == 404


def test_an_unknown_consultation_is_not_found(staff_client):
    assert staff_client.get("/consultations/nothing-here/export/comments.csv").status_code == 404
    assert staff_client.get("/consultations/nothing-here/export/").status_code == 404


BAD_FILTERS = [
    ({"stakeholder_type": "alien"}, "Choose a stakeholder type from the list."),
    ({"group": "abc"}, "Choose a group from the list."),
    ({"group": "99999"}, "Choose a group from the list."),
    ({"group": "99999999999999999999999"}, "Choose a group from the list."),
    ({"country": "ZZ"}, "Choose a country from the list."),
    ({"country": "FRA"}, "Choose a country from the list."),
    ({"language": "de"}, "Choose a language from the list."),
    ({"status": "lost"}, "Choose a status from the list."),
    ({"date_from": "31/03/2026"}, "Enter a date as YYYY-MM-DD"),
    ({"date_from": "2026-02-30"}, "Enter a date as YYYY-MM-DD"),
    ({"date_to": "20260331"}, "Enter a date as YYYY-MM-DD"),
    ({"date_from": "2026-04-01", "date_to": "2026-03-01"}, "must not come before its start"),
    ({"country": "%00"}, "Choose a country from the list."),
    ({"language": "x" * 5000}, "Choose a language from the list."),
]


@pytest.mark.parametrize(("args", "message"), BAD_FILTERS)
@pytest.mark.parametrize("name", ["responses.csv", "comments.xlsx", "comments.json"])
def test_bad_filters_get_a_clear_400(staff_client, data, args, message, name):
    response = staff_client.get(export_url(data, name, **args))
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert response.headers["Content-Type"].startswith("text/html")


def test_a_filter_given_twice_is_refused(staff_client, data):
    response = staff_client.get(export_url(data, "comments.csv") + "?country=FR&country=ES")
    assert response.status_code == 400
    assert "Choose only one value." in response.get_data(as_text=True)


def test_a_date_at_the_end_of_time_is_accepted(staff_client, data):
    response = staff_client.get(export_url(data, "comments.csv", date_from="0001-01-01", date_to="9999-12-31"))
    assert response.status_code == 200


def test_the_error_is_in_the_persons_language(app, client_as, data):
    french_staff = client_as("staff", locale="fr")
    response = french_staff.get(export_url(data, "comments.csv", country="ZZ"))
    assert response.status_code == 400
    assert "Choisissez un pays dans la liste." in html.unescape(response.get_data(as_text=True))


def test_the_error_page_leads_back_to_the_choices(staff_client, data):
    response = staff_client.get(export_url(data, "comments.csv") + "?country=ZZ&labels=codes&slug=other&_external=1")
    assert response.status_code == 400
    back = html.unescape(re.search(r'href="([^"]+)">Back to the exports page', response.get_data(as_text=True))[1])
    assert back.startswith(f"/consultations/{data.slug}/export/?")
    assert "country=ZZ" in back and "labels=codes" in back and "slug=" not in back and "_external" not in back
    again = staff_client.get(back)
    assert again.status_code == 400
    assert 'id="country-error"' in again.get_data(as_text=True)
