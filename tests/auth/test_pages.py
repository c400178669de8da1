"""Every auth page keeps the house rules: one heading 1, no inline style or script (the CSP forbids them)."""

from __future__ import annotations

import re

from tests.auth.support import invitation_path

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")


def test_auth_pages_have_one_h1_and_nothing_inline(app, staff_client, make_organization, client):
    link = invitation_path(app, staff_client, "a@example.org", make_organization().id)
    pages = [
        (client, link),
        (client, "/invitations/accept/unknown-token"),
        (client, "/password/reset"),
        (client, "/password/reset/unknown-token"),
        (staff_client, "/account"),
        (staff_client, "/invitations/"),
    ]
    for browser, path in pages:
        page = browser.get(path).get_data(as_text=True)
        assert page.count("<h1") == 1, path
        assert "style=" not in page, path
        assert not INLINE_SCRIPT.search(page), path
