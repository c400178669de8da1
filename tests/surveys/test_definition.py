"""A survey's JSON definition: download, import as a new survey, round trip, and every problem listed by path."""

from __future__ import annotations

import copy
import io
import json

import pytest

from tests.helpers import csrf_token
from tests.surveys.builder_support import (
    audit_events,
    builder_env,
    definition_of,
    survey_ids,
    text,
    url,
)
from tests.surveys.factories import create_survey


@pytest.fixture
def env(app, client_as):
    return builder_env(app, client_as)


EVERY_TYPE = [
    {"type": "short_text", "code": "Q1", "label": {"en": "Name?", "fr": "Nom ?"}, "required": True,
     "settings": {"max_length": 80}, "help": {"en": "Your full name", "es": "Su nombre"}},
    {"type": "long_text", "code": "Q2", "settings": {"max_length": 2000}},
    {"type": "single_choice", "code": "Q3", "options": [("a", {"en": "A", "fr": "A fr"}), ("b", "B")], "other": True,
     "settings": {"display": "dropdown"}, "conditions": [("Q1", "contains", "Ltd")]},
    {"type": "multiple_choice", "code": "Q4", "options": ["x", "y", "z"],
     "settings": {"min_selections": 1, "max_selections": 2}, "conditions": [("Q3", "equals", "other")]},
    {"type": "yes_no", "code": "Q5", "section": 1, "conditions": [("Q4", "contains", "y"), ("Q2", "answered", "")]},
    {"type": "scale", "code": "Q6", "section": 1,
     "settings": {"min": 1, "max": 10, "min_label": {"en": "Low", "fr": "Bas"}, "max_label": {"en": "High"}}},
    {"type": "number", "code": "Q7", "section": 1, "settings": {"min": "0", "max": "12.5", "integer_only": False}},
    {"type": "date", "code": "Q8", "section": 1, "settings": {"min": "2024-01-01", "max": None},
     "conditions": [("Q5", "not_equals", "no")]},
    {"type": "ranking", "code": "Q9", "section": 2, "options": ["p", "q", "r"]},
    {"type": "matrix", "code": "Q10", "section": 2, "rows": ["r1", "r2"], "columns": ["c1", "c2", "c3"]},
    {"type": "file", "code": "Q11", "section": 2, "settings": {"max_bytes": 3 * 1024 * 1024}},
]


@pytest.fixture
def original(app, env):
    with app.app_context():
        return create_survey(env.consultation_id, published=True, sections=3, policy="organization",
                             title={"en": "Border survey", "fr": "Enquête aux frontières"}, questions=EVERY_TYPE).id


def upload(env, content: bytes, filename: str = "survey.json"):
    path = url(env, suffix="import")
    return env.client.post(path, data={
        "csrf_token": csrf_token(env.client, path),
        "definition": (io.BytesIO(content), filename),
    }, content_type="multipart/form-data")


