"""Every state-changing route refuses a request without a valid CSRF token, and no GET changes anything.

Both tests walk the whole url_map, so a route added later is covered without editing this file.
"""

from __future__ import annotations

from consult.extensions import csrf, db
from tests.helpers import csrf_token
from tests.security.route_world import DERIVED_TABLES, changed_counts, concrete_urls, people, table_counts

STATE_CHANGING_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Views that accept a request without a CSRF token, each with the reason. The health check only answers GET
# (never checked anyway); it is exempt so a load balancer's probe never depends on a session.
CSRF_EXEMPT_VIEWS = {
    "consult.site.views.healthz": "GET-only health probe for load balancers",
}

# GET pages allowed to write, with the only tables they may add rows to, how many, and the reason.
# Taking personal data out is itself a fact to keep: the streamed exports record who downloaded what, with which
# filters, in the audit log (tests/exports/test_exports_audit.py). That row records the read; it changes nothing
# any page shows apart from the audit log itself. Nothing else may write on GET (no claimed comment drafts, no
# response created by opening a questionnaire, no audit row for merely viewing a page).
AUDITED_DOWNLOAD = (("audit_event",), 1, "downloading personal data is recorded in the audit log")
# Campaign groups are derived from the texts and kept until a text changes (consult/exports/campaign_analysis.py):
# the first page to need them after a change stores them. A cache, not a change anyone can see.
KEPT_CAMPAIGNS = (("campaign_analysis",), 1, "campaign groups worked out from the texts are kept until a text changes")
KEPT_REPORT_FIGURES = (DERIVED_TABLES, None, "campaign groups and answer tallies derived from the answers are kept")
GET_WRITES_ALLOWED: dict[str, tuple[tuple[str, ...], int | None, str]] = {
    "exports.export_comments": AUDITED_DOWNLOAD,
    "exports.export_responses": AUDITED_DOWNLOAD,
    "exports.compilation_export": AUDITED_DOWNLOAD,
    "surveys.nonrespondents_csv": AUDITED_DOWNLOAD,
    "exports.report": KEPT_REPORT_FIGURES,
    "exports.report_workbook": KEPT_REPORT_FIGURES,
    "exports.campaigns": KEPT_CAMPAIGNS,
    "exports.campaign": KEPT_CAMPAIGNS,
}


def writes_allowed(endpoint: str, changed: dict[str, tuple[int, int]]) -> bool:
    """The rows a GET of `endpoint` added are what GET_WRITES_ALLOWED lets it add (nothing, for any other page)."""
    tables, rows, _reason = GET_WRITES_ALLOWED.get(endpoint, ((), 0, ""))
    return all(
        table in tables and (after - before == rows if rows is not None else after > before)
        for table, (before, after) in changed.items()
    )


def test_only_the_listed_views_are_exempt_from_csrf(app):
    assert csrf._exempt_views == set(CSRF_EXEMPT_VIEWS)
    assert csrf._exempt_blueprints == set()


def test_every_state_changing_route_refuses_a_missing_or_wrong_token(app, client_as):
    scene = people(app, client_as)
    tokens = {
        "no token": None,
        "made-up token": "not-a-real-token",
        # Genuine and correctly signed, but issued to another browser's session.
        "another session's token": csrf_token(app.test_client(), "/login"),
    }
    checked, failures = 0, []
    for method in STATE_CHANGING_METHODS:
        for endpoint, path in concrete_urls(app, scene.world, method):
            for name, token in tokens.items():
                data = {"body": "Changed", "name": "Changed", "locale": "fr"}
                headers = {}
                if token is not None:
                    data["csrf_token"] = token
                    headers["X-CSRFToken"] = token
                with app.app_context():
                    before = table_counts()
                response = scene.admin.open(path, method=method, data=data, headers=headers)
                with app.app_context():
                    changed = changed_counts(before, table_counts())
                refused = response.status_code == 400 and "Your form expired" in response.get_data(as_text=True)
                if not refused or changed:
                    failures.append(f"{method} {path} ({endpoint}), {name}: {response.status_code}, changed {changed}")
                checked += 1
    assert not failures, "\n".join(failures)
    assert checked >= 3 * 70  # the walk really covered the application's forms
    # Refused posts (logout among them) left the admin signed in and the interface in English.
    page = scene.admin.get("/account")
    assert page.status_code == 200 and 'lang="en"' in page.get_data(as_text=True)


def _get_everything(app, client, urls) -> list[str]:
    failures = []
    for endpoint, path in urls:
        with app.app_context():
            before = table_counts()
        response = client.get(path)
        with app.app_context():
            changed = changed_counts(before, table_counts())
            db.session.remove()
        if response.status_code >= 500:
            failures.append(f"GET {path} ({endpoint}): {response.status_code}")
        if changed and not writes_allowed(endpoint, changed):
            failures.append(f"GET {path} ({endpoint}) wrote rows: {changed}")
    return failures


def test_no_get_changes_the_database(app, client_as):
    scene = people(app, client_as)
    urls = concrete_urls(app, scene.world, "GET")
    assert len(urls) >= 90
    failures = []
    for who, client in (("admin", scene.admin), ("participant", scene.participant), ("anonymous", app.test_client())):
        failures += [f"{who}: {failure}" for failure in _get_everything(app, client, urls)]
    assert not failures, "\n".join(failures)
