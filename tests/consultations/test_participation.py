"""The participation panel: who is in the audience, who has contributed, by stakeholder type, who has not yet."""

from __future__ import annotations

import itertools
import re

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from consult.consultations import extensions
from consult.consultations.models import Consultation
from consult.consultations.queries import audience_organizations_filter
from consult.directory.models import Organization, User
from consult.extensions import db
from tests.consultations.consultation_support import counted_queries, moderator_with_group
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, create_user


@pytest.fixture
def manager(app, client_as):
    return moderator_with_group(app, client_as)


@pytest.fixture
def audience(app, manager):
    """A consultation for the rights holders and intermediaries of one group, with organizations in and out."""
    with app.app_context():
        orgs = {
            "Acme Brands": create_organization(name="Acme Brands", stakeholder_type="rights_holder", country="FR"),
            "Bolt Records": create_organization(name="Bolt Records", stakeholder_type="rights_holder", country="ES"),
            "Cargo Express": create_organization(name="Cargo Express", stakeholder_type="intermediary", country="BE"),
            "Douane": create_organization(name="Douane", stakeholder_type="customs", country="FR"),
            "Elsewhere Ltd": create_organization(name="Elsewhere Ltd", stakeholder_type="rights_holder"),
            "Closed Shop": create_organization(name="Closed Shop", stakeholder_type="rights_holder", active=False),
        }
        ids = {name: org.id for name, org in orgs.items()}
        group = create_group(organization_ids=[ids[n] for n in ("Acme Brands", "Bolt Records", "Cargo Express",
                                                                    "Douane", "Closed Shop")]).id
        slug = create_consultation(group_id=manager.group_id, state="open", audience_mode="restricted",
                                   audience_group_ids=[group], audience_types=["rights_holder", "intermediary"]).slug
    return {"slug": slug, "ids": ids, "group": group}


def _register(monkeypatch, **sources) -> None:
    monkeypatch.setattr(extensions, "_participation_sources", dict(sources))


def test_the_panel_counts_the_audience_and_contributions_by_type(app, manager, audience, monkeypatch):
    ids = audience["ids"]
    # Two sources (comments, answers...): an organization counts once, whatever it did; outsiders do not count.
    _register(monkeypatch,
              comments=lambda consultation: {ids["Acme Brands"]: 3, ids["Douane"]: 1, ids["Bolt Records"]: 0},
              surveys=lambda consultation: {ids["Acme Brands"]: 1, ids["Cargo Express"]: 2})
    response = manager.get(f"/consultations/{audience['slug']}/participation")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>\s*<td class="text-end">(\d+)</td>\s*'
                      r'<td class="text-end">(\d+)</td>\s*<td class="text-end">([^<]+)</td>', page)
    assert rows == [
        ("Rights holder", "2", "1", "50%"),
        ("Intermediary", "1", "1", "100%"),
        ("All types", "3", "2", "67%"),
    ]
    missing = page[page.index('id="missing-heading"'):]
    assert "Bolt Records" in missing and "Spain" in missing
    for name in ("Acme Brands", "Cargo Express", "Douane", "Elsewhere Ltd", "Closed Shop"):
        assert name not in missing


def test_with_no_source_registered_nobody_has_contributed(app, manager, audience, monkeypatch):
    _register(monkeypatch)
    page = manager.get(f"/consultations/{audience['slug']}/participation").get_data(as_text=True)
    assert "All types" in page and "0%" in page
    missing = page[page.index('id="missing-heading"'):]
    assert all(name in missing for name in ("Acme Brands", "Bolt Records", "Cargo Express"))


def test_a_public_consultation_is_addressed_to_every_active_organization(app, manager, monkeypatch):
    _register(monkeypatch)
    with app.app_context():
        create_organization(name="Active One")
        create_organization(name="Dormant One", active=False)
        slug = create_consultation(group_id=manager.group_id, state="open").slug
    page = manager.get(f"/consultations/{slug}/participation").get_data(as_text=True)
    assert "Active One" in page
    assert "Dormant One" not in page


def test_only_managers_see_the_panel(app, manager, audience, client_as):
    path = f"/consultations/{audience['slug']}/participation"
    member = client_as("participant", organization_id=audience["ids"]["Acme Brands"])
    outsider = client_as("participant", organization_id=audience["ids"]["Elsewhere Ltd"])
    assert member.get(path).status_code == 403
    assert outsider.get(path).status_code == 404
    assert moderator_with_group(app, client_as).get(path).status_code == 404
    assert client_as("staff").get(path).status_code == 200


def test_the_list_of_those_who_have_not_contributed_is_paginated_with_bounded_queries(app, manager, monkeypatch):
    _register(monkeypatch)
    app.config["PAGE_SIZE"] = 5
    try:
        counts = []
        with app.app_context():
            slug = create_consultation(group_id=manager.group_id, state="open").slug
        for size in (3, 30):
            with app.app_context():
                for number in range(size):
                    create_organization(name=f"Org {size:02d}-{number:02d}")
            with counted_queries(app) as statements:
                assert manager.get(f"/consultations/{slug}/participation").status_code == 200
            counts.append(len(statements))
        assert counts[0] == counts[1]
        second = manager.get(f"/consultations/{slug}/participation?page=2").get_data(as_text=True)
        assert "Page 2 of 7, 33 in all" in second
    finally:
        app.config["PAGE_SIZE"] = 25


def test_the_audience_query_agrees_with_in_audience(app):
    """For every consultation kind and every person with an organization, the two rules give the same answer."""
    with app.app_context():
        customs_in = create_organization(stakeholder_type="customs").id
        rights_in = create_organization(stakeholder_type="rights_holder").id
        rights_out = create_organization(stakeholder_type="rights_holder").id
        inactive = create_organization(stakeholder_type="rights_holder", active=False).id
        group = create_group(organization_ids=[customs_in, rights_in, inactive]).id
        other_group = create_group(organization_ids=[rights_out]).id
        people = [create_user(organization_id=o).id for o in (customs_in, rights_in, rights_out, inactive)]
        for mode, groups, types in itertools.product(
            ["public", "restricted"], [(), (group,), (group, other_group)], [(), ("rights_holder",), ("customs",)]
        ):
            create_consultation(group_id=group, state="open", audience_mode=mode, audience_group_ids=groups,
                                audience_types=types)
        for consultation in db.session.scalars(select(Consultation)):
            in_audience = set(db.session.scalars(
                select(Organization.id).where(audience_organizations_filter(consultation))))
            for person in (db.session.get(User, i) for i in people):
                if person.organization.active:
                    assert consultation.in_audience(person) == (person.organization_id in in_audience)
                else:
                    assert person.organization_id not in in_audience
            assert not consultation.in_audience(AnonymousUserMixin())
