"""Admin pages for users: list, search, create, edit, role changes, deactivation."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.directory.models import Group, User
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.helpers import count, counted_queries, submit


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def user_count(app) -> int:
    with app.app_context():
        return count(User)


def load_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def user_data(organization_id=None, **overrides) -> dict:
    data = {
        "email": "ana.ruiz@example.org",
        "display_name": "Ana Ruiz",
        "role": "participant",
        "organization_id": str(organization_id) if organization_id else "",
        "locale": "es",
        "timezone": "Europe/Madrid",
        "password": "",
    }
    data.update(overrides)
    return data


# --- Access --------------------------------------------------------------

ADMIN_PAGES = ["/admin/users/", "/admin/users/new"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["participant", "moderator", "staff"])
def test_only_admins_may_manage_users(client_as, make_user, role):
    signed_in = client_as(role)
    target = make_user(role="moderator")
    assert signed_in.get("/admin/users/").status_code == 403
    assert signed_in.get(f"/admin/users/{target.id}").status_code == 403
    response = signed_in.post(f"/admin/users/{target.id}/deactivate", data={})
    assert response.status_code in (400, 403)  # refused before or at the CSRF check, never carried out


def test_non_admin_cannot_deactivate_even_with_a_valid_form(app, client_as, make_user):
    staff = client_as("staff")
    target = make_user(role="moderator")
    response = submit(staff, f"/admin/users/{target.id}/deactivate", {}, form_page="/")
    assert response.status_code == 403
    assert load_user(app, target.id).active


def test_unknown_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.get("/admin/users/999999/edit").status_code == 404


# --- List ----------------------------------------------------------------


def test_list_is_sorted_by_name_and_searchable(admin_client, make_user, make_organization):
    douane = make_organization(name="Douane Française")
    make_user(display_name="Zoé Martin", email="zoe@example.org", organization_id=douane.id)
    make_user(display_name="bruno Costa", email="bruno@couriers.example", role="moderator")
    make_user(display_name="Amina Diallo", email="amina@brand.example", role="staff")

    listing = page_text(admin_client.get("/admin/users/"))
    assert listing.index("Amina Diallo") < listing.index("bruno Costa") < listing.index("Zoé Martin")

    by_email = page_text(admin_client.get("/admin/users/?q=COURIERS"))
    assert "bruno Costa" in by_email and "Zoé Martin" not in by_email

    by_name = page_text(admin_client.get("/admin/users/?q=diallo"))
    assert "Amina Diallo" in by_name and "bruno Costa" not in by_name

    by_organization = page_text(admin_client.get("/admin/users/?q=douane"))
    assert "Zoé Martin" in by_organization and "Amina Diallo" not in by_organization


def test_search_treats_wildcards_literally(admin_client, make_user):
    make_user(display_name="Percent Person", email="percent@example.org")
    response = admin_client.get("/admin/users/?q=%25")
    assert "Percent Person" not in page_text(response)


def test_filters_by_role_status_and_organization(app, admin_client, make_user, make_organization):
    customs = make_organization(name="Customs Kenya")
    kept = make_user(display_name="Kept Participant", organization_id=customs.id)
    make_user(display_name="Other Participant")
    make_user(display_name="Some Moderator", role="moderator")
    gone = make_user(display_name="Gone Moderator", role="moderator")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()

    moderators = page_text(admin_client.get("/admin/users/?role=moderator"))
    assert "Some Moderator" in moderators and "Gone Moderator" in moderators
    assert "Kept Participant" not in moderators

    inactive = page_text(admin_client.get("/admin/users/?status=no"))
    assert "Gone Moderator" in inactive and "Some Moderator" not in inactive

    members = page_text(admin_client.get(f"/admin/users/?organization={customs.id}"))
    assert "Kept Participant" in members and "Other Participant" not in members
    assert kept.id


def test_an_invalid_filter_is_reported_not_a_crash(admin_client):
    response = admin_client.get("/admin/users/?role=emperor&organization=abc")
    assert response.status_code == 400
    assert "Not a valid choice" in page_text(response)


def test_list_is_paginated(app, admin_client, make_user):
    for number in range(30):
        make_user(display_name=f"Member {number:02d}", role="moderator")
    first = page_text(admin_client.get("/admin/users/"))
    second = page_text(admin_client.get("/admin/users/?page=2"))
    assert app.config["PAGE_SIZE"] == 25  # 31 users with the admin: 25 on the first page, 6 on the second
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "Member 29" in second and "Member 29" not in first
    assert "Member 00" in first and "Member 00" not in second
    assert admin_client.get("/admin/users/?page=9").status_code == 404


def test_list_query_count_does_not_grow_with_users(app, admin_client, make_user, make_organization):
    def measure() -> int:
        with counted_queries(app) as statements:
            assert admin_client.get("/admin/users/").status_code == 200
        return len(statements)

    for _ in range(3):
        make_user(organization_id=make_organization().id)
    admin_client.get("/admin/users/")
    few = measure()
    for _ in range(27):
        make_user(organization_id=make_organization().id)
    assert measure() == few


# --- Create --------------------------------------------------------------


def test_admin_creates_a_participant(app, admin_client, make_organization):
    organization = make_organization(name="Rights Holders Alliance")
    response = submit(
        admin_client,
        "/admin/users/new",
        user_data(organization.id, email="  Ana.Ruiz@Example.ORG ", password="a long enough password"),
    )
    assert response.status_code == 302
    with app.app_context():
        user = User.by_email("ana.ruiz@example.org")
        assert user.email == "ana.ruiz@example.org"
        assert user.organization_id == organization.id
        assert (user.locale, user.timezone, user.role) == ("es", "Europe/Madrid", "participant")
        assert user.check_password("a long enough password")
    detail = page_text(admin_client.get(response.headers["Location"]))
    assert "Ana Ruiz" in detail and "Rights Holders Alliance" in detail
    [created] = audit_events(app, "user_created")
    assert created.target_label == "ana.ruiz@example.org"


def test_a_user_without_password_needs_an_invitation(app, admin_client):
    response = submit(admin_client, "/admin/users/new", user_data(role="staff", email="clerk@example.org"))
    assert response.status_code == 302
    with app.app_context():
        assert not User.by_email("clerk@example.org").has_password
    assert "needs an invitation or a password reset" in page_text(admin_client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"role": "emperor"}, "role", "“emperor” is not a role"),
        ({"role": "participant", "organization_id": ""}, "organization_id", "A participant must belong"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "“Mars/Olympus_Mons” is not a known time zone"),
        ({"password": "too short"}, "password", "at least 10 characters"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address"),
        ({"locale": "de"}, "locale", "Choose English, French or Spanish"),
        ({"display_name": "   "}, "display_name", "This field is required"),
        ({"organization_id": "999999"}, "organization_id", "This organization does not exist"),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_its_field(app, admin_client, overrides, field, message):
    before = user_count(app)
    data = user_data(**{"role": "moderator", **overrides})
    response = submit(admin_client, "/admin/users/new", data)
    text = page_text(response)
    assert response.status_code == 400
    assert message in text
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert user_count(app) == before
    assert audit_events(app, "user_created") == []


def test_input_is_kept_when_the_form_comes_back(admin_client):
    response = submit(admin_client, "/admin/users/new", user_data(role="participant", display_name="Kept Name"))
    assert response.status_code == 400
    assert 'value="Kept Name"' in response.get_data(as_text=True)
    assert 'value="ana.ruiz@example.org"' in response.get_data(as_text=True)


def test_duplicate_email_in_another_case_is_refused(app, admin_client, make_user):
    make_user(role="moderator", email="delegate@example.org")
    before = user_count(app)
    response = submit(admin_client, "/admin/users/new", user_data(role="moderator", email="Delegate@EXAMPLE.org"))
    assert response.status_code == 400
    assert "Another account already uses delegate@example.org" in page_text(response)
    assert user_count(app) == before


def test_a_deactivated_organization_cannot_receive_new_users(app, admin_client, make_organization):
    closed = make_organization(name="Closed Org", active=False)
    form = page_text(admin_client.get("/admin/users/new"))
    assert "Closed Org" not in form
    response = submit(admin_client, "/admin/users/new", user_data(closed.id))
    assert response.status_code == 400
    assert "Closed Org is deactivated" in page_text(response)


def test_a_form_without_csrf_token_is_refused(app, admin_client):
    before = user_count(app)
    response = admin_client.post("/admin/users/new", data=user_data(role="staff"))
    assert response.status_code == 400
    assert user_count(app) == before


# --- Edit ----------------------------------------------------------------


def test_admin_edits_a_user(app, admin_client, make_user, make_organization):
    old_organization = make_organization(name="Old Org")
    new_organization = make_organization(name="New Org")
    target = make_user(display_name="Before", organization_id=old_organization.id)
    form = page_text(admin_client.get(f"/admin/users/{target.id}/edit"))
    assert 'value="Before"' in form
    response = submit(
        admin_client,
        f"/admin/users/{target.id}/edit",
        user_data(new_organization.id, email=target.email, display_name="After", locale="fr", timezone="Africa/Dakar"),
    )
    assert response.status_code == 302
    user = load_user(app, target.id)
    assert (user.display_name, user.organization_id, user.locale, user.timezone) == (
        "After",
        new_organization.id,
        "fr",
        "Africa/Dakar",
    )
    [updated] = audit_events(app, "user_updated")
    assert updated.data["changes"]["display_name"] == ["Before", "After"]
    assert updated.data["changes"]["organization"] == ["Old Org", "New Org"]
    assert audit_events(app, "role_change") == []


def test_edit_refuses_an_email_already_used(app, admin_client, make_user):
    make_user(role="staff", email="taken@example.org")
    target = make_user(role="staff", email="mine@example.org")
    response = submit(
        admin_client, f"/admin/users/{target.id}/edit", user_data(role="staff", email="TAKEN@example.org")
    )
    assert response.status_code == 400
    assert "Another account already uses taken@example.org" in page_text(response)
    assert load_user(app, target.id).email == "mine@example.org"


def test_role_change_is_audited_with_from_and_to(app, admin_client, make_user):
    target = make_user(role="participant")
    response = submit(
        admin_client,
        f"/admin/users/{target.id}/edit",
        user_data(target.organization_id, email=target.email, role="moderator"),
    )
    assert response.status_code == 302
    assert load_user(app, target.id).role == "moderator"
    [change] = audit_events(app, "role_change")
    assert change.data == {"from": "participant", "to": "moderator"}
    assert change.target_id == target.id


def test_an_admin_cannot_remove_their_own_admin_role(app, admin_client):
    me = admin_client.user
    response = submit(admin_client, f"/admin/users/{me.id}/edit", user_data(email=me.email, role="staff"))
    assert response.status_code == 400
    assert "You cannot remove your own administrator role" in page_text(response)
    assert load_user(app, me.id).role == "admin"
    assert audit_events(app, "role_change") == []


# --- Deactivation --------------------------------------------------------


def test_deactivation_ends_all_sessions_of_the_user(app, admin_client, participant_client):
    target = participant_client.user
    assert participant_client.get("/account").status_code == 200

    detail = page_text(admin_client.get(f"/admin/users/{target.id}"))
    assert "Deactivate this account and end all its sessions" in detail
    response = submit(admin_client, f"/admin/users/{target.id}/deactivate", {}, form_page=f"/admin/users/{target.id}")
    assert response.status_code == 302

    after = participant_client.get("/account")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")
    user = load_user(app, target.id)
    assert not user.active
    assert len(audit_events(app, "user_deactivated")) == 1


def test_reactivation(app, admin_client, make_user):
    target = make_user(role="moderator")
    page = f"/admin/users/{target.id}"
    submit(admin_client, f"{page}/deactivate", {}, form_page=page)
    assert "Reactivate this account" in page_text(admin_client.get(page))
    response = submit(admin_client, f"{page}/reactivate", {}, form_page=page)
    assert response.status_code == 302
    assert load_user(app, target.id).active
    assert len(audit_events(app, "user_reactivated")) == 1


def test_deactivation_needs_a_post(app, admin_client, make_user):
    target = make_user(role="moderator")
    assert admin_client.get(f"/admin/users/{target.id}/deactivate").status_code == 405
    assert load_user(app, target.id).active


def test_an_admin_cannot_deactivate_themself(app, admin_client):
    me = admin_client.user
    page = f"/admin/users/{me.id}"
    assert "You cannot deactivate your own account" in page_text(admin_client.get(page))
    response = submit(admin_client, f"{page}/deactivate", {}, form_page=page)
    assert response.status_code == 400
    assert "You cannot deactivate your own account" in page_text(response)
    assert load_user(app, me.id).active
    assert admin_client.get("/admin/users/").status_code == 200  # still signed in
    assert audit_events(app, "user_deactivated") == []


# --- Detail --------------------------------------------------------------


def test_detail_shows_organization_role_groups_and_times(app, admin_client, make_user, make_organization):
    organization = make_organization(name="Marketplace Inc")
    target = make_user(role="moderator", display_name="Maria Moderator", organization_id=organization.id)
    with app.app_context():
        group = Group(
            name=LocalizedText({"en": "Counterfeiting and Piracy Group"}, "en"), description=LocalizedText({}, "en")
        )
        group.moderators.append(db.session.get(User, target.id))
        db.session.add(group)
        db.session.commit()
    text = page_text(admin_client.get(f"/admin/users/{target.id}"))
    assert "Marketplace Inc" in text
    assert "Moderator" in text
    assert "Counterfeiting and Piracy Group" in text
    assert "Never" in text  # has not signed in yet
    assert "(Coordinated Universal Time)" in text  # created time, shown in the viewer's zone


def test_numbers_too_large_for_the_database_are_refused_cleanly(app, admin_client):
    huge = "99999999999999999999999"
    assert admin_client.get(f"/admin/users/{huge}").status_code == 404
    assert admin_client.get(f"/admin/users/?page={huge}").status_code == 404
    assert admin_client.get(f"/admin/users/?organization={huge}").status_code == 400
    before = user_count(app)
    response = submit(admin_client, "/admin/users/new", user_data(organization_id=huge))
    assert response.status_code == 400
    assert user_count(app) == before
