"""Shared set-up for the working-document tests: people around a consultation, .docx files, query counts."""

from __future__ import annotations

import io
from types import SimpleNamespace

import docx
from sqlalchemy import event

from consult.extensions import db
from tests.factories import create_consultation, create_document, create_group
from tests.helpers import create_organization


def setting(app, client_as, state: str = "open", paragraphs=None, translations=None, restricted: bool = True):
    """A consultation run by `moderator`, addressed to `member`'s organization (not `outsider`'s), with a document."""
    moderator = client_as("moderator")
    with app.app_context():
        member_org = create_organization(stakeholder_type="rights_holder").id
        outsider_org = create_organization(stakeholder_type="customs").id
    member = client_as("participant", organization_id=member_org)
    outsider = client_as("participant", organization_id=outsider_org)
    with app.app_context():
        group = create_group(organization_ids=[member_org], moderator_ids=[moderator.user.id]).id
        consultation = create_consultation(
            group_id=group,
            state=state,
            audience_mode="restricted" if restricted else "public",
            audience_group_ids=[group] if restricted else (),
        )
        document = create_document(consultation.id, paragraphs=paragraphs, translations=translations)
    base = f"/consultations/{consultation.slug}/documents/{document.id}"
    return SimpleNamespace(
        moderator=moderator,
        member=member,
        outsider=outsider,
        consultation=consultation,
        document=document,
        base=base,
        new_url=f"/consultations/{consultation.slug}/documents/new",
    )


def docx_bytes(build) -> bytes:
    """A real .docx: `build(document)` adds the content with python-docx."""
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def count_queries(app, call) -> tuple[object, int]:
    """Run `call()` (a request) and count the SQL statements it sends."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return result, len(statements)