def download(env, survey_id: int) -> dict:
    response = env.client.get(url(env, survey_id, "definition.json"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data())


def test_export_then_import_gives_the_same_survey(app, env, original):
    data = download(env, original)
    assert data["format"] == "consult.survey" and data["version"] == 1
    assert data["sections"][0]["questions"][2]["conditions"] == [
        {"source": "Q1", "operator": "contains", "value": "Ltd"}
    ]

    response = upload(env, json.dumps(data).encode())

    assert response.status_code == 302, text(response)
    [_, imported] = survey_ids(app)
    assert response.headers["Location"].endswith(f"/surveys/{imported}/edit")
    first, second = definition_of(app, original), definition_of(app, imported)
    assert first.pop("published") is True and second.pop("published") is False
    assert second == first
    assert download(env, imported) == data
    [event] = audit_events(app, "survey_imported")
    assert event.target_id == imported and event.data["questions"] == len(EVERY_TYPE)


def test_import_page_and_permissions(app, env, original, client_as):
    assert env.client.get(url(env, suffix="import")).status_code == 200
    participant = client_as("participant")
    assert participant.get(url(env, suffix="import")).status_code == 403
    assert participant.get(url(env, original, "definition.json")).status_code == 403
    path = url(env, suffix="import")
    empty = env.client.post(path, data={"csrf_token": csrf_token(env.client, path)})
    assert empty.status_code == 400
    assert "Choose a .json file." in text(empty)


def problems_of(response) -> str:
    assert response.status_code == 400
    return text(response)


@pytest.fixture
def exported(env, original) -> dict:
    return download(env, original)


FILE_PROBLEMS = [
    (b"{not json", "The file is not valid JSON (line 1, column 2)."),
    (b"\xff\xfe\x00bad", "The file is not UTF-8 text."),
    (b"[1, 2]", "Expected an object"),
    (b"{}", "format: This key is required."),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("content", "message"), FILE_PROBLEMS, ids=[m for _c, m in FILE_PROBLEMS])
def test_files_that_are_not_definitions(app, env, original, content, message):
    body = problems_of(upload(env, content))
    assert message in body
    assert "nothing was imported" in body
    assert survey_ids(app) == [original]


def test_a_file_over_one_megabyte_is_refused(app, env, original, exported):
    exported["intro"] = {"en": "x" * (1024 * 1024)}
    assert "The file is larger than 1 MB." in problems_of(upload(env, json.dumps(exported).encode()))
    assert survey_ids(app) == [original]


def edit(data: dict, change) -> bytes:
    changed = copy.deepcopy(data)
    change(changed)
    return json.dumps(changed).encode()


def q(data, section, index):
    return data["sections"][section]["questions"][index]


def _set(target: dict, key: str, value):
    target[key] = value


DEFINITION_PROBLEMS = [
    (lambda d: _set(q(d, 0, 1), "type", "essay"),
     "sections[0].questions[1].type: Choose a question type from the list."),
    (lambda d: _set(q(d, 1, 0), "code", "Q1"),
     "sections[1].questions[0].code: Another question of this survey already has the code Q1."),
    (lambda d: _set(q(d, 0, 0), "conditions", [{"source": "Q2", "operator": "answered"}]),
     "sections[0].questions[0].conditions[0].source: Q2 comes later in the survey"),
    (lambda d: _set(q(d, 0, 0), "conditions", [{"source": "Q1", "operator": "answered"}]),
     "sections[0].questions[0].conditions[0].source: A question cannot depend on itself."),
    (lambda d: _set(q(d, 0, 1), "conditions", [{"source": "Q99", "operator": "answered"}]),
     "sections[0].questions[1].conditions[0].source: No question has the code Q99."),
    (lambda d: _set(q(d, 0, 3)["conditions"][0], "value", "elsewhere"),
     "sections[0].questions[3].conditions[0].value: Choose one of the answers of the question: a, b, other."),
    (lambda d: _set(q(d, 1, 3)["conditions"][0], "operator", "contains"),
     "sections[1].questions[3].conditions[0].operator: An answer to a question of type “Yes or no” cannot be compared"),
    (lambda d: _set(q(d, 1, 1)["settings"], "max", 7),
     "sections[1].questions[1].settings.max: A scale goes from 1 to 5 or from 1 to 10."),
    (lambda d: _set(q(d, 0, 0)["settings"], "colour", "red"),
     "sections[0].questions[0].settings.colour: A question of type “Short text” has no setting “colour”."),
    (lambda d: _set(q(d, 0, 0)["settings"], "max_length", "long"),
     "sections[0].questions[0].settings.max_length: Enter a whole number."),
    (lambda d: _set(q(d, 1, 2)["settings"], "min", "twelve"),
     "sections[1].questions[2].settings.min: Enter a number, such as 12 or 12.5."),
    (lambda d: _set(q(d, 1, 3)["settings"], "min", "2024-13-01"),
     "sections[1].questions[3].settings.min: Enter a date as YYYY-MM-DD."),
    (lambda d: _set(q(d, 0, 0), "settings", []), "sections[0].questions[0].settings: Settings are a JSON object."),
    (lambda d: _set(q(d, 0, 2)["options"][1], "code", "a"),
     "sections[0].questions[2].options[1].code: The code a is used twice in this list."),
    (lambda d: _set(q(d, 0, 3)["options"][2], "code", "bad code"),
     "sections[0].questions[3].options[2].code: A code has 1 to 64 letters"),
    (lambda d: _set(q(d, 2, 0)["options"][0], "other", True),
     "sections[2].questions[0].options[0].other: Only single and multiple choice questions"),
    (lambda d: _set(q(d, 2, 1), "options", [{"code": "o", "label": {"en": "O"}}]),
     "sections[2].questions[1].options: A question of type “Matrix” has no such list."),
    (lambda d: _set(q(d, 0, 0), "label", {"fr": "Nom ?"}),
     "sections[0].questions[0].label: Enter it in English, the survey's original language."),
    (lambda d: _set(q(d, 0, 0), "label", {"en": "Name?", "de": "Name?"}),
     "sections[0].questions[0].label.de: Unknown language: use en, fr or es."),
    (lambda d: _set(q(d, 0, 0), "required", "yes"), "sections[0].questions[0].required: Expected true or false."),
    (lambda d: _set(q(d, 0, 0), "lable", {"en": "typo"}), "sections[0].questions[0].lable: Unknown key."),
    (lambda d: q(d, 0, 0).pop("code"), "sections[0].questions[0].code: This key is required."),
    (lambda d: _set(d, "response_policy", "everyone"), "response_policy: Use \"person\" or \"organization\"."),
    (lambda d: _set(d, "version", 2), "format: This is not a Consult survey definition"),
    (lambda d: _set(d, "sections", {}), "sections: Expected a list ([…])."),
    (lambda d: _set(d["sections"][0], "title", "Part one"), "sections[0].title: Expected texts by language"),
]


@pytest.mark.parametrize(("change", "message"), DEFINITION_PROBLEMS, ids=[m[:60] for _c, m in DEFINITION_PROBLEMS])
def test_every_problem_is_listed_with_its_path_and_nothing_is_written(app, env, original, exported, change, message):
    body = problems_of(upload(env, edit(exported, change)))
    assert message in body
    assert survey_ids(app) == [original]
    assert audit_events(app, "survey_imported") == []


def test_all_problems_are_listed_at_once(app, env, original, exported):
    def break_three_things(data):
        q(data, 0, 1)["type"] = "essay"
        q(data, 1, 0)["code"] = "Q1"
        q(data, 2, 0)["options"][1]["code"] = "p"

    body = problems_of(upload(env, edit(exported, break_three_things)))
    assert "The file has 4 problems; nothing was imported:" in body
    assert "sections[1].questions[3].conditions[0].source: No question has the code Q5." in body  # Q5 was renamed
    assert "sections[0].questions[1].type" in body
    assert "sections[1].questions[0].code" in body
    assert "sections[2].questions[0].options[1].code" in body
    assert survey_ids(app) == [original]


def test_a_minimal_definition_takes_the_defaults(app, env):
    minimal = {
        "format": "consult.survey", "version": 1, "original_language": "fr",
        "title": {"fr": "Enquête"},
        "sections": [{"title": {"fr": "Partie"}, "questions": [
            {"code": "A", "type": "scale", "label": {"fr": "Note"}},
            {"code": "B", "type": "yes_no", "label": {"fr": "Oui ?"},
             "conditions": [{"source": "A", "operator": "answered"}]},
        ]}],
    }
    response = upload(env, json.dumps(minimal).encode())
    assert response.status_code == 302, text(response)
    [survey_id] = survey_ids(app)
    data = definition_of(app, survey_id)
    assert data["response_policy"] == "person" and data["allow_edit_after_submit"] is True
    assert data["sections"][0]["questions"][0]["settings"] == {"min": 1, "max": 5, "min_label": {}, "max_label": {}}
    assert data["sections"][0]["questions"][1]["conditions"] == [{"source": "A", "operator": "answered", "value": ""}]
    assert data["original_language"] == "fr" and data["published"] is False
