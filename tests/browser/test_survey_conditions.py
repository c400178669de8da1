"""With JavaScript: questions hide and show as people answer, and the draft is saved when the page is left."""

from __future__ import annotations

import time

from tests.browser.conftest import sign_in
from tests.surveys.test_answer_support import make_member, make_world, response_of

QUESTIONS = [
    {"type": "yes_no", "code": "Q1", "label": "Do you seize goods?"},
    {"type": "multiple_choice", "code": "Q2", "label": "Which goods?",
     "options": [("w", "Watches"), ("m", "Medicines")], "conditions": [("Q1", "equals", "yes")]},
    {"type": "long_text", "code": "Q3", "label": "Tell us about medicines", "conditions": [("Q2", "contains", "m")]},
]


def _sign_in(page, base: str, person) -> None:
    sign_in(page, base, person.email, person.password)


def test_questions_follow_their_conditions_and_the_draft_is_saved_on_leaving(app, live_server, page):
    world = make_world(app, questions=QUESTIONS)
    person = make_member(app)
    _sign_in(page, live_server, person)
    page.goto(live_server + world.url)
    q1, q2, q3 = (world.q[code] for code in ("Q1", "Q2", "Q3"))

    assert page.is_hidden(f"#question-{q2}") and page.is_hidden(f"#question-{q3}")
    page.check(f"#q{q1}-yes")
    assert page.is_visible(f"#question-{q2}") and page.is_hidden(f"#question-{q3}")
    page.check(f"#q{q2}-2")  # Medicines
    assert page.is_visible(f"#question-{q3}")
    page.fill(f"#q{q3}", "Counterfeit insulin.")
    page.check(f"#q{q1}-no")
    assert page.is_hidden(f"#question-{q2}") and page.is_hidden(f"#question-{q3}")
    page.check(f"#q{q1}-yes")

    page.goto(live_server + "/")  # leaving the page saves the draft
    deadline = time.monotonic() + 5
    response = None
    while time.monotonic() < deadline:
        response = response_of(app, world.survey.id)
        if response is not None:
            break
        time.sleep(0.1)
    assert response is not None, "the draft was not saved when the page was left"
    assert response.answers == {q1: "yes", q2: ["m"], q3: "Counterfeit insulin."}

    page.goto(live_server + world.url)
    assert page.input_value(f"#q{q3}") == "Counterfeit insulin."
    assert page.is_visible(f"#question-{q3}")
