"""The list of consultations: only what the viewer may see, filters, search, pages, bounded queries."""

from __future__ import annotations

import re

import pytest

from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.consultations.consultation_support import counted_queries, moderator_with_group
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, submit


@pytest.fixture
def world(app, client_as):
    """Consultations of every state in two groups, one restricted to rights holders; a customs delegate."""
    manager = moderator_with_group(app, client_as)
    with app.app_context():
        other_group = create_group(name="Customs Group").id
        made = {
            state: create_consultation(group_id=manager.group_id, state=state, slug=f"{state}-one",
                                       title={"en": f"The {state} one"}).slug
            for state in ("draft", "scheduled", "open", "closed", "archived")
        }
        made["other group"] = create_consultation(group_id=other_group, state="open", slug="customs-one",
                                                  title={"en": "Customs matters", "fr": "Questions douanières"}).slug
        made["rights only"] = create_consultation(group_id=manager.group_id, state="open", slug="rights-only",
                                                  audience_mode="restricted", audience_types=["rights_holder"]).slug
        delegate_org = create_organization(stakeholder_type="customs").id
    return {"manager": manager, "delegate": client_as("participant", organization_id=delegate_org),
            "slugs": made, "other_group": other_group}


def _listed(response) -> list[str]:
    found = re.findall(r'href="/consultations/([a-z0-9-]+)"', response.get_data(as_text=True))
    return [slug for slug in found if slug != "new"]


def test_a_delegate_sees_published_consultations_addressed_to_them_open_first(world):
    response = world["delegate"].get("/consultations/")
    assert response.status_code == 200
    # Open ones by closing time (created first, closes first), then upcoming, then closed.
    assert _listed(response) == ["open-one", "customs-one", "scheduled-one", "closed-one"]


def test_a_manager_also_sees_their_drafts_and_restricted_consultations(world):
    listed = _listed(world["manager"].get("/consultations/"))
    assert set(listed) == {"open-one", "customs-one", "rights-only", "scheduled-one", "closed-one", "draft-one"}
    assert listed[-1] == "draft-one"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=open", {"open-one", "customs-one"}),
        ("state=upcoming", {"scheduled-one"}),
        ("state=closed", {"closed-one"}),
        ("language=fr", {"customs-one"}),
        ("q=CUSTOMS", {"customs-one"}),
        ("q=douani%C3%A8res", {"customs-one"}),  # non-ASCII, in the French title
        ("q=summary", {"customs-one", "open-one", "scheduled-one", "closed-one"}),  # summaries too
        ("q=fr", set()),  # the language codes in the stored texts are not searched
        ("q=100%25", set()),  # a wildcard is taken literally
        ("q=open%00", {"open-one"}),  # NUL, which PostgreSQL refuses, is dropped
    ],
)
def test_filters_and_search(world, query, expected):
    response = world["delegate"].get(f"/consultations/?{query}")
    assert response.status_code == 200
    assert set(_listed(response)) == expected


def test_the_group_filter(world):
    response = world["delegate"].get(f"/consultations/?group={world['other_group']}")
    assert _listed(response) == ["customs-one"]


def test_managers_can_list_drafts_and_archived_consultations(world):
    assert _listed(world["manager"].get("/consultations/?state=draft")) == ["draft-one"]
    assert _listed(world["manager"].get("/consultations/?state=archived")) == ["archived-one"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state=draft", "Choose a state from the list."),
        ("state=archived", "Choose a state from the list."),
        ("state=everything", "Choose a state from the list."),
        ("group=abc", "Choose a group from the list."),
        ("group=999999", "Choose a group from the list."),
        ("language=de", "Choose English, French or Spanish."),
        ("q=" + "x" * 201, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_filter_values_are_named_and_answer_400(world, query, message):
    response = world["delegate"].get(f"/consultations/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Some filters could not be used" in page
    assert "draft-one" not in page


def test_the_list_is_paginated(app, world):
    app.config["PAGE_SIZE"] = 2
    try:
        first, second = world["delegate"].get("/consultations/"), world["delegate"].get("/consultations/?page=2")
        assert _listed(first) == ["open-one", "customs-one"]
        assert _listed(second) == ["scheduled-one", "closed-one"]
        assert world["delegate"].get("/consultations/?page=3").status_code == 404
        assert world["delegate"].get("/consultations/?page=0").status_code == 404
    finally:
        app.config["PAGE_SIZE"] = 25


def test_the_list_runs_the_same_number_of_queries_for_3_or_30_consultations(app, client_as):
    manager = moderator_with_group(app, client_as)
    counts = []
    for size in (3, 30):
        with app.app_context():
            for _ in range(size):
                group_id = create_group().id
                create_consultation(group_id=group_id, state="open")
                create_consultation(group_id=manager.group_id, state="draft")
        with counted_queries(app) as statements:
            assert manager.get("/consultations/").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_titles_are_shown_in_the_readers_language_when_translated(app, world):
    with app.app_context():
        consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == "customs-one"))
        consultation.title = LocalizedText({"en": "Customs matters", "fr": "Questions douanières"}, "en")
        db.session.commit()
    submit(world["delegate"], "/language", {"locale": "fr"}, form_page="/")
    page = world["delegate"].get("/consultations/").get_data(as_text=True)
    assert "Questions douanières" in page
    assert "The open one" in page  # not translated: shown in English
