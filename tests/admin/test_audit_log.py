from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent, record
from consult.extensions import db
from tests.helpers import submit


def test_admin_reads_sign_ins_and_failures(app, admin_client, make_user):
    user = make_user(email="amina@example.org")
    other = app.test_client()
    submit(other, "/login", {"email": user.email, "password": "wrong password"})
    page = admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "Failed sign-in" in page and "amina@example.org" in page
    assert "Signed in" in page  # the admin's own sign-in


def test_filter_by_action_and_actor(app, admin_client, make_user):
    user = make_user(email="zoe@example.org")
    submit(app.test_client(), "/login", {"email": user.email, "password": user.password})
    page = admin_client.get("/admin/audit/?action=login&actor=zoe@").get_data(as_text=True)
    assert "zoe@example.org" in page
    assert admin_client.user.email not in page.split("<tbody>")[1]


@pytest.mark.parametrize("query", ["action=drop_tables", "since=yesterday", "until=2026-13-45"])
def test_bad_filters_get_a_clear_400(admin_client, query):
    response = admin_client.get(f"/admin/audit/?{query}")
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.get_data(as_text=True)


def test_date_filter_keeps_the_day(admin_client):
    assert admin_client.get("/admin/audit/?since=2020-01-01&until=2099-12-31").status_code == 200


def test_audit_log_is_paginated(app, admin_client):
    with app.app_context():
        for number in range(60):
            record(None, "login_failed", None, email=f"x{number}@example.org")
        db.session.commit()
    first = admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert admin_client.get("/admin/audit/?page=3").status_code == 200
    assert admin_client.get("/admin/audit/?page=9").status_code == 404


def test_audit_events_cannot_be_changed_or_deleted(app):
    with app.app_context():
        record(None, "login_failed", None, email="a@example.org")
        db.session.commit()
        event = db.session.scalar(select(AuditEvent))
        event.action = "login"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(AuditEvent)))
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()


def test_unknown_action_is_a_programming_error(app):
    with app.app_context(), pytest.raises(ValueError, match="Unknown audit action"):
        record(None, "did_something", None)


def test_only_admins_read_the_audit_log(client, staff_client):
    assert client.get("/admin/audit/").status_code == 302
    assert staff_client.get("/admin/audit/").status_code == 403
