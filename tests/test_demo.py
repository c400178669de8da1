from __future__ import annotations

from consult.auth.models import Invitation  # noqa: F401  (all tables known)
from consult.directory.models import Group, Organization, User
from consult.directory.stakeholders import StakeholderType
from consult.extensions import db
from tests.helpers import count, login


def test_demo_data_loads_once_and_prints_every_login(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        sizes = (count(Organization), count(User), count(Group))
        kinds = {o.stakeholder_type for o in db.session.query(Organization)}
        roles = {u.role for u in db.session.query(User)}
    assert kinds == {kind.value for kind in StakeholderType}
    assert roles == {"participant", "moderator", "staff", "admin"}
    assert sizes[2] == 2

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    with app.app_context():
        assert (count(Organization), count(User), count(Group)) == sizes
    for role in ("admin", "staff", "moderator", "participant"):
        assert role in second.output


def test_demo_logins_work(app):
    output = app.test_cli_runner().invoke(args=["demo"]).output
    admin_line = next(line for line in output.splitlines() if line.strip().startswith("admin"))
    _role, email, password = admin_line.split()
    client = app.test_client()
    login(client, email, password)
    assert client.get("/admin/audit/").status_code == 200
