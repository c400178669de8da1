"""Admin pages for stakeholder groups: names in three languages, members, moderators."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.directory.models import Group
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.helpers import count, submit


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def group_count(app) -> int:
    with app.app_context():
        return count(Group)


def load_group(app, group_id: int) -> dict:
    with app.app_context():
        group = db.session.get(Group, group_id)
        return {
            "name": group.name,
            "description": group.description,
            "active": group.active,
            "organizations": [o.name for o in group.organizations],
            "moderators": [u.email for u in group.moderators],
        }


def group_data(**overrides) -> dict:
    data = {
        "original_locale": "en",
        "name_en": "Counterfeiting and Piracy Group",
        "name_fr": "Groupe contrefaçon et piraterie",
        "name_es": "",
        "description_en": "Customs and rights holders working together.",
        "description_fr": "",
        "description_es": "",
    }
    data.update(overrides)
    return data


def make_group(app, names: dict, original: str = "en", **fields) -> int:
    with app.app_context():
        group = Group(name=LocalizedText(names, original), description=LocalizedText({}, original), **fields)
        db.session.add(group)
        db.session.commit()
        return group.id


# --- Access --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/groups/", "/admin/groups/new"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["participant", "moderator", "staff"])
def test_only_admins_may_manage_groups(app, client_as, role):
    signed_in = client_as(role)
    group_id = make_group(app, {"en": "Group"})
    assert signed_in.get("/admin/groups/").status_code == 403
    assert signed_in.get(f"/admin/groups/{group_id}/edit").status_code == 403
    response = submit(signed_in, f"/admin/groups/{group_id}/deactivate", {}, form_page="/")
    assert response.status_code == 403
    assert load_group(app, group_id)["active"]


def test_unknown_group_is_404(admin_client):
    assert admin_client.get("/admin/groups/999999").status_code == 404
    assert admin_client.get("/admin/groups/999999/edit").status_code == 404


# --- List ----------------------------------------------------------------


def test_list_shows_names_in_the_viewers_language_with_fallback(app, admin_client):
    make_group(app, {"en": "Rights Holders Consultative Group", "fr": "Groupe consultatif des titulaires"})
    make_group(app, {"es": "Grupo de intermediarios"}, original="es")
    english = page_text(admin_client.get("/admin/groups/"))
    assert "Rights Holders Consultative Group" in english
    assert "Grupo de intermediarios" in english
    assert "This content is not available in English and is shown in Spanish." in english

    submit(admin_client, "/language", {"locale": "fr"}, form_page="/")
    french = page_text(admin_client.get("/admin/groups/"))
    assert "Groupe consultatif des titulaires" in french


def test_list_is_paginated(app, admin_client):
    for number in range(27):
        make_group(app, {"en": f"Group {number:02d}"})
    first = page_text(admin_client.get("/admin/groups/"))
    second = page_text(admin_client.get("/admin/groups/?page=2"))
    assert "Group 00" in first and "Group 26" not in first
    assert "Group 26" in second


# --- Create --------------------------------------------------------------


def test_admin_creates_a_group_with_members_and_moderators(app, admin_client, make_organization, make_user):
    customs = make_organization(name="Customs Kenya")
    brand = make_organization(name="Brand Alliance")
    moderator = make_user(role="moderator", display_name="Mo Derator")
    form = page_text(admin_client.get("/admin/groups/new"))
    assert "Customs Kenya" in form and "Mo Derator" in form

    response = submit(
        admin_client,
        "/admin/groups/new",
        group_data(organization_ids=[str(customs.id), str(brand.id)], moderator_ids=[str(moderator.id)]),
    )
    assert response.status_code == 302
    with app.app_context():
        group_id = db.session.scalar(select(Group.id))
    saved = load_group(app, group_id)
    assert saved["name"] == LocalizedText(
        {"en": "Counterfeiting and Piracy Group", "fr": "Groupe contrefaçon et piraterie"}, "en"
    )
    assert saved["description"].texts == {"en": "Customs and rights holders working together."}
    assert saved["organizations"] == ["Brand Alliance", "Customs Kenya"]
    assert saved["moderators"] == [moderator.email]
    [created] = audit_events(app, "group_created")
    assert created.data["organizations"] == ["Brand Alliance", "Customs Kenya"]
    assert created.data["moderators"] == [moderator.email]


def test_only_eligible_moderators_and_active_organizations_are_offered(app, admin_client, make_organization, make_user):
    make_organization(name="Closed Org", active=False)
    make_user(role="participant", display_name="Plain Participant")
    make_user(role="staff", display_name="Staff Member")
    form = page_text(admin_client.get("/admin/groups/new"))
    assert "Closed Org" not in form
    assert "Plain Participant" not in form
    assert "Staff Member" in form


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"original_locale": "fr", "name_fr": ""}, "name_fr", "Enter the name in French, the original language"),
        ({"name_en": "   "}, "name_en", "Enter the name in English, the original language"),
        ({"original_locale": "de"}, "original_locale", "Choose the language the group was first written in"),
        ({"name_es": "x" * 201}, "name_es", "Field cannot be longer than 200 characters"),
    ],
)
def test_bad_input_is_refused(app, admin_client, overrides, field, message):
    response = submit(admin_client, "/admin/groups/new", group_data(**overrides))
    assert response.status_code == 400
    assert message in page_text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert group_count(app) == 0
    assert audit_events(app, "group_created") == []


def test_membership_choices_are_checked(app, admin_client, make_organization, make_user):
    closed = make_organization(name="Closed Org", active=False)
    participant = make_user(role="participant", display_name="Plain Participant")
    cases = [
        ({"organization_ids": [str(closed.id)]}, "Closed Org is deactivated and cannot join a group"),
        ({"organization_ids": ["999999"]}, "One of the chosen organizations does not exist"),
        ({"moderator_ids": [str(participant.id)]}, "Plain Participant cannot moderate"),
        ({"moderator_ids": ["abc"]}, "could not be coerced"),
    ]
    for overrides, message in cases:
        response = submit(admin_client, "/admin/groups/new", group_data(**overrides))
        assert response.status_code == 400, overrides
        assert message in page_text(response)
    assert group_count(app) == 0


def test_input_is_kept_when_the_form_comes_back(admin_client):
    response = submit(admin_client, "/admin/groups/new", group_data(original_locale="es", description_es="Texto"))
    assert response.status_code == 400
    text = page_text(response)
    assert 'value="Groupe contrefaçon et piraterie"' in text
    assert re.search(r'name="description_es">\s*Texto</textarea>', text)


# --- Edit, completeness, deactivate --------------------------------------


def test_edit_page_shows_which_languages_are_missing(app, admin_client):
    group_id = make_group(app, {"en": "Only English"})
    text = page_text(admin_client.get(f"/admin/groups/{group_id}/edit"))
    assert "English: <span class=\"badge text-bg-warning\">description missing" in " ".join(text.split())
    assert "French: <span class=\"badge text-bg-warning\">name and description missing" in " ".join(text.split())


def test_admin_edits_texts_and_membership(app, admin_client, make_organization, make_user):
    first = make_organization(name="First Org")
    second = make_organization(name="Second Org")
    old_moderator = make_user(role="moderator")
    new_moderator = make_user(role="admin")
    response = submit(
        admin_client,
        "/admin/groups/new",
        group_data(organization_ids=[str(first.id)], moderator_ids=[str(old_moderator.id)]),
    )
    group_path = response.headers["Location"]
    edit = f"{group_path}/edit"
    assert 'value="Counterfeiting and Piracy Group"' in page_text(admin_client.get(edit))

    response = submit(
        admin_client,
        edit,
        group_data(
            name_es="Grupo de falsificación y piratería",
            description_en="Updated.",
            organization_ids=[str(second.id)],
            moderator_ids=[str(new_moderator.id)],
        ),
    )
    assert response.status_code == 302
    group_id = int(group_path.rsplit("/", 1)[1])
    saved = load_group(app, group_id)
    assert saved["name"].texts["es"] == "Grupo de falsificación y piratería"
    assert saved["description"].texts == {"en": "Updated."}
    assert saved["organizations"] == ["Second Org"]
    assert saved["moderators"] == [new_moderator.email]
    [updated] = audit_events(app, "group_updated")
    assert updated.data["organizations_added"] == ["Second Org"]
    assert updated.data["organizations_removed"] == ["First Org"]
    assert updated.data["moderators_added"] == [new_moderator.email]
    assert updated.data["moderators_removed"] == [old_moderator.email]
    assert updated.data["changes"]["name"][1]["es"] == "Grupo de falsificación y piratería"


def test_clearing_all_members_is_saved(app, admin_client, make_organization):
    organization = make_organization(name="Leaving Org")
    response = submit(admin_client, "/admin/groups/new", group_data(organization_ids=[str(organization.id)]))
    edit = f"{response.headers['Location']}/edit"
    assert submit(admin_client, edit, group_data()).status_code == 302
    group_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert load_group(app, group_id)["organizations"] == []


def test_deactivate_and_reactivate(app, admin_client):
    group_id = make_group(app, {"en": "Seasonal Group"})
    page = f"/admin/groups/{group_id}"
    assert "Deactivate this group" in page_text(admin_client.get(page))
    assert submit(admin_client, f"{page}/deactivate", {}, form_page=page).status_code == 302
    assert not load_group(app, group_id)["active"]
    assert submit(admin_client, f"{page}/reactivate", {}, form_page=page).status_code == 302
    assert load_group(app, group_id)["active"]
    assert len(audit_events(app, "group_deactivated")) == 1
    assert len(audit_events(app, "group_reactivated")) == 1


def test_ids_too_large_for_the_database_are_a_field_error(app, admin_client):
    response = submit(admin_client, "/admin/groups/new", group_data(organization_ids=["99999999999999999999999"]))
    assert response.status_code == 400
    assert 'id="organization_ids-error"' in response.get_data(as_text=True)
    assert admin_client.get("/admin/groups/2147483648").status_code == 404
    assert group_count(app) == 0
