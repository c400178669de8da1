"""The home page: a welcome for visitors; what is open, upcoming and run by me for signed-in people."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for

from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import utcnow
from tests.consultations.consultation_support import counted_queries, moderator_with_group
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization


def _section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def _slugs(html: str) -> list[str]:
    return [s for s in re.findall(r'href="/consultations/([a-z0-9-]+)"', html) if s != "new"]


@pytest.fixture
def world(app, client_as):
    manager = moderator_with_group(app, client_as, timezone="America/Santiago")
    with app.app_context():
        now = utcnow()
        made = {}
        for slug, state, closes_in in [("later", "open", 10), ("sooner", "open", 2), ("soon-to-open", "scheduled", 20),
                                       ("finished", "closed", None), ("in-preparation", "draft", 14)]:
            made[slug] = create_consultation(group_id=manager.group_id, state=state, slug=slug,
                                             title={"en": slug.replace("-", " ").capitalize()}).id
            if closes_in and state == "open":
                db.session.get(Consultation, made[slug]).closes_at = now + timedelta(days=closes_in, hours=1)
        db.session.commit()
        create_consultation(group_id=create_group().id, state="open", slug="rights-only",
                            audience_mode="restricted", audience_types=["rights_holder"])
        delegate_org = create_organization(stakeholder_type="customs").id
    delegate = client_as("participant", organization_id=delegate_org, timezone="Asia/Tokyo")
    return {"manager": manager, "delegate": delegate}


def test_visitors_get_the_welcome(client):
    page = client.get("/").get_data(as_text=True)
    assert "Written consultations for stakeholder groups" in page
    assert "Open for you" not in page


def test_a_delegate_sees_what_is_open_for_them_soonest_deadline_first_in_their_zone(world):
    page = world["delegate"].get("/").get_data(as_text=True)
    open_now = _section(page, "open-heading")
    assert _slugs(open_now) == ["sooner", "later"]
    assert "Closes in 2 days" in open_now
    assert "(Japan Standard Time)" in open_now
    assert _slugs(_section(page, "upcoming-heading")) == ["soon-to-open"]
    assert "Opens in" in _section(page, "upcoming-heading")
    assert "Consultations you run" not in page
    assert "rights-only" not in page and "in-preparation" not in page


def test_a_moderator_also_sees_the_consultations_they_run_drafts_included(world):
    page = world["manager"].get("/").get_data(as_text=True)
    assert _slugs(_section(page, "running-heading")) == ["sooner", "later", "soon-to-open", "finished",
                                                         "in-preparation"]
    assert 'href="/consultations/new"' in page
    assert "(Chile" in page


def test_someone_with_nothing_open_is_told_so(client_as):
    page = client_as("participant").get("/").get_data(as_text=True)
    assert "No consultation is open to you at the moment." in page
    assert "No consultation is scheduled for you yet." in page


def test_the_home_page_runs_the_same_number_of_queries_for_3_or_30_consultations(app, client_as):
    manager = moderator_with_group(app, client_as)
    counts = []
    for size in (3, 30):
        with app.app_context():
            for state in ("open", "scheduled", "draft"):
                for _ in range(size):
                    create_consultation(group_id=manager.group_id, state=state)
        with counted_queries(app) as statements:
            assert manager.get("/").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_the_main_menu_links_to_consultations_and_moderators_to_moderation(app, client, client_as):
    assert 'href="/consultations/"' not in client.get("/").get_data(as_text=True)
    participant_page = client_as("participant").get("/").get_data(as_text=True)
    assert '<a class="nav-link" href="/consultations/">Consultations</a>' in participant_page
    assert ">Moderation</a>" not in participant_page
    moderator_page = client_as("moderator").get("/").get_data(as_text=True)
    with app.test_request_context():
        if "moderation.queue" in app.view_functions:
            assert f'href="{url_for("moderation.queue")}">Moderation</a>' in moderator_page
        else:
            assert ">Moderation</a>" not in moderator_page
