"""`flask users create`: accounts from the command line, nothing written on bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.directory.models import User
from consult.extensions import db
from tests.helpers import count, login


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(args=["users", "create", *args], input=input)

    return invoke


def user_count(app) -> int:
    with app.app_context():
        return count(User)


def test_creates_an_admin_with_the_given_password(app, run):
    result = run("--email", "Chief@Example.org", "--name", "Chief Admin", "--role", "admin", "--password", "x" * 12)
    assert result.exit_code == 0, result.output
    assert "chief@example.org" in result.output
    with app.app_context():
        user = User.by_email("chief@example.org")
        assert (user.display_name, user.role, user.organization_id) == ("Chief Admin", "admin", None)
        assert user.check_password("x" * 12)
        [created] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).all()
        assert created.actor_id is None
        assert created.target_id == user.id


def test_the_password_is_asked_for_twice_when_omitted(app, run):
    answers = "a secret phrase\na secret phrase\n"
    result = run("--email", "ops@example.org", "--name", "Ops", "--role", "staff", input=answers)
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    with app.app_context():
        assert User.by_email("ops@example.org").check_password("a secret phrase")


def test_the_created_admin_can_sign_in_and_administer(app, run, client):
    run("--email", "first@example.org", "--name", "First", "--role", "admin", "--password", "first admin password")
    login(client, "first@example.org", "first admin password")
    assert client.get("/admin/users/").status_code == 200


def test_organization_is_matched_by_name_ignoring_case(app, run, make_organization):
    organization = make_organization(name="Douane Sénégalaise")
    result = run(
        "--email", "d@example.org", "--name", "Delegate", "--role", "participant",
        "--organization", "DOUANE  sénégalaise", "--password", "long enough pw",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert User.by_email("d@example.org").organization_id == organization.id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "emperor"], "“emperor” is not a role"),
        (["--role", "participant"], "A participant must belong to an organization"),
        (["--role", "participant", "--organization", "Nowhere Inc"], "There is no organization named Nowhere Inc"),
        (["--role", "staff", "--password", "short"], "at least 10 characters"),
        (["--role", "staff", "--email", "not an email"], "Enter a valid email address"),
        (["--role", "staff", "--password", ""], "Enter a password"),
    ],
)
def test_bad_input_exits_non_zero_and_writes_nothing(app, run, args, message):
    base = {"--email": "someone@example.org", "--name": "Someone"}
    for index in range(0, len(args), 2):
        base[args[index]] = args[index + 1]
    flat = [part for pair in base.items() for part in pair]
    before = user_count(app)
    result = run(*flat, input="")
    assert result.exit_code != 0
    assert message in result.output
    assert user_count(app) == before
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_created")) is None


def test_duplicate_email_in_another_case_is_refused_before_any_prompt(app, run, make_user):
    make_user(role="staff", email="taken@example.org")
    before = user_count(app)
    result = run("--email", "TAKEN@example.org", "--name", "Again", "--role", "staff")
    assert result.exit_code != 0
    assert "Another account already uses taken@example.org" in result.output
    assert "Password" not in result.output  # nothing asked when the answer would be thrown away
    assert user_count(app) == before
