"""The responses export as the secretariat opens it: CSV, XLSX and JSON, every question type, labels and languages."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from consult.extensions import db
from consult.surveys.models import Answer, Response
from tests.exports.test_exports_support import (
    CONTROL_TEXT,
    EMOJI_TEXT,
    RTL_TEXT,
    TRICKY_TEXT,
    cell_text,
    csv_records,
    export_url,
    make_answered_consultation,
    read_json,
    read_xlsx,
    sheet_records,
)
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response


@pytest.fixture
def data(app):
    return make_answered_consultation(app)


def by_respondent(records, key="Respondent"):
    return {r[key]: r for r in records}


def test_csv_has_one_row_per_response_and_a_column_per_question_expanded(app, staff_client, data):
    records = by_respondent(csv_records(staff_client.get(export_url(data, "responses.csv"))))
    assert set(records) == {"Élodie Martin", "José Núñez", "María Pérez"}
    french = records["Élodie Martin"]

    assert french["Organization"] == "Douane Française"
    assert french["Stakeholder type"] == "Customs administration"
    assert french["Country"] == "France"
    assert french["Groups"] == "Counterfeiting and Piracy Group"
    assert french["Language"] == "French"
    assert french["Status"] == "Submitted"
    assert french["Publication consent"] == "Publish with name"
    assert french["Receipt number"].startswith("R-")
    submitted = datetime.fromisoformat(french["Submitted (UTC)"])
    assert submitted.utcoffset().total_seconds() == 0

    # Free text comes back exactly, formulas made inert by a leading quote.
    assert french["Your view"] == "'" + TRICKY_TEXT
    assert french["Details"] == CONTROL_TEXT
    # Single choice with "other": the option, and the text in its own column.
    assert french["Fruit"] == "Other"
    assert french["Fruit: other, please specify"] == "'-Kiwi"
    # Multiple choice: 1/0 per option, the joined choices, the "other" text.
    assert [french[f"Channels: {o}"] for o in ("Post", "Air", "Sea", "Other")] == ["1", "0", "0", "1"]
    assert french["Channels: all choices"] == "Post; Other"
    assert french["Channels: other, please specify"] == "'@rail"
    assert french["Agree"] == "Yes"
    assert french["Satisfaction"] == "4"
    assert french["Seizures"] == "12.5"
    assert french["Since"] == "2026-03-31"
    # Ranking: one column per rank; matrix: one column per row.
    assert [french[f"Priorities: rank {n}"] for n in (1, 2, 3)] == ["Cost", "Speed", "Risk"]
    assert french["Rate: Ports"] == "Good"
    assert french["Rate: Airports"] == "Poor"
    assert french["Attachment"] == "evidence.pdf"

    spanish = records["José Núñez"]
    assert spanish["Your view"] == RTL_TEXT
    assert spanish["Publication consent"] == "Publish anonymously"
    assert spanish["Groups"] == "Counterfeiting and Piracy Group"
    draft = records["María Pérez"]
    assert draft["Your view"] == EMOJI_TEXT
    assert draft["Status"] == "Draft"
    assert draft["Submitted (UTC)"] == ""
    assert draft["Groups"] == ""
    # Unanswered questions are empty, not "0".
    assert draft["Channels: Post"] == ""
    assert draft["Agree"] == ""


def test_columns_follow_the_survey_order(app, staff_client, data):
    response = staff_client.get(export_url(data, "responses.csv", labels="codes"))
    header = response.get_data().decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:12] == ["response_id", "respondent", "email", "organization", "stakeholder_type", "country",
                           "groups", "language", "status", "submitted_at", "consent", "receipt_number"]
    assert header[12:] == [
        "Q1", "Q2", "Q3", "Q3.other_text", "Q4.post", "Q4.air", "Q4.sea", "Q4.other", "Q4", "Q4.other_text",
        "Q5", "Q6", "Q7", "Q8", "Q9.1", "Q9.2", "Q9.3", "Q10.m1", "Q10.m2", "Q11",
    ]


def test_codes_mode_writes_raw_codes(app, staff_client, data):
    records = by_respondent(csv_records(staff_client.get(export_url(data, "responses.csv", labels="codes"))),
                            "respondent")
    french = records["Élodie Martin"]
    assert french["stakeholder_type"] == "customs"
    assert french["country"] == "FR"
    assert french["language"] == "fr"
    assert french["status"] == "submitted"
    assert french["consent"] == "named"
    assert french["Q3"] == "other"
    assert french["Q4"] == "post; other"
    assert french["Q5"] == "yes"
    assert [french["Q9.1"], french["Q9.2"], french["Q9.3"]] == ["r2", "r1", "r3"]
    assert french["Q10.m1"] == "c1"


def test_both_mode_and_another_language(app, staff_client, data):
    rows = csv_records(staff_client.get(export_url(data, "responses.csv", labels="both", lang="fr")))
    header = list(rows[0])
    assert header[1] == "[respondent] Personne ayant répondu"
    assert "[Q1] Votre avis" in header
    spanish = next(r for r in rows if r["[respondent] Personne ayant répondu"] == "José Núñez")
    assert spanish["[Q3] Fruit"] == "[pear] Poire"
    assert spanish["[Q5] Agree"] == "[no] Non"
    assert spanish["[country] Pays"] == "[ES] Espagne"


def test_text_labels_in_spanish_fall_back_to_the_original(app, staff_client, data):
    rows = csv_records(staff_client.get(export_url(data, "responses.csv", lang="es")))
    spanish = next(r for r in rows if "José Núñez" in r.values())
    assert spanish["Su opinión"] == RTL_TEXT
    # "Pear" has no Spanish label: the original (English) is used.
    assert spanish["Fruta"] == "Pear"
    assert spanish["Agree"] == "No"


def test_bad_label_options_are_refused(app, staff_client, data):
    for args in ({"labels": "fancy"}, {"lang": "de"}):
        response = staff_client.get(export_url(data, "responses.csv", **args))
        assert response.status_code == 400
        assert "The export could not be made" in response.get_data(as_text=True)


def test_csv_needs_a_survey_when_there_are_several(app, staff_client, data):
    with app.app_context():
        second = create_survey(data.id, [{"type": "short_text", "code": "S1", "label": "Second"}], title="Second")
    response = staff_client.get(export_url(data, "responses.csv"))
    assert response.status_code == 400
    assert "choose the questionnaire" in response.get_data(as_text=True)

    chosen = csv_records(staff_client.get(export_url(data, "responses.csv", survey=second.id)))
    assert chosen == []
    header = staff_client.get(export_url(data, "responses.csv", survey=second.id)).get_data().decode("utf-8-sig")
    assert header.splitlines()[0].endswith(",Second")

    for bad in ("abc", "999999", "99999999999999999999"):
        response = staff_client.get(export_url(data, "responses.csv", survey=bad))
        assert response.status_code == 400
        assert "Choose a questionnaire of this consultation." in response.get_data(as_text=True)


def test_a_consultation_without_survey_has_no_responses_export(app, staff_client):
    from tests.factories import create_consultation

    with app.app_context():
        consultation = create_consultation()
    response = staff_client.get(f"/consultations/{consultation.slug}/export/responses.csv")
    assert response.status_code == 404
    assert "has no questionnaire" in response.get_data(as_text=True)


def test_xlsx_has_a_summary_sheet_and_one_sheet_per_survey(app, staff_client, data):
    with app.app_context():
        create_survey(data.id, [{"type": "short_text", "code": "S1", "label": "Second"}], title="Questionnaire")
    workbook = read_xlsx(staff_client.get(export_url(data, "responses.xlsx")))
    assert workbook.sheetnames == ["Summary", "1 Questionnaire", "2 Questionnaire"]

    summary = [tuple(row) for row in workbook["Summary"].iter_rows(values_only=True)]
    assert summary == [
        ("Survey", "Status", "Responses"),
        ("Questionnaire", "Draft", 1), ("Questionnaire", "Submitted", 2),
        ("Questionnaire", "Draft", 0), ("Questionnaire", "Submitted", 0),
    ]

    sheet = workbook["1 Questionnaire"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref
    records = by_respondent(sheet_records(sheet))
    french = records["Élodie Martin"]
    # Strings stay strings: the formula is text in the cell, written exactly.
    assert french["Your view"] == TRICKY_TEXT
    assert sheet.cell(row=2, column=13).data_type == "s"
    assert cell_text(french["Details"]) == CONTROL_TEXT
    assert french["Fruit: other, please specify"] == "-Kiwi"
    assert french["Channels: Post"] == 1
    assert french["Seizures"] == 12.5
    assert french["Satisfaction"] == 4
    assert isinstance(french["Submitted (UTC)"], datetime)
    assert records["José Núñez"]["Your view"] == RTL_TEXT
    assert records["María Pérez"]["Your view"] == EMOJI_TEXT
    assert next(iter(workbook["2 Questionnaire"].iter_rows(values_only=True)))[-1] == "Second"


def test_xlsx_summary_counts_follow_the_filters(app, staff_client, data):
    workbook = read_xlsx(staff_client.get(export_url(data, "responses.xlsx", status="submitted")))
    summary = [tuple(row) for row in workbook["Summary"].iter_rows(values_only=True)][1:]
    assert summary == [("Questionnaire", "Draft", 0), ("Questionnaire", "Submitted", 2)]
    assert len(sheet_records(workbook["1 Questionnaire"])) == 2


def test_json_is_the_documented_document(app, staff_client, data):
    response = staff_client.get(export_url(data, "responses.json"))
    assert response.headers["Content-Type"].startswith("application/json")
    assert "attachment" in response.headers["Content-Disposition"]
    document = read_json(response)
    assert document["format"] == "consult-responses"
    assert document["version"] == 1
    assert document["consultation"]["slug"] == data.slug
    assert document["consultation"]["title"]["fr"] == "Lignes directrices"
    (survey,) = document["surveys"]
    assert [q["code"] for q in survey["questions"]] == [f"Q{n}" for n in range(1, 12)]
    fruit = survey["questions"][2]
    assert fruit["type"] == "single_choice"
    assert {"kind": "option", "code": "apple", "label": {"en": "Apple", "fr": "Pomme", "es": "Manzana"},
            "is_other": False} in fruit["options"]

    responses = {r["respondent"]["name"]: r for r in document["responses"]}
    assert [r["id"] for r in document["responses"]] == sorted(r["id"] for r in document["responses"])
    french = responses["Élodie Martin"]
    assert french["organization"] == {"id": data.organizations.fr.id, "name": "Douane Française",
                                      "stakeholder_type": "customs", "country": "FR",
                                      "groups": ["Counterfeiting and Piracy Group"]}
    assert french["status"] == "submitted"
    assert french["consent"] == "named"
    assert french["submitted_at"].endswith("+00:00")
    # Answers are stored values, exactly: no quote added, shapes as documented.
    assert french["answers"]["Q1"] == TRICKY_TEXT
    assert french["answers"]["Q2"] == CONTROL_TEXT
    assert french["answers"]["Q4"] == {"choices": ["post", "other"], "other": "@rail"}
    assert french["answers"]["Q10"] == {"m1": "c1", "m2": "c2"}
    assert responses["José Núñez"]["answers"]["Q1"] == RTL_TEXT
    assert responses["María Pérez"]["answers"] == {"Q1": EMOJI_TEXT}
    assert responses["María Pérez"]["submitted_at"] is None


def test_json_with_no_matching_response_is_still_valid(app, staff_client, data):
    document = read_json(staff_client.get(export_url(data, "responses.json", country="JP")))
    assert document["responses"] == []
    assert document["filters"] == {"country": ["JP"]}


def test_an_answer_of_an_unexpected_shape_is_exported_as_stored(app, staff_client, data):
    from sqlalchemy import select

    from consult.extensions import db
    from consult.surveys.models import Answer

    with app.app_context():
        answers = db.session.scalars(select(Answer).where(Answer.response_id == data.responses.es))
        ranking = next(a for a in answers if a.value == ["r1", "r2", "r3"])
        ranking.value = {"unexpected": True}
        db.session.commit()
    rows = csv_records(staff_client.get(export_url(data, "responses.csv")))
    spanish = next(r for r in rows if r["Respondent"] == "José Núñez")
    assert spanish["Priorities: rank 1"] == '{"unexpected":true}'
    assert spanish["Priorities: rank 2"] == ""


def test_answers_of_an_unexpected_shape_are_written_as_stored(app, staff_client):
    """A value its question does not expect (data from an older version, a bulk load) is kept, not dropped."""
    data = make_answered_consultation(app)
    with app.app_context():
        organization = create_organization(name="Odd shapes", country="FR", stakeholder_type="customs")
        person = create_user(display_name="Odd", organization_id=organization.id)
        response_id = add_response(data.survey_id, person.id, "submitted", {"Q1": "plain"})
        response = db.session.get(Response, response_id)
        odd = {"Q3": ["apple", "pear"], "Q4": "post", "Q6": "=SUM(A1)", "Q7": {"n": 1}, "Q9": {"first": "r1"},
               "Q10": ["c1"], "Q11": "evidence.pdf", "Q2": 42}
        codes = {q.code: q.id for q in response.survey.questions}
        for code, value in odd.items():
            db.session.add(Answer(response_id=response_id, question_id=codes[code], value=value))
        db.session.commit()
    records = list(csv.DictReader(io.StringIO(staff_client.get(export_url(data, "responses.csv", labels="codes"))
                                              .get_data().decode("utf-8-sig"), newline="")))
    row = next(r for r in records if r["respondent"] == "Odd")
    assert json.loads(row["Q3"]) == ["apple", "pear"]
    assert row["Q4.post"] == "post" and row["Q4"] == ""
    assert row["Q6"] == "'=SUM(A1)"  # still inert
    assert json.loads(row["Q7"]) == {"n": 1}
    assert json.loads(row["Q9.1"]) == {"first": "r1"}
    assert json.loads(row["Q10.m1"]) == ["c1"]
    assert row["Q11"] == "evidence.pdf"
    assert row["Q2"] == "42"
