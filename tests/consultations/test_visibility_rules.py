"""Each visibility method and its SQL twin agree, for every kind of person and consultation."""

from __future__ import annotations

import itertools

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from consult.comments.models import Comment
from consult.comments.threads import known_for
from consult.consultations.models import Consultation
from consult.directory.models import Organization, User
from consult.extensions import db
from tests.factories import create_comment, create_consultation, create_group
from tests.helpers import create_organization, create_user


@pytest.fixture
def world(app):
    """Organizations of two types in and out of a group, people of every role, consultations of every kind."""
    with app.app_context():
        customs_in = create_organization(stakeholder_type="customs").id
        rights_in = create_organization(stakeholder_type="rights_holder").id
        rights_out = create_organization(stakeholder_type="rights_holder").id
        inactive_org = create_organization(stakeholder_type="rights_holder", active=False).id
        moderator = create_user(role="moderator", password=None).id
        other_moderator = create_user(role="moderator", password=None).id
        group = create_group(organization_ids=[customs_in, rights_in, inactive_org], moderator_ids=[moderator]).id
        other_group = create_group(organization_ids=[rights_out], moderator_ids=[other_moderator]).id

        people = {
            "customs in group": create_user(organization_id=customs_in).id,
            "rights holder in group": create_user(organization_id=rights_in).id,
            "rights holder outside": create_user(organization_id=rights_out).id,
            "member of inactive org": create_user(organization_id=inactive_org).id,
            "inactive user": create_user(organization_id=rights_in, active=False).id,
            "moderator of the group": moderator,
            "moderator of another group": other_moderator,
            "staff": create_user(role="staff").id,
            "admin": create_user(role="admin").id,
        }
        consultations = []
        for state, mode, groups, types in itertools.product(
            ["draft", "scheduled", "open", "closed", "archived"],
            ["public", "restricted"],
            [(), (group,), (other_group,)],
            [(), ("rights_holder",), ("customs", "intermediary")],
        ):
            if mode == "public" and (groups or types):
                continue
            consultations.append(
                create_consultation(group_id=group, state=state, audience_mode=mode,
                                    audience_group_ids=groups, audience_types=types).id
            )
        return {"people": people, "consultations": consultations}


def _personas(people):
    yield "anonymous", AnonymousUserMixin()
    for name, user_id in people.items():
        yield name, db.session.get(User, user_id)


def test_consultation_visible_to_and_visible_filter_agree(app, world):
    with app.app_context():
        for name, user in _personas(world["people"]):
            by_method = {c.id for c in db.session.scalars(select(Consultation)) if c.visible_to(user)}
            by_query = set(db.session.scalars(select(Consultation.id).where(Consultation.visible_filter(user))))
            assert by_method == by_query, name


def test_consultation_can_manage_and_managed_filter_agree(app, world):
    with app.app_context():
        for name, user in _personas(world["people"]):
            by_method = {c.id for c in db.session.scalars(select(Consultation)) if c.can_manage(user)}
            by_query = set(db.session.scalars(select(Consultation.id).where(Consultation.managed_filter(user))))
            assert by_method == by_query, name


def test_the_rules_say_what_a_person_expects(app, world):
    with app.app_context():
        people = dict(_personas(world["people"]))
        all_ids = set(world["consultations"])

        def visible(name):
            return {c.id for c in db.session.scalars(select(Consultation)) if c.visible_to(people[name])}

        assert visible("anonymous") == set()
        assert visible("inactive user") == set()
        assert visible("staff") == visible("admin") == visible("moderator of the group") == all_ids
        drafts = set(db.session.scalars(select(Consultation.id).where(Consultation.published_at.is_(None))))
        for name in ("customs in group", "rights holder in group", "rights holder outside"):
            assert not visible(name) & drafts, name
        public_published = set(db.session.scalars(select(Consultation.id).where(
            Consultation.audience_mode == "public", Consultation.published_at.is_not(None))))
        assert visible("rights holder outside") == public_published | set(db.session.scalars(
            select(Consultation.id).where(Consultation.published_at.is_not(None), Consultation.audience_mode
                                          == "restricted")
        )) & {c.id for c in db.session.scalars(select(Consultation)) if c.in_audience(people["rights holder outside"])}
        # A member of a deactivated organization sees only what is public.
        assert visible("member of inactive org") == public_published
        # A restricted "rights holders only" consultation is hidden from customs even inside the group.
        rights_only = {c.id for c in db.session.scalars(select(Consultation))
                       if c.is_restricted and c.audience_types == ["rights_holder"] and c.published_at}
        assert rights_only and not rights_only & visible("customs in group")
        assert rights_only & visible("rights holder in group")


def test_comment_visible_to_and_visible_filter_agree(app, world):
    with app.app_context():
        people = world["people"]
        authors = [people["customs in group"], people["rights holder in group"]]
        for consultation_id in world["consultations"][::3]:
            for author_id, status, visibility in itertools.product(
                authors,
                ["pending", "published", "rejected", "hidden", "withdrawn"],
                ["audience", "confidential"],
            ):
                create_comment(consultation_id, author_id, status=status, visibility=visibility)
        for name, user in _personas(people):
            by_method = {c.id for c in db.session.scalars(select(Comment)) if c.visible_to(user)}
            by_query = set(db.session.scalars(select(Comment.id).where(Comment.visible_filter(user))))
            assert by_method == by_query, name
            if name == "rights holder outside":
                assert all(c.status == "published" and c.visibility == "audience"
                           for c in db.session.scalars(select(Comment).where(Comment.visible_filter(user))))
            # Pages pass what they know of the viewer and one consultation: the rule gives the same answers.
            for consultation in db.session.scalars(select(Consultation)):
                known = known_for(consultation, user)
                in_it = Comment.consultation_id == consultation.id
                by_method = {c.id for c in db.session.scalars(select(Comment).where(in_it))
                             if c.visible_to(user, **known)}
                readable = Comment.visible_filter(user, **known)
                by_query = set(db.session.scalars(select(Comment.id).where(in_it, readable)))
                assert by_method == by_query, (name, consultation.slug)
                assert by_method == {c.id for c in db.session.scalars(select(Comment).where(in_it))
                                     if c.visible_to(user)}, (name, consultation.slug)
                placeholders = {c.id for c in db.session.scalars(select(Comment).where(in_it))
                                if c.shows_placeholder_to(user)}
                assert placeholders == set(db.session.scalars(
                    select(Comment.id).where(in_it, Comment.placeholder_filter(user, **known)))), name


def test_organization_of_an_author_is_kept_even_if_they_move(app, world):
    with app.app_context():
        author = db.session.get(User, world["people"]["customs in group"])
        comment_id = create_comment(world["consultations"][0], author.id)
        author.organization_id = db.session.scalar(select(Organization.id).where(
            Organization.stakeholder_type == "rights_holder"))
        db.session.commit()
        assert db.session.get(Comment, comment_id).organization.stakeholder_type == "customs"
