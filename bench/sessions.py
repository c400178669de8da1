"""Signed-in sessions for the load generator, and the bodies of the forms it posts.

Signing in through /login for thousands of virtual users would measure the login
rate limit and scrypt, not the pages. Instead each virtual user gets the session
cookie a real sign-in would have produced: signed by the app's own session
interface with the served app's secret, carrying Flask-Login's user id (with
its session version), the session identifier of a client at 127.0.0.1 without
a User-Agent (as wrk sends), and a CSRF token made by Flask-WTF.
"""

from __future__ import annotations

import random
import uuid
from urllib.parse import urlencode

from flask import g, session
from flask_login.utils import _create_identifier
from flask_wtf.csrf import generate_csrf


def signed_in(app, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{user id: (session cookie value, CSRF form token)}."""
    from consult.directory.models import User
    from consult.extensions import db

    serializer = app.session_interface.get_signing_serializer(app)
    out: dict[int, tuple[str, str]] = {}
    with app.app_context():
        users = {u.id: u for u in db.session.query(User).filter(User.id.in_(user_ids))}
        for user_id in user_ids:
            with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
                session["_user_id"] = users[user_id].get_id()
                session["_fresh"] = True
                session["_id"] = _create_identifier()
                g.pop("csrf_token", None)  # g belongs to the app context: forget the previous user's token
                token = generate_csrf()
                out[user_id] = (serializer.dumps(dict(session)), token)
    return out


def submission_bodies(app, seeded, cookies, limit: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(path, cookie, body) of survey submissions, each a fresh (organization, survey) pair.

    Pairs run survey by survey, so every virtual user (one delegate per organization)
    submits for its own organization into a survey it has not answered yet.
    """
    from seed import answer_value

    from consult.directory.models import User
    from consult.extensions import db
    from consult.surveys.models import Response, Survey
    from consult.surveys.validation import as_form_data

    out = []
    with app.app_context():
        organization_of = dict(db.session.query(User.id, User.organization_id).filter(
            User.id.in_(seeded.submitter_ids)))
        for survey_id in seeded.load_survey_ids:
            survey = db.session.get(Survey, survey_id)
            questions = survey.ordered_questions()
            path = f"/consultations/{seeded.load_slug}/surveys/{survey_id}/submit"
            answered = set(db.session.scalars(db.select(Response.owner_key).where(Response.survey_id == survey_id)))
            for user_id in seeded.submitter_ids:
                if f"organization:{organization_of[user_id]}" in answered:
                    continue  # answered by an earlier run on the same (reused) database
                values = {q.id: answer_value(q.question_type, [o.code for o in q.options], rng) for q in questions}
                fields = as_form_data(questions, values)
                cookie, token = cookies[user_id]
                pairs = [("csrf_token", token), ("consent", "named")]
                pairs += [(name, value) for name, values_ in fields.items() for value in values_]
                out.append((path, cookie, urlencode(pairs)))
                if len(out) >= limit:
                    return out
    return out


def comment_bodies(seeded, cookies, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(path, cookie, body) of new comments on paragraphs of the document, by delegates."""
    from seed import LOCALES, _sentence

    path = f"/consultations/{seeded.consultation_slug}/comments"
    out = []
    for index in range(count):
        user_id = seeded.reader_ids[index % len(seeded.reader_ids)]
        cookie, token = cookies[user_id]
        language = LOCALES[index % 3]
        out.append((path, cookie, urlencode({
            "csrf_token": token, "body": _sentence(rng, language, 40), "comment_type": "technical",
            "position": "support", "proposed_wording": "", "language": language, "visibility": "audience",
            "paragraph_id": str(rng.choice(seeded.paragraph_ids)), "parent_id": "",
            "submission_key": uuid.uuid4().hex, "next": "",
        })))
    return out
