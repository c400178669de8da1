"""Build the live database: its schema by the migrations, then one consultation and its people.

Run in a process of its own (`python -m tests.concurrency.seed URL PARTICIPANTS PER_ORGANIZATION SOLO_EVERY`),
so the test process keeps a single application; prints the world as JSON on its last line. Participants
0, SOLO_EVERY, 2 * SOLO_EVERY ... are alone in their organization (nobody else writes their response); the
others share organizations, PER_ORGANIZATION people each.
"""

from __future__ import annotations

import json
import sys

from flask_migrate import upgrade

from config import TestConfig
from consult import create_app
from consult.directory.models import User
from consult.extensions import db
from tests.concurrency.live import PASSWORD
from tests.factories import create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey

QUESTIONS = [
    {"type": "short_text", "code": "NAME", "label": "Name of the administration", "required": True},
    {"type": "long_text", "code": "VIEW", "label": "Your view", "required": True},
]


def build(database_url: str, participants: int, per_organization: int, solo_every: int) -> dict:
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        moderator = create_user(role="moderator", password=PASSWORD, email="moderator@live.example")
        group = create_group("Live group", moderator_ids=[moderator.id])
        consultation = create_consultation(group_id=group.id, state="open", slug="live-consultation")
        document = create_document(consultation.id, paragraphs=[f"Paragraph {n}." for n in range(1, 11)])
        survey = create_survey(consultation.id, questions=QUESTIONS, policy="organization",
                               allow_edit_after_submit=True)
        # One cheap hash for everybody: the same password, hashed once.
        password_hash = db.session.get(User, moderator.id).password_hash
        solo = set(range(0, participants, solo_every))
        shared = [create_organization(name=f"Live organization {n:03d}").id
                  for n in range(-(-(participants - len(solo)) // per_organization))]
        people = []
        for number in range(participants):
            if number in solo:
                organization_id = create_organization(name=f"Live solo organization {number:03d}").id
            else:
                organization_id = shared[(number - len([s for s in solo if s < number])) // per_organization]
            user = User(email=f"participant{number:03d}@live.example", display_name=f"Participant {number:03d}",
                        role="participant", organization_id=organization_id, password_hash=password_hash)
            db.session.add(user)
            people.append(user)
        db.session.commit()
        world = {
            "slug": consultation.slug,
            "survey_id": survey.id,
            "question_ids": survey.question_ids,
            "paragraph_ids": document.paragraph_ids,
            "moderator": moderator.email,
            "participants": [
                {"id": user.id, "email": user.email, "organization_id": user.organization_id} for user in people
            ],
        }
        db.session.remove()
        db.engine.dispose()
    return world


if __name__ == "__main__":
    url, count, per, solo_every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sys.stdout.write("\n" + json.dumps(build(url, count, per, solo_every)) + "\n")
