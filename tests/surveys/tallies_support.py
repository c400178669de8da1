"""A survey of every counted question type, and random things people do to it (no tests here).

`Story.step(rng)` does one thing through the real code: submit (first time or again with other
answers), save a draft, withdraw a submitted response, delete one, move it to another organization,
change an organization's stakeholder type, delete an organization, or run a bulk UPDATE. The tally
tests check after every step that the kept counts are right.
"""

from __future__ import annotations

import random

from sqlalchemy import select, update

from consult.directory.models import Organization, User
from consult.directory.organization_service import OrganizationFields, update_organization
from consult.extensions import db
from consult.surveys import answering
from consult.surveys.models import Response, SurveyTallyState
from tests.factories import create_consultation
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey

TYPES = ("customs", "rights_holder", "intermediary", "other")
CHOICES = ["post", "air", "sea"]
RANKED = ["speed", "cost", "risk"]
ROWS = ["r1", "r2"]
COLUMNS = ["low", "mid", "high"]
QUESTIONS = [
    {"type": "short_text", "code": "ST"},
    {"type": "long_text", "code": "LT"},
    {"type": "single_choice", "code": "SC", "options": CHOICES, "other": True},
    {"type": "single_choice", "code": "DD", "options": CHOICES, "settings": {"display": "dropdown"}},
    {"type": "multiple_choice", "code": "MC", "options": CHOICES, "other": True},
    {"type": "yes_no", "code": "YN"},
    {"type": "scale", "code": "SL", "settings": {"min": 1, "max": 5}},
    {"type": "number", "code": "NB"},
    {"type": "date", "code": "DT"},
    {"type": "ranking", "code": "RK", "options": RANKED},
    {"type": "matrix", "code": "MX", "rows": ROWS, "columns": COLUMNS},
]
WORDS = ["customs", "parcel", "risk", "border", "brand", "platform", "courier", "label", "tariff", "origin"]


def random_value(kind: str, rng: random.Random):
    """A well-formed answer of the kind, as the answer form would produce it; None: left unanswered."""
    if rng.random() < 0.2:
        return None
    if kind in ("short_text", "long_text"):
        return " ".join(rng.choices(WORDS, k=rng.randint(1, 5)))
    if kind == "single_choice":
        if rng.random() < 0.2:
            return {"choice": "other", "other": rng.choice(WORDS)}
        return rng.choice(CHOICES)
    if kind == "multiple_choice":
        chosen = sorted(rng.sample(CHOICES, rng.randint(1, 3)))
        if rng.random() < 0.2:
            return {"choices": [*chosen, "other"], "other": rng.choice(WORDS)}
        return chosen
    if kind == "yes_no":
        return rng.choice(("yes", "no"))
    if kind == "scale":
        return rng.randint(1, 5)
    if kind == "number":
        return rng.choice(("0", "7", "12", "-3", "2.5", "1000", "0.25", "12"))
    if kind == "date":
        return f"2026-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    if kind == "ranking":
        return rng.sample(RANKED, len(RANKED))
    return {row: rng.choice(COLUMNS) for row in ROWS}  # matrix


