"""Every URL of the application against every kind of person: who gets what is written down here.

The table below is the reference. A route without an entry fails the test, so a new
route cannot ship without someone deciding who may reach it. Columns, in order:
anonymous, participant of the audience (rights holder, author of the comments and of the
survey response), participant of another stakeholder type, participant of another
organization of the audience's type, moderator of another group, moderator of the
consultation's group, staff, admin. 302 for an anonymous person means "to the login page".
"""

from __future__ import annotations

import pytest
from flask import url_for

from tests.helpers import login
from tests.security.matrix_support import (
    PASSWORD,
    PERSONAS,
    SKIPPED_ENDPOINTS,
    audit_actions,
    build_world,
    row_counts,
    url_values,
)
from tests.security.route_world import DERIVED_TABLES

POST_ONLY = "POST only"


def row(*codes: int) -> dict[str, int]:
    assert len(codes) == len(PERSONAS)
    return dict(zip(PERSONAS, codes, strict=True))


EVERYONE = row(200, 200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = row(302, 200, 200, 200, 200, 200, 200, 200)
# The consultation's readers: its audience and its managers; outside the audience it does not exist (404).
READERS = row(302, 200, 404, 200, 404, 200, 200, 200)
# Its managers: the audience is told no (403), people outside it learn nothing (404).
MANAGERS = row(302, 403, 404, 403, 404, 200, 200, 200)
STAFF_ONLY = row(302, 403, 403, 403, 403, 403, 200, 200)
ADMIN_ONLY = row(302, 403, 403, 403, 403, 403, 403, 200)
MODERATORS = row(302, 403, 403, 403, 200, 200, 200, 200)
# Not published, or nothing to show in this world: nobody finds it.
NOWHERE = row(404, 404, 404, 404, 404, 404, 404, 404)

EXPECTED: dict[str, dict[str, int] | str] = {
    "admin.audit_log": ADMIN_ONLY,
    "admin.outbox": ADMIN_ONLY,
    "admin.outbox_message": ADMIN_ONLY,
    # The link itself is the credential: its page is shown to whoever holds it.
    "auth.accept_invitation": EVERYONE,
    "auth.account": SIGNED_IN,
    "auth.change_password": POST_ONLY,
    "auth.invitations": STAFF_ONLY,
    "auth.invite_passwordless": POST_ONLY,
    "auth.login": row(200, 302, 302, 302, 302, 302, 302, 302),  # signed in: sent on
    "auth.logout": POST_ONLY,
    "auth.request_password_reset": EVERYONE,
    "auth.reset_password": EVERYONE,
    "auth.revoke_invitation": POST_ONLY,
    # Only the author edits or withdraws; the consultation's readers are refused, outsiders see nothing.
    "comments.edit": row(302, 200, 404, 403, 404, 403, 403, 403),
    "comments.withdraw": row(302, 200, 404, 403, 404, 403, 403, 403),
    # Anyone who reads it may flag it, except its author.
    "comments.flag": row(302, 403, 404, 200, 404, 200, 200, 200),
    "comments.new": READERS,
    "comments.post": POST_ONLY,
    "comments.revisions": READERS,
    "comments.show": row(302, 302, 404, 302, 404, 302, 302, 302),  # readers are sent to the comment in its thread
    "comments.thread": READERS,
    "consultations.change_state": MANAGERS,
    "consultations.consultation": READERS,
    "consultations.delete_document": POST_ONLY,
    "consultations.document": READERS,
    "consultations.document_diff": READERS,
    "consultations.document_original": READERS,
    "consultations.document_version": READERS,
    "consultations.edit": MANAGERS,
    "consultations.edit_document": MANAGERS,
    "consultations.index": SIGNED_IN,
    "consultations.new": MODERATORS,
    "consultations.new_document": MANAGERS,
    "consultations.new_document_version": MANAGERS,
    "consultations.participation": MANAGERS,
    "consultations.translate_document": MANAGERS,
    "directory.confirm_import": POST_ONLY,
    "directory.deactivate_group": POST_ONLY,
    "directory.deactivate_organization": POST_ONLY,
    "directory.deactivate_user": POST_ONLY,
    "directory.edit_group": ADMIN_ONLY,
    "directory.edit_organization": ADMIN_ONLY,
    "directory.edit_user": ADMIN_ONLY,
    "directory.group": ADMIN_ONLY,
    "directory.groups": ADMIN_ONLY,
    "directory.import_participants": ADMIN_ONLY,
    "directory.import_result": row(302, 403, 403, 403, 403, 403, 403, 302),  # no import under way: back to the form
    "directory.import_template": ADMIN_ONLY,
    "directory.new_group": ADMIN_ONLY,
    "directory.new_organization": ADMIN_ONLY,
    "directory.new_user": ADMIN_ONLY,
    "directory.organization": ADMIN_ONLY,
    "directory.organizations": ADMIN_ONLY,
    "directory.reactivate_group": POST_ONLY,
    "directory.reactivate_organization": POST_ONLY,
    "directory.reactivate_user": POST_ONLY,
    "directory.user": ADMIN_ONLY,
    "directory.users": ADMIN_ONLY,
    "exports.campaign": MANAGERS,
    "exports.campaigns": MANAGERS,
    "exports.compilation_export": MANAGERS,
    "exports.export_comments": MANAGERS,
    "exports.export_index": MANAGERS,
    # An export job belongs to the person who asked for it (staff here), not even to an admin.
    "exports.export_job": row(302, 404, 404, 404, 404, 404, 200, 404),
    "exports.export_job_create": POST_ONLY,
    "exports.export_job_download": row(302, 404, 404, 404, 404, 404, 200, 404),
    "exports.export_responses": MANAGERS,
    "exports.publish_results": POST_ONLY,
    "exports.report": MANAGERS,
    "exports.report_workbook": MANAGERS,
    "exports.results": NOWHERE,  # results not published
    "exports.results_comments": NOWHERE,
    "exports.results_preview": MANAGERS,
    # Managers only; the preview has no comments page while no comment is chosen for publication.
    "exports.results_preview_comments": row(302, 403, 404, 403, 404, 404, 404, 404),
    "exports.unpublish_results": POST_ONLY,
    "moderation.act": POST_ONLY,
    "moderation.comment": MANAGERS,
    "moderation.dismiss_flags": POST_ONLY,
    "moderation.queue": MODERATORS,  # each moderator sees the queue of their own groups
    "moderation.response": MANAGERS,
    "responses.compilation": MANAGERS,
    "responses.consultation_comment_response": MANAGERS,
    "responses.publish": POST_ONLY,
    "responses.unpublish": POST_ONLY,
    "site.healthz": EVERYONE,
    "site.home": EVERYONE,
    "site.set_language": POST_ONLY,
    "surveys.answer": READERS,
    "surveys.autosave": POST_ONLY,
    "surveys.builder": MANAGERS,
    "surveys.builder_definition": MANAGERS,
    "surveys.builder_delete_condition": POST_ONLY,
    "surveys.builder_delete_question": POST_ONLY,
    "surveys.builder_delete_section": POST_ONLY,
    "surveys.builder_delete_survey": POST_ONLY,
    "surveys.builder_details": MANAGERS,
    "surveys.builder_duplicate": POST_ONLY,
    "surveys.builder_edit_question": MANAGERS,
    "surveys.builder_edit_section": MANAGERS,
    "surveys.builder_import": MANAGERS,
    "surveys.builder_move_question": POST_ONLY,
    "surveys.builder_move_section": POST_ONLY,
    "surveys.builder_new_condition": MANAGERS,
    "surveys.builder_new_question": MANAGERS,
    "surveys.builder_new_section": MANAGERS,
    "surveys.builder_new_survey": MANAGERS,
    "surveys.builder_preview": MANAGERS,
    "surveys.builder_publish": POST_ONLY,
    "surveys.builder_unpublish": POST_ONLY,
    # A response's file: its owner and the managers; another organization of the audience learns nothing.
    "surveys.download_file": row(302, 200, 404, 404, 404, 200, 200, 200),
    "surveys.nonrespondent_people": MANAGERS,
    "surveys.nonrespondents": MANAGERS,
    "surveys.nonrespondents_csv": row(302, 403, 404, 403, 404, 403, 200, 200),  # the contact list: staff only
    # One's own submitted response: nobody else has one to print or a receipt for.
    "surveys.print_copy": row(302, 200, 404, 404, 404, 404, 404, 404),
    "surveys.receipt": row(302, 200, 404, 404, 404, 404, 404, 404),
    "surveys.response": MANAGERS,
    "surveys.response_file": MANAGERS,
    "surveys.responses": MANAGERS,
    # Already submitted: the review step sends readers back to the questionnaire (303).
    "surveys.review": row(302, 303, 404, 303, 404, 303, 303, 303),
    "surveys.save": POST_ONLY,
    "surveys.submit": POST_ONLY,
}


@pytest.fixture
def world(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # the export job's file
    return build_world(app)


@pytest.fixture
def clients(app, world):
    """One client per persona, each from its own address so the login rate limit stays out of the way."""
    signed_in = {}
    for number, persona in enumerate(PERSONAS, start=1):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number}"
        if persona != "anonymous":
            login(client, world.users[persona].email, PASSWORD)
        signed_in[persona] = client
    return signed_in


def rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED_ENDPOINTS), key=str)


