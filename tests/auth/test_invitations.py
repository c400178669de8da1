"""Staff and admins invite people; the list of invitations; revoking; the passwordless accounts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from consult.auth import invitations as service
from consult.auth.models import Invitation
from consult.directory.models import Group, User
from consult.extensions import db
from consult.i18n import LocalizedText, utcnow
from consult.mail import OutboxMessage
from tests.auth.support import audit_actions, invitation_path, invitations, invite, link_in, outbox
from tests.helpers import count, submit


def make_group(app, name="Counterfeiting and Piracy Group", active=True) -> int:
    with app.app_context():
        group = Group(name=LocalizedText({"en": name}, "en"), description=LocalizedText({"en": "About"}, "en"),
                      active=active)
        db.session.add(group)
        db.session.commit()
        return group.id


# --- Sending ------------------------------------------------------------------


def test_staff_invites_a_participant_and_the_email_waits_in_the_outbox(app, staff_client, make_organization):
    organization = make_organization(name="Douane française")

    response = invite(staff_client, "New.Delegate@Example.org", organization_id=organization.id)

    assert response.status_code == 302
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "An invitation has been sent to new.delegate@example.org." in page
    [invitation] = invitations(app)
    assert invitation.email == "new.delegate@example.org"
    assert invitation.role == "participant"
    assert invitation.organization_id == organization.id
    assert invitation.invited_by_id == staff_client.user.id
    assert timedelta(days=13, hours=23) < invitation.expires_at - utcnow() <= timedelta(days=14)
    [message] = outbox(app)
    assert message.recipient == "new.delegate@example.org"
    assert message.subject == "Your invitation to Consult"
    assert "Organization: Douane française" in message.body
    assert link_in(message.body).startswith("/invitations/accept/")
    [sent] = audit_actions(app, "invitation_sent")
    assert sent.actor_id == staff_client.user.id
    assert sent.target_id == invitation.id


def test_only_the_hash_of_the_link_token_is_stored(app, staff_client, make_organization):
    path = invitation_path(app, staff_client, "hash@example.org", make_organization().id)
    token = path.rsplit("/", 1)[1]
    [invitation] = invitations(app)
    assert token not in invitation.token_hash
    with app.app_context():
        assert Invitation.by_token(token).id == invitation.id


def test_the_email_is_written_in_the_language_chosen_for_the_invitee(app, translated_app, make_user, make_organization):
    staff = make_user(role="staff")
    organization = make_organization()
    client = translated_app.test_client()
    submit(client, "/login", {"email": staff.email, "password": staff.password})

    assert invite(client, "francais@example.org", organization_id=organization.id, locale="fr").status_code == 302
    assert invite(client, "espanol@example.org", organization_id=organization.id, locale="es").status_code == 302
    assert invite(client, "english@example.org", organization_id=organization.id, locale="en").status_code == 302

    subjects = {message.recipient: (message.subject, message.body) for message in outbox(app)}
    assert subjects["francais@example.org"][0] == "Votre invitation à Consult"
    assert subjects["francais@example.org"][1].startswith("Bonjour,")
    assert subjects["espanol@example.org"][0] == "Su invitación a Consult"
    assert subjects["english@example.org"][0] == "Your invitation to Consult"
    assert subjects["english@example.org"][1].startswith("Hello,")
    # The inviter's own pages stay in their language.
    assert "Invitations" in client.get("/invitations/").get_data(as_text=True)


def test_the_form_offers_staff_every_role_but_administrator(app, staff_client, admin_client):
    staff_page = staff_client.get("/invitations/").get_data(as_text=True)
    admin_page = admin_client.get("/invitations/").get_data(as_text=True)
    assert 'value="staff"' in staff_page
    assert 'value="admin"' not in staff_page
    assert 'value="admin"' in admin_page


def test_staff_cannot_invite_an_administrator(app, staff_client):
    response = invite(staff_client, "boss@example.org", role="admin")

    assert response.status_code == 400
    assert "You may not invite someone with this role." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Invitation) == 0
        assert count(OutboxMessage) == 0


def test_an_admin_can_invite_an_administrator_without_organization(app, admin_client):
    assert invite(admin_client, "second.admin@example.org", role="admin").status_code == 302
    [invitation] = invitations(app)
    assert invitation.role == "admin"
    assert invitation.organization_id is None


def test_participants_and_moderators_may_not_open_the_invitations_page(participant_client, moderator_client, client):
    assert participant_client.get("/invitations/").status_code == 403
    assert moderator_client.get("/invitations/").status_code == 403
    anonymous = client.get("/invitations/")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]


def test_a_participant_cannot_send_an_invitation_by_posting(app, participant_client, make_organization):
    organization = make_organization()
    response = invite(participant_client, "x@example.org", organization_id=organization.id)  # token from the home page
    assert response.status_code == 403
    with app.app_context():
        assert count(Invitation) == 0


def test_a_participant_invitation_needs_an_organization(app, staff_client):
    response = invite(staff_client, "lost@example.org", role="participant")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the organization this participant belongs to." in page
    assert 'value="lost@example.org"' in page  # what the person typed is kept
    with app.app_context():
        assert count(Invitation) == 0


def test_bad_input_on_the_invitation_form_is_refused_field_by_field(app, staff_client, make_organization):
    active = make_organization()
    inactive = make_organization(active=False)
    inactive_group = make_group(app, active=False)
    cases = [
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"locale": "de"}, "Choose English, French or Spanish."),
        ({"organization": str(inactive.id)}, "Choose an active organization from the list."),
        ({"organization": "999999"}, "Choose an active organization from the list."),
        ({"group": str(inactive_group)}, "Choose an active group from the list."),
        ({"role": "overlord"}, "You may not invite someone with this role."),
        ({"email": ""}, "This field is required."),
    ]
    for changes, message in cases:
        data = {"email": "ok@example.org", "role": "participant", "organization": str(active.id), "group": "",
                "locale": "en", **changes}
        response = submit(staff_client, "/invitations/", data)
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True), changes
    with app.app_context():
        assert count(Invitation) == 0
        assert count(OutboxMessage) == 0


def test_an_address_that_already_has_an_account_is_not_invited(app, staff_client, make_user, make_organization):
    make_user(email="member@example.org")

    response = invite(staff_client, "MEMBER@example.org", organization_id=make_organization().id)

    assert response.status_code == 400
    assert "member@example.org already has an account." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Invitation) == 0
        assert count(OutboxMessage) == 0


def test_a_disabled_account_is_not_invited(app, staff_client, make_user, make_organization):
    make_user(password=None, email="left@example.org", active=False)

    response = invite(staff_client, "left@example.org", organization_id=make_organization().id)

    assert response.status_code == 400
    assert "The account for left@example.org is disabled." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Invitation) == 0


def test_inviting_again_revokes_the_pending_invitation_and_sends_a_new_one(app, staff_client, make_organization,
                                                                           client):
    organization = make_organization()
    first_link = invitation_path(app, staff_client, "again@example.org", organization.id)
    second_link = invitation_path(app, staff_client, "again@example.org", organization.id, locale="fr")

    first, second = invitations(app, "again@example.org")
    assert first.revoked_at is not None
    assert second.revoked_at is None and second.locale == "fr"
    [resent] = audit_actions(app, "invitation_resent")
    assert resent.target_id == second.id
    assert resent.data["replaces"] == [first.id]
    assert len(outbox(app)) == 2
    assert client.get(first_link).status_code == 410
    assert client.get(second_link).status_code == 200


def test_staff_cannot_replace_a_pending_administrator_invitation(app, staff_client, admin_client):
    assert invite(admin_client, "chief@example.org", role="admin").status_code == 302

    response = invite(staff_client, "chief@example.org", role="staff")

    assert response.status_code == 400
    assert "only an administrator can replace it" in response.get_data(as_text=True)
    [invitation] = invitations(app)
    assert invitation.revoked_at is None


# --- Groups -------------------------------------------------------------------


def test_a_moderator_invited_for_a_group_moderates_it_once_accepted(app, staff_client, make_organization, client):
    organization = make_organization()
    group_id = make_group(app)
    path = invitation_path(app, staff_client, "mod@example.org", organization.id, role="moderator",
                           group_id=group_id)
    with app.app_context():
        assert db.session.get(Group, group_id).organizations == []  # nothing happens before acceptance

    response = submit(client, path, {"display_name": "Mo Derator", "password": "a long enough secret",
                                     "confirm": "a long enough secret", "locale": "en", "timezone": "UTC"})

    assert response.status_code == 302
    with app.app_context():
        group = db.session.get(Group, group_id)
        assert [user.email for user in group.moderators] == ["mod@example.org"]
        assert [org.id for org in group.organizations] == [organization.id]


def test_a_participant_invited_with_a_group_brings_the_organization_into_it(app, staff_client, make_organization,
                                                                              client):
    organization = make_organization()
    group_id = make_group(app)
    path = invitation_path(app, staff_client, "p@example.org", organization.id, group_id=group_id)

    submit(client, path, {"display_name": "Pat", "password": "a long enough secret",
                          "confirm": "a long enough secret", "locale": "en", "timezone": "UTC"})

    with app.app_context():
        group = db.session.get(Group, group_id)
        assert group.moderators == []
        assert [org.id for org in group.organizations] == [organization.id]


# --- Revoking -----------------------------------------------------------------


def test_staff_revoke_a_pending_invitation_and_its_link_stops_working(app, staff_client, make_organization, client):
    path = invitation_path(app, staff_client, "gone@example.org", make_organization().id)
    [invitation] = invitations(app)

    response = submit(staff_client, f"/invitations/{invitation.id}/revoke", form_page="/invitations/")

    assert response.status_code == 302
    page = staff_client.get("/invitations/").get_data(as_text=True)
    assert "The invitation to gone@example.org has been revoked." in page
    assert invitations(app)[0].revoked_at is not None
    [revoked] = audit_actions(app, "invitation_revoked")
    assert revoked.target_id == invitation.id
    unavailable = client.get(path)
    assert unavailable.status_code == 410
    assert "This invitation has been withdrawn" in unavailable.get_data(as_text=True)


def test_revoking_twice_says_it_is_no_longer_pending(app, staff_client, make_organization):
    invitation_path(app, staff_client, "twice@example.org", make_organization().id)
    [invitation] = invitations(app)
    submit(staff_client, f"/invitations/{invitation.id}/revoke", form_page="/invitations/")

    response = submit(staff_client, f"/invitations/{invitation.id}/revoke", form_page="/invitations/",
                      follow_redirects=True)

    assert "This invitation is no longer pending, so it cannot be revoked." in response.get_data(as_text=True)
    assert len(audit_actions(app, "invitation_revoked")) == 1


def test_revoking_is_never_done_by_a_get_an_unknown_id_or_staff_on_an_admin_invitation(app, staff_client,
                                                                                         admin_client):
    invite(admin_client, "root@example.org", role="admin")
    [invitation] = invitations(app)

    assert staff_client.get(f"/invitations/{invitation.id}/revoke").status_code == 405
    assert submit(staff_client, "/invitations/999999/revoke", form_page="/invitations/").status_code == 404
    assert submit(staff_client, f"/invitations/{invitation.id}/revoke", form_page="/invitations/").status_code == 403
    assert invitations(app)[0].revoked_at is None
    assert "root@example.org" in admin_client.get("/invitations/").get_data(as_text=True)


# --- Accounts without a password ------------------------------------------------


def test_accounts_without_a_password_are_invited_in_one_go(app, staff_client, make_user, make_organization):
    organization = make_organization()
    make_user(password=None, email="imported1@example.org", organization_id=organization.id, locale="fr")
    make_user(password=None, email="imported2@example.org", organization_id=organization.id)
    make_user(password=None, email="already@example.org", organization_id=organization.id)
    make_user(password=None, email="disabled@example.org", organization_id=organization.id, active=False)
    make_user(email="hasPassword@example.org")
    invitation_path(app, staff_client, "already@example.org", organization.id)
    assert "2 active accounts have no password and no pending invitation." in staff_client.get(
        "/invitations/").get_data(as_text=True)

    response = submit(staff_client, "/invitations/passwordless", form_page="/invitations/", follow_redirects=True)

    assert "2 invitations sent to accounts without a password." in response.get_data(as_text=True)
    recipients = sorted(message.recipient for message in outbox(app))
    assert recipients == ["already@example.org", "imported1@example.org", "imported2@example.org"]
    sent = {invitation.email: invitation for invitation in invitations(app)}
    assert sent["imported1@example.org"].locale == "fr"
    assert sent["imported1@example.org"].organization_id == organization.id
    assert sent["imported2@example.org"].role == "participant"
    assert {event.target_id for event in audit_actions(app, "invitation_sent")} == {
        sent["imported1@example.org"].id, sent["imported2@example.org"].id, sent["already@example.org"].id}

    again = submit(staff_client, "/invitations/passwordless", form_page="/invitations/", follow_redirects=True)
    assert "nothing was sent" in again.get_data(as_text=True)
    assert len(outbox(app)) == 3


def test_an_imported_account_is_completed_not_duplicated(app, staff_client, make_user, make_organization, client):
    organization = make_organization()
    imported = make_user(password=None, email="csv@example.org", organization_id=organization.id,
                         display_name="Imported Name")
    submit(staff_client, "/invitations/passwordless", form_page="/invitations/")
    path = link_in(outbox(app)[0].body)

    form = client.get(path)
    assert 'value="Imported Name"' in form.get_data(as_text=True)
    response = submit(client, path, {"display_name": "Imported Name", "password": "my own new secret",
                                     "confirm": "my own new secret", "locale": "es", "timezone": "America/Bogota"})

    assert response.status_code == 302
    with app.app_context():
        assert count(User) == 2  # the staff member and the imported person, no duplicate
        user = db.session.get(User, imported.id)
        assert user.check_password("my own new secret")
        assert (user.locale, user.timezone, user.organization_id) == ("es", "America/Bogota", organization.id)


# --- The list -------------------------------------------------------------------


def _add_invitations(app, inviter_id: int, organization_id: int, number: int, **fields) -> None:
    with app.app_context():
        for index in range(number):
            invitation, _token = Invitation.issue(valid_days=14, email=f"bulk{index}@example.org",
                                                  organization_id=organization_id, invited_by_id=inviter_id,
                                                  **fields)
            db.session.add(invitation)
        db.session.commit()


def test_the_list_shows_each_status_and_can_be_filtered(app, staff_client, make_organization):
    organization = make_organization(name="Rights Holders Ltd")
    for email in ("pending@example.org", "accepted@example.org", "expired@example.org", "revoked@example.org"):
        invitation_path(app, staff_client, email, organization.id)
    with app.app_context():
        rows = {row.email: row for row in db.session.scalars(select(Invitation))}
        rows["accepted@example.org"].accepted_at = utcnow()
        rows["expired@example.org"].expires_at = utcnow() - timedelta(minutes=1)
        rows["revoked@example.org"].revoked_at = utcnow()
        db.session.commit()

    page = staff_client.get("/invitations/").get_data(as_text=True)
    for label in ("Pending", "Accepted", "Expired", "Revoked"):
        assert f">{label}</span>" in page
    assert "Rights Holders Ltd" in page
    assert "(Coordinated Universal Time)" in page  # times carry the zone's name

    expired_only = staff_client.get("/invitations/?status=expired").get_data(as_text=True)
    assert "expired@example.org" in expired_only
    assert "pending@example.org" not in expired_only
    assert "revoke" not in expired_only.lower().split("<tbody>")[1]
    assert staff_client.get("/invitations/?status=nonsense").status_code == 200


def test_the_state_filter_agrees_with_the_state_of_each_invitation(app, make_user, make_organization):
    staff = make_user(role="staff")
    organization = make_organization()
    _add_invitations(app, staff.id, organization.id, 8)
    with app.app_context():
        rows = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        rows[0].accepted_at = utcnow()
        rows[1].revoked_at = utcnow()
        rows[2].expires_at = utcnow() - timedelta(days=1)
        rows[3].accepted_at = utcnow()
        rows[3].expires_at = utcnow() - timedelta(days=1)  # accepted, then the date passed: still accepted
        rows[4].revoked_at = utcnow()
        rows[4].expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
        for state in service.InvitationState:
            by_query = set(db.session.scalars(select(Invitation.id).where(service.invitation_state_filter(state))))
            by_method = {row.id for row in rows if service.invitation_state(row) is state}
            assert by_query == by_method, state


def test_the_list_is_paginated(app, staff_client, make_organization):
    _add_invitations(app, staff_client.user.id, make_organization().id, 30)

    first = staff_client.get("/invitations/").get_data(as_text=True)
    second = staff_client.get("/invitations/?page=2").get_data(as_text=True)

    assert first.count("@example.org</td>") == 25
    assert second.count("@example.org</td>") == 5
    assert "Page 2 of 2, 30 in all" in second
    assert staff_client.get("/invitations/?page=9").status_code == 404


def test_the_list_needs_the_same_number_of_queries_whatever_its_length(app, staff_client, make_organization):
    organization = make_organization()

    def queries_for_page() -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def count_statement(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count_statement)
        try:
            assert staff_client.get("/invitations/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
        return len(statements)

    _add_invitations(app, staff_client.user.id, organization.id, 2)
    few = queries_for_page()
    with app.app_context():
        db.session.execute(Invitation.__table__.delete())
        db.session.commit()
    _add_invitations(app, staff_client.user.id, organization.id, 25)
    many = queries_for_page()

    assert few == many