class Story:
    """The world: a consultation, the survey, organizations of every type, people in them and one without."""

    def __init__(self, rng: random.Random) -> None:
        consultation = create_consultation()
        self.slug = consultation.slug
        self.survey = create_survey(consultation.id, [dict(q) for q in QUESTIONS])
        self.admin_id = create_user(role="admin", organization_id=None).id
        self.organization_ids = [
            create_organization(name=f"Org {n}", stakeholder_type=TYPES[n % len(TYPES)]).id for n in range(5)
        ]
        self.user_ids = [create_user(organization_id=rng.choice(self.organization_ids)).id for _ in range(9)]
        self.user_ids.append(create_user(role="participant", organization_id=None, email="alone@example.org").id)
        self.kinds = {q["code"]: q["type"] for q in QUESTIONS}
        self.log: list[str] = []

    # --- helpers ---------------------------------------------------------------------

    def _loaded(self):
        return answering.load_survey(self.slug, self.survey.id)

    def _values(self, rng: random.Random) -> dict[int, object]:
        values = {}
        for code, kind in self.kinds.items():
            value = random_value(kind, rng)
            if value is not None:
                values[self.survey.question_ids[code]] = value
        return values

    def _responses(self, status: str | None = None) -> list[Response]:
        query = select(Response).where(Response.survey_id == self.survey.id).order_by(Response.id)
        if status:
            query = query.where(Response.status == status)
        return list(db.session.scalars(query))

    # --- what people do --------------------------------------------------------------------

    def submit(self, rng: random.Random) -> None:
        user = db.session.get(User, rng.choice(self.user_ids))
        survey = self._loaded()
        response = answering.find_response(survey, user)
        version = response.version if response is not None else 0
        cleaned = answering.Cleaned(values=self._values(rng), errors={})
        consent = rng.choice(("named", "anonymous", "none"))
        answering.submit(survey, user, response, cleaned, consent, version, "en")
        self.log.append(f"submit user {user.id}")

    def draft(self, rng: random.Random) -> None:
        user = db.session.get(User, rng.choice(self.user_ids))
        survey = self._loaded()
        response = answering.find_response(survey, user)
        if response is not None and response.status == "submitted":
            return
        version = response.version if response is not None else 0
        answering.save_draft(survey, user, response, answering.Cleaned(values=self._values(rng), errors={}),
                             version, "fr")
        self.log.append(f"draft user {user.id}")

    def withdraw(self, rng: random.Random) -> None:
        submitted = self._responses("submitted")
        if submitted:
            response = rng.choice(submitted)
            response.status = "draft"
            db.session.commit()
            self.log.append(f"withdraw {response.id}")

    def delete_response(self, rng: random.Random) -> None:
        responses = self._responses()
        if responses:
            response = rng.choice(responses)
            self.log.append(f"delete {response.id}")
            db.session.delete(response)
            db.session.commit()

    def move_response(self, rng: random.Random) -> None:
        responses = self._responses()
        if responses:
            response = rng.choice(responses)
            response.organization_id = rng.choice([*self.organization_ids, None])
            db.session.commit()
            self.log.append(f"move {response.id} to {response.organization_id}")

    def retype_organization(self, rng: random.Random) -> None:
        organization = db.session.get(Organization, rng.choice(self.organization_ids))
        new_type = rng.choice([t for t in TYPES if t != organization.stakeholder_type])
        update_organization(db.session.get(User, self.admin_id), organization,
                            OrganizationFields(organization.name, organization.country, new_type))
        self.log.append(f"retype {organization.id} to {new_type}")

    def delete_organization(self, rng: random.Random) -> None:
        """Its people move to another organization first (users keep one); its responses lose it."""
        if len(self.organization_ids) < 3:
            return
        gone = rng.choice(self.organization_ids)
        self.organization_ids.remove(gone)
        for user in db.session.scalars(select(User).where(User.organization_id == gone)):
            user.organization_id = rng.choice(self.organization_ids)
        db.session.flush()
        db.session.delete(db.session.get(Organization, gone))
        db.session.commit()
        self.log.append(f"delete organization {gone}")

    def bulk_withdraw(self, rng: random.Random) -> None:
        """A statement that bypasses the ORM: the tallies are forgotten and rebuilt on the next report."""
        submitted = self._responses("submitted")
        if submitted:
            response_id = rng.choice(submitted).id
            db.session.execute(update(Response).where(Response.id == response_id).values(status="draft"))
            db.session.commit()
            self.log.append(f"bulk withdraw {response_id}")

    STEPS = (
        (submit, 8), (draft, 3), (withdraw, 1), (delete_response, 1), (move_response, 1),
        (retype_organization, 1), (delete_organization, 1), (bulk_withdraw, 1),
    )

    def step(self, rng: random.Random) -> str:
        actions, weights = zip(*self.STEPS, strict=True)
        action = rng.choices(actions, weights)[0]
        action(self, rng)
        db.session.expire_all()
        return action.__name__


def tallies_built(survey_id: int) -> bool:
    return db.session.get(SurveyTallyState, survey_id) is not None