def path_of(app, rule, world, consultation=None, **overrides) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **(url_values(rule, world, consultation) | overrides))


def status_of(client, method: str, path: str):
    response = client.open(path, method=method)
    # Closing ends a streamed download's context; left open it would lend its signed-in user to the next request.
    response.close()
    return response


def has_a_get_twin(app, rule) -> bool:
    """Another rule answers GET at the same address (a form posting to its own page)."""
    return any(other.rule == rule.rule and "GET" in other.methods for other in app.url_map.iter_rules())


def test_every_route_has_an_entry_in_the_table(app):
    endpoints = {rule.endpoint for rule in rules(app)}
    missing = sorted(endpoints - EXPECTED.keys())
    assert not missing, f"routes without an entry in the authorization table: {missing}"
    stale = sorted(EXPECTED.keys() - endpoints)
    assert not stale, f"entries for routes that no longer exist: {stale}"
    for rule in rules(app):
        post_only = "GET" not in rule.methods
        assert (EXPECTED[rule.endpoint] == POST_ONLY) == post_only, f"{rule.endpoint}: GET is {rule.methods}"


def test_each_persona_gets_what_the_table_says_and_reading_changes_nothing(app, world, clients):
    with app.app_context():
        before, actions_before = row_counts(), audit_actions()
    wrong = []
    for rule in rules(app):
        expected = EXPECTED.get(rule.endpoint)
        if expected is None or expected == POST_ONLY:
            continue
        path = path_of(app, rule, world)
        for persona in PERSONAS:
            response = status_of(clients[persona], "GET", path)
            if response.status_code != expected[persona]:
                wrong.append(f"{rule.endpoint} {path} as {persona}: got {response.status_code}, "
                             f"expected {expected[persona]}")
            elif persona == "anonymous" and response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), (rule.endpoint, response.headers)
    assert not wrong, "\n".join(wrong)
    with app.app_context():
        after, actions_after = row_counts(), audit_actions()
    # Reading writes nothing, except the audit trail of who downloaded personal data and the report's figures kept
    # once worked out (campaign groups and answer tallies; tests/security/test_csrf_everywhere.py lists them).
    assert set(actions_after[len(actions_before):]) <= {"data_exported"}
    kept = dict.fromkeys(("audit_event", *DERIVED_TABLES), 0)
    assert after | kept == before | kept


