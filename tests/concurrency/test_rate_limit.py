"""The login rate limit is one count for all instances: they keep it in the shared Redis."""

from __future__ import annotations

import pytest

from tests.concurrency import live

pytestmark = pytest.mark.postgres

LIMIT = 5


def test_wrong_passwords_are_counted_across_both_instances(live_world, start_pair):
    email = live_world.participants[-1]["email"]
    with start_pair(f"{LIMIT} per minute", "limit") as instances:
        browser = live.Browser(instances)
        try:
            # Alternating instances: A, B, A, B ... each instance alone sees only half of the attempts.
            statuses = [browser.login(attempt, email, password=f"wrong {attempt}").status_code
                        for attempt in range(LIMIT + 3)]
            assert statuses == [401] * LIMIT + [429] * 3, statuses
            # The right password is refused too while the limit holds, on either instance.
            assert [browser.login(side, email).status_code for side in (0, 1)] == [429, 429]
            page = browser.get(1, "/login")
            assert page.status_code == 200
            assert 'name="email"' in page.text
        finally:
            browser.close()
