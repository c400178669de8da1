from __future__ import annotations

from consult.extensions import db
from consult.mail import OutboxMessage, send_email


def test_admin_reads_messages_kept_in_the_outbox(app, admin_client):
    with app.app_context():
        send_email("pauline@example.org", "Votre invitation", "Bonjour <b>Pauline</b>,\nvoici le lien.")
        db.session.commit()
        message_id = db.session.query(OutboxMessage.id).scalar()
    listing = admin_client.get("/admin/outbox/").get_data(as_text=True)
    assert "pauline@example.org" in listing and "Votre invitation" in listing
    detail = admin_client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Bonjour &lt;b&gt;Pauline&lt;/b&gt;" in detail


def test_outbox_search_by_recipient(app, admin_client):
    with app.app_context():
        send_email("first@example.org", "One", "1")
        send_email("second@example.org", "Two", "2")
        db.session.commit()
    page = admin_client.get("/admin/outbox/?recipient=second").get_data(as_text=True)
    assert "second@example.org" in page and "first@example.org" not in page


def test_missing_message_is_404_and_outbox_is_admin_only(admin_client, staff_client):
    assert admin_client.get("/admin/outbox/999999").status_code == 404
    assert staff_client.get("/admin/outbox/").status_code == 403
