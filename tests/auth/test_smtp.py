"""With MAIL_SERVER set, invitations really go out by SMTP (to a local aiosmtpd server)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from consult.auth.models import Invitation
from consult.mail import OutboxMessage
from tests.auth.support import INVITATION_LINK, invitations, invite
from tests.helpers import count, login, submit


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_an_invitation_is_delivered_by_smtp_in_the_invitees_language(
    app, make_app, test_catalogs, smtp_server, make_user, make_organization
):
    controller, inbox = smtp_server
    smtp_app = make_app(
        MAIL_SERVER=controller.hostname,
        MAIL_PORT=controller.port,
        MAIL_DEFAULT_SENDER="Consult <secretariat@example.org>",
        BABEL_TRANSLATION_DIRECTORIES=test_catalogs,
    )
    staff = make_user(role="staff")
    organization = make_organization()
    browser = smtp_app.test_client()
    login(browser, staff.email, staff.password)

    response = invite(browser, "Delegue@Example.org", organization_id=organization.id, locale="fr")

    assert response.status_code == 302
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["delegue@example.org"]
    assert envelope.mail_from == "secretariat@example.org"
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["To"] == "delegue@example.org"
    assert message["Subject"] == "Votre invitation à Consult"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Bonjour,")
    path = INVITATION_LINK.search(body).group(1)
    with app.app_context():
        assert count(OutboxMessage) == 0
        assert Invitation.by_token(path.rsplit("/", 1)[1]) is not None
    # The link in the email really opens the invitation.
    assert smtp_app.test_client().get(path).status_code == 200


def test_when_the_mail_server_is_down_nothing_is_saved_and_staff_are_told(
    app, make_app, make_user, make_organization
):
    smtp_app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # nobody listens there
    staff = make_user(role="staff")
    organization = make_organization()
    browser = smtp_app.test_client()
    login(browser, staff.email, staff.password)

    response = invite(browser, "unlucky@example.org", organization_id=organization.id)

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The invitation email could not be sent, so no invitation was saved." in page
    assert 'value="unlucky@example.org"' in page
    with app.app_context():
        assert count(Invitation) == 0
        assert count(OutboxMessage) == 0


class RefusesAfterOne(Inbox):
    async def handle_DATA(self, server, session, envelope):
        if self.envelopes:
            return "554 Transaction failed"
        return await super().handle_DATA(server, session, envelope)


def test_a_bulk_invitation_stopped_by_the_mail_server_keeps_exactly_what_was_sent(
    app, make_app, make_user, make_organization
):
    inbox = RefusesAfterOne()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp_app = make_app(MAIL_SERVER=controller.hostname, MAIL_PORT=controller.port)
        organization = make_organization()
        for number in range(3):
            make_user(password=None, email=f"imported{number}@example.org", organization_id=organization.id)
        staff = make_user(role="staff")
        browser = smtp_app.test_client()
        login(browser, staff.email, staff.password)

        response = submit(browser, "/invitations/passwordless", form_page="/invitations/", follow_redirects=True)
    finally:
        controller.stop()

    assert "The mail server stopped accepting messages after 1 invitation." in response.get_data(as_text=True)
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["imported0@example.org"]]
    assert [invitation.email for invitation in invitations(app)] == ["imported0@example.org"]
