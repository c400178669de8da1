"""Admin pages for organizations: list, member counts, create, edit, deactivation."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import event, select

from consult.audit import AuditEvent
from consult.directory.models import Group, Organization
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.helpers import count, submit


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def organization_count(app) -> int:
    with app.app_context():
        return count(Organization)


def load_organization(app, organization_id: int) -> Organization:
    with app.app_context():
        organization = db.session.get(Organization, organization_id)
        db.session.expunge(organization)
        return organization


def organization_data(**overrides) -> dict:
    data = {"name": "Brand Protection Network", "country": "BE", "stakeholder_type": "rights_holder", "verified": "y"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def queries_for(app, client, path: str) -> int:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return len(statements)


# --- Access --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/organizations/", "/admin/organizations/new"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["participant", "moderator", "staff"])
def test_only_admins_may_manage_organizations(app, client_as, make_organization, role):
    signed_in = client_as(role)
    organization = make_organization()
    assert signed_in.get("/admin/organizations/").status_code == 403
    assert signed_in.get(f"/admin/organizations/{organization.id}/edit").status_code == 403
    before = organization_count(app)
    response = submit(signed_in, "/admin/organizations/new", organization_data(), form_page="/")
    assert response.status_code == 403
    assert organization_count(app) == before


def test_unknown_organization_is_404(admin_client):
    assert admin_client.get("/admin/organizations/999999").status_code == 404


# --- List ----------------------------------------------------------------


def test_list_shows_member_counts_and_searches_by_name(admin_client, make_organization, make_user):
    busy = make_organization(name="Busy Customs")
    make_organization(name="Quiet Brand", stakeholder_type="rights_holder")
    for _ in range(3):
        make_user(organization_id=busy.id)
    listing = admin_client.get("/admin/organizations/")
    text = page_text(listing)
    row = text[text.index("Busy Customs"):]
    assert "<td class=\"text-end\">3</td>" in row[: row.index("</tr>")]
    assert "France" in text  # country shown by name

    found = page_text(admin_client.get("/admin/organizations/?q=QUIET"))
    assert "Quiet Brand" in found and "Busy Customs" not in found


def test_filters(app, admin_client, make_organization):
    make_organization(name="Kenyan Customs", country="KE", stakeholder_type="customs", verified=True)
    make_organization(name="Unverified Courier", country="DE", stakeholder_type="intermediary")
    make_organization(name="Closed Brand", country="DE", stakeholder_type="rights_holder", active=False)

    by_type = page_text(admin_client.get("/admin/organizations/?stakeholder_type=intermediary"))
    assert "Unverified Courier" in by_type and "Kenyan Customs" not in by_type

    by_country = page_text(admin_client.get("/admin/organizations/?country=DE"))
    assert "Unverified Courier" in by_country and "Closed Brand" in by_country and "Kenyan Customs" not in by_country

    verified = page_text(admin_client.get("/admin/organizations/?verified=yes"))
    assert "Kenyan Customs" in verified and "Unverified Courier" not in verified

    inactive = page_text(admin_client.get("/admin/organizations/?status=no"))
    assert "Closed Brand" in inactive and "Kenyan Customs" not in inactive


def test_list_is_paginated(admin_client, make_organization):
    for number in range(27):
        make_organization(name=f"Org {number:02d}")
    first = page_text(admin_client.get("/admin/organizations/"))
    second = page_text(admin_client.get("/admin/organizations/?page=2"))
    assert "Org 00" in first and "Org 26" not in first
    assert "Org 26" in second and "Org 00" not in second
    assert admin_client.get("/admin/organizations/?page=5").status_code == 404


def test_list_query_count_does_not_grow_with_organizations(app, admin_client, make_organization, make_user):
    def add_organizations(how_many: int) -> None:
        for _ in range(how_many):
            organization = make_organization()
            make_user(organization_id=organization.id, password=None)

    add_organizations(3)
    admin_client.get("/admin/organizations/")  # warm up
    few = queries_for(app, admin_client, "/admin/organizations/")
    add_organizations(27)
    many = queries_for(app, admin_client, "/admin/organizations/")
    assert many == few
    assert few <= 5, few


# --- Create --------------------------------------------------------------


def test_admin_creates_an_organization(app, admin_client):
    response = submit(admin_client, "/admin/organizations/new", organization_data(name="  Brand   Protection Network "))
    assert response.status_code == 302
    with app.app_context():
        organization = db.session.scalar(select(Organization))
        assert organization.name == "Brand Protection Network"
        assert organization.name_key == "brand protection network"
        assert (organization.country, organization.stakeholder_type, organization.verified) == (
            "BE",
            "rights_holder",
            True,
        )
    [created] = audit_events(app, "organization_created")
    assert created.data["name"] == "Brand Protection Network"


def test_country_names_follow_the_viewers_language(admin_client):
    submit(admin_client, "/language", {"locale": "fr"}, form_page="/")
    form = page_text(admin_client.get("/admin/organizations/new"))
    assert '<option value="DE">Allemagne</option>' in form


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"country": "XX"}, "country", "Choose a country from the list"),
        ({"country": "FRA"}, "country", "Choose a country from the list"),
        ({"country": ""}, "country", "Choose a country from the list"),
        ({"stakeholder_type": "pirate"}, "stakeholder_type", "Choose a stakeholder type from the list"),
        ({"name": ""}, "name", "This field is required"),
        ({"name": "x" * 201}, "name", "Field cannot be longer than 200 characters"),
    ],
)
def test_bad_input_is_refused(app, admin_client, overrides, field, message):
    response = submit(admin_client, "/admin/organizations/new", organization_data(**overrides))
    assert response.status_code == 400
    assert message in page_text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert organization_count(app) == 0
    assert audit_events(app, "organization_created") == []


def test_duplicate_name_ignoring_case_is_a_field_error(app, admin_client, make_organization):
    make_organization(name="Brand Protection Network")
    response = submit(admin_client, "/admin/organizations/new", organization_data(name="brand  PROTECTION network"))
    assert response.status_code == 400
    assert "An organization named Brand Protection Network already exists" in page_text(response)
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert organization_count(app) == 1


# --- Edit, deactivate ----------------------------------------------------


def test_admin_edits_an_organization(app, admin_client, make_organization):
    organization = make_organization(name="Old Name", country="FR", stakeholder_type="customs")
    form = page_text(admin_client.get(f"/admin/organizations/{organization.id}/edit"))
    assert 'value="Old Name"' in form
    response = submit(
        admin_client,
        f"/admin/organizations/{organization.id}/edit",
        organization_data(name="New Name", country="SN", stakeholder_type="customs", verified=None),
    )
    assert response.status_code == 302
    saved = load_organization(app, organization.id)
    assert (saved.name, saved.name_key, saved.country, saved.verified) == ("New Name", "new name", "SN", False)
    [updated] = audit_events(app, "organization_updated")
    assert updated.data["changes"]["name"] == ["Old Name", "New Name"]
    assert updated.data["changes"]["country"] == ["FR", "SN"]


def test_renaming_only_the_case_of_its_own_name_is_allowed(app, admin_client, make_organization):
    organization = make_organization(name="acme customs")
    response = submit(
        admin_client, f"/admin/organizations/{organization.id}/edit", organization_data(name="ACME Customs")
    )
    assert response.status_code == 302
    assert load_organization(app, organization.id).name == "ACME Customs"


def test_renaming_onto_another_name_is_refused(app, admin_client, make_organization):
    make_organization(name="Taken Name")
    organization = make_organization(name="Mine")
    edit = f"/admin/organizations/{organization.id}/edit"
    response = submit(admin_client, edit, organization_data(name="taken name"))
    assert response.status_code == 400
    assert "An organization named Taken Name already exists" in page_text(response)
    assert load_organization(app, organization.id).name == "Mine"


def test_deactivate_and_reactivate(app, admin_client, make_organization):
    organization = make_organization(name="Seasonal Org")
    page = f"/admin/organizations/{organization.id}"
    assert "Deactivate this organization" in page_text(admin_client.get(page))
    assert submit(admin_client, f"{page}/deactivate", {}, form_page=page).status_code == 302
    assert not load_organization(app, organization.id).active
    assert "Reactivate this organization" in page_text(admin_client.get(page))
    assert submit(admin_client, f"{page}/reactivate", {}, form_page=page).status_code == 302
    assert load_organization(app, organization.id).active
    assert len(audit_events(app, "organization_deactivated")) == 1
    assert len(audit_events(app, "organization_reactivated")) == 1


def test_detail_lists_users_and_groups(app, admin_client, make_organization, make_user):
    organization = make_organization(name="Postal Operator")
    make_user(display_name="Paul Postman", organization_id=organization.id)
    with app.app_context():
        group = Group(name=LocalizedText({"fr": "Groupe consultatif"}, "fr"), description=LocalizedText({}, "fr"))
        group.organizations.append(db.session.get(Organization, organization.id))
        db.session.add(group)
        db.session.commit()
    text = page_text(admin_client.get(f"/admin/organizations/{organization.id}"))
    assert "Paul Postman" in text
    assert "Groupe consultatif" in text