def test_post_only_routes_refuse_get_and_every_post_without_csrf_changes_nothing(app, world, clients):
    with app.app_context():
        before = row_counts()
    wrong = []
    for rule in rules(app):
        if "POST" not in rule.methods:
            continue
        path = path_of(app, rule, world)
        for persona in PERSONAS:
            if "GET" not in rule.methods and not has_a_get_twin(app, rule):
                got = status_of(clients[persona], "GET", path).status_code
                if got != 405:
                    wrong.append(f"GET {rule.endpoint} as {persona}: got {got}, expected 405")
            got = status_of(clients[persona], "POST", path).status_code
            if got != 400:
                wrong.append(f"POST {rule.endpoint} without CSRF token as {persona}: got {got}, expected 400")
    assert not wrong, "\n".join(wrong)
    with app.app_context():
        assert row_counts() == before


# (endpoint, persona, the ids taken from the other consultation): every swap must come back 404.
SWAPS = [
    ("consultations.document", "staff", ("document_id",)),
    ("consultations.document", "participant_audience", ("document_id",)),
    ("consultations.document_version", "staff", ("document_id",)),
    ("consultations.document_original", "participant_audience", ("document_id",)),
    ("consultations.edit_document", "moderator_this_group", ("document_id",)),
    ("comments.thread", "participant_audience", ("document_id", "thread_key")),
    ("comments.show", "staff", ("comment_id",)),
    ("comments.edit", "participant_audience", ("comment_id",)),
    ("comments.revisions", "participant_audience", ("comment_id",)),
    ("responses.consultation_comment_response", "staff", ("comment_id",)),
    ("surveys.answer", "participant_audience", ("survey_id",)),
    ("surveys.response", "staff", ("response_id",)),
    ("surveys.response", "staff", ("survey_id", "response_id")),
    ("surveys.response_file", "staff", ("file_id",)),
    ("surveys.response_file", "staff", ("response_id", "file_id")),
    ("surveys.download_file", "participant_audience", ("file_id",)),
    ("surveys.download_file", "staff", ("file_id",)),
    ("surveys.builder_edit_question", "staff", ("question_id",)),
    ("surveys.builder_edit_section", "staff", ("section_id",)),
    ("surveys.builder_new_condition", "staff", ("question_id",)),
    # No slug in these: the other consultation is run by group H, which this moderator does not moderate.
    # (Export jobs have no consultation in their URL; the table already shows only their requester gets them.)
    ("moderation.comment", "moderator_this_group", ("comment_id",)),
    ("moderation.response", "moderator_this_group", ("comment_id",)),
]


def test_an_id_of_another_consultation_is_not_found(app, world, clients):
    by_endpoint = {rule.endpoint: rule for rule in rules(app)}
    wrong = []
    for endpoint, persona, swapped in SWAPS:
        rule = by_endpoint[endpoint]
        other = url_values(rule, world, world.other)
        path = path_of(app, rule, world, **{name: other[name] for name in swapped})
        got = status_of(clients[persona], "GET", path).status_code
        if got != 404:
            wrong.append(f"{endpoint} {path} as {persona} (ids {swapped} of another consultation): got {got}")
    assert not wrong, "\n".join(wrong)
