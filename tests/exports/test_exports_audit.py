"""Taking data out is recorded: who exported what, with which filters."""

from sqlalchemy import select

from consult.audit import AuditEvent
from consult.extensions import db
from tests.factories import create_comment, create_consultation


def test_an_export_is_recorded_in_the_audit_log(app, staff_client, make_user):
    with app.app_context():
        consultation = create_consultation()
        author = make_user()
        create_comment(consultation.id, author.id, body="=cmd|' /C calc'!A0", language="fr")
    response = staff_client.get(f"/consultations/{consultation.slug}/export/comments.csv?language=fr")
    assert response.status_code == 200
    assert "'=cmd" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data_exported"))
        assert event is not None
        assert event.actor_label == staff_client.user.email
        assert event.data["kind"] == "comments" and event.data["format"] == "csv"
        assert event.data["filters"]["language"] in ("fr", ["fr"])


def test_the_compilation_and_the_nonrespondents_list_are_recorded_too(app, staff_client):
    from tests.surveys.factories import create_survey

    with app.app_context():
        consultation = create_consultation()
        survey = create_survey(consultation.id)
    base = f"/consultations/{consultation.slug}"
    assert staff_client.get(f"{base}/export/compilation.docx?lang=es").status_code == 200
    assert staff_client.get(f"{base}/surveys/{survey.id}/nonrespondents.csv").status_code == 200
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "data_exported").order_by(AuditEvent.id)
        ).all()
        assert [(e.data["kind"], e.data["format"]) for e in events] == [("compilation", "docx"),
                                                                         ("nonrespondents", "csv")]
        assert events[0].data["lang"] == "es" and events[1].data["survey"] == survey.id
        assert {e.actor_label for e in events} == {staff_client.user.email}
