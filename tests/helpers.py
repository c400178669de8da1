"""Helpers shared by the tests: making objects, posting forms as a browser would."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from types import SimpleNamespace

from sqlalchemy import event, func, select

from consult.directory.models import Organization, User
from consult.extensions import db

_counter = itertools.count(1)
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token a browser would find in the form at `path`."""
    page = client.get(path)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in {path} (status {page.status_code})"
    return match.group(1)


def submit(client, path: str, data: dict | None = None, form_page: str | None = None, **kwargs):
    """POST `data` to `path` with the CSRF token from `form_page` (default: `path`)."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client, form_page or path))
    return client.post(path, data=payload, **kwargs)


def login(client, email: str, password: str, **extra):
    response = submit(client, "/login", {"email": email, "password": password, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def create_organization(name: str | None = None, country: str = "FR", stakeholder_type: str = "customs", **fields):
    organization = Organization(
        name=name or f"Organization {next(_counter)}",
        country=country,
        stakeholder_type=stakeholder_type,
        **fields,
    )
    organization.name_key = Organization.key_for(organization.name)
    db.session.add(organization)
    db.session.commit()
    return SimpleNamespace(id=organization.id, name=organization.name)


def create_user(
    role: str = "participant",
    password: str | None = None,
    email: str | None = None,
    organization_id: int | None = None,
    **fields,
):
    number = next(_counter)
    if organization_id is None and role == "participant":
        organization_id = create_organization().id
    user = User(
        email=(email or f"person{number}@example.org").lower(),
        display_name=fields.pop("display_name", f"Person {number}"),
        role=role,
        organization_id=organization_id,
        **fields,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return SimpleNamespace(id=user.id, email=user.email, password=password, role=role, organization_id=organization_id)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@contextmanager
def counted_queries(app):
    """The SQL statements run inside the block; no application context stays pushed."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)
