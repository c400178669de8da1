"""SQL statements per request for each page, at two data sizes (they must be equal)."""

from __future__ import annotations

from common import bench_app
from sessions import signed_in
from sqlalchemy import event


def pages(seeded) -> dict[str, str]:
    slug = seeded.consultation_slug
    return {
        "healthz": "/healthz",
        "consultation": f"/consultations/{slug}",
        "document": f"/consultations/{slug}/documents/{seeded.document_id}",
        "survey": f"/consultations/{slug}/surveys/{seeded.survey_id}",
    }


def count(url: str, seeded) -> dict[str, dict]:
    """{page: {"queries": n, "status": code}} as a signed-in delegate, after one warm-up request each."""
    from consult.extensions import db

    app = bench_app(url)
    user_id = seeded.reader_ids[len(seeded.reader_ids) // 2]
    cookie, _token = signed_in(app, [user_id])[user_id]
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    out = {}
    client = app.test_client()
    client.set_cookie("session", cookie, domain="localhost")
    for name, path in pages(seeded).items():
        client.get(path)  # warm-up: per-process caches are not per-request work
        event.listen(engine, "before_cursor_execute", remember)
        try:
            statements.clear()
            response = client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        out[name] = {"queries": len(statements), "status": response.status_code}
    with app.app_context():
        db.engine.dispose()
    return out
