"""Shared by the exports tests (no tests here): a consultation answered in three languages, and ways to read files."""

from __future__ import annotations

import csv
import io
import json
import re
from types import SimpleNamespace

from openpyxl import load_workbook

from consult.extensions import db
from consult.surveys.models import Response
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response

TRICKY_TEXT = "=HYPERLINK(\"http://evil.example\",\"click\")"
RTL_TEXT = "שלום עולם \u202eevil"
EMOJI_TEXT = "Très bien 🎉 — «naïve» café"
CONTROL_TEXT = "line one\r\nline two\ttabbed \x07bell \x1b[31mescape"

QUESTIONS = [
    {"type": "short_text", "code": "Q1", "label": {"en": "Your view", "fr": "Votre avis", "es": "Su opinión"}},
    {"type": "long_text", "code": "Q2", "label": "Details"},
    {"type": "single_choice", "code": "Q3", "label": {"en": "Fruit", "fr": "Fruit", "es": "Fruta"},
     "options": [("apple", {"en": "Apple", "fr": "Pomme", "es": "Manzana"}), ("pear", {"en": "Pear", "fr": "Poire"})],
     "other": True},
    {"type": "multiple_choice", "code": "Q4", "label": "Channels",
     "options": [("post", "Post"), ("air", "Air"), ("sea", "Sea")], "other": True},
    {"type": "yes_no", "code": "Q5", "label": "Agree"},
    {"type": "scale", "code": "Q6", "label": "Satisfaction", "settings": {"min": 1, "max": 5}},
    {"type": "number", "code": "Q7", "label": "Seizures"},
    {"type": "date", "code": "Q8", "label": "Since"},
    {"type": "ranking", "code": "Q9", "label": "Priorities",
     "options": [("r1", "Speed"), ("r2", "Cost"), ("r3", "Risk")]},
    {"type": "matrix", "code": "Q10", "label": "Rate", "rows": [("m1", "Ports"), ("m2", "Airports")],
     "columns": [("c1", "Good"), ("c2", "Poor")]},
    {"type": "file", "code": "Q11", "label": "Attachment"},
]

FULL_ANSWERS = {
    "Q1": TRICKY_TEXT,
    "Q2": CONTROL_TEXT,
    "Q3": {"choice": "other", "other": "-Kiwi"},
    "Q4": {"choices": ["post", "other"], "other": "@rail"},
    "Q5": "yes",
    "Q6": 4,
    "Q7": "12.5",
    "Q8": "2026-03-31",
    "Q9": ["r2", "r1", "r3"],
    "Q10": {"m1": "c1", "m2": "c2"},
    "Q11": {"file_id": 1, "filename": "evidence.pdf"},
}


def make_answered_consultation(app, state: str = "open") -> SimpleNamespace:
    """A consultation of a new group, with a survey of every question type answered by three organizations (en, fr,
    es), and comments of every status on one document."""
    with app.app_context():
        french = create_organization(name="Douane Française", country="FR", stakeholder_type="customs")
        spanish = create_organization(name="Marca Española", country="ES", stakeholder_type="rights_holder")
        mexican = create_organization(name="Envíos México", country="MX", stakeholder_type="intermediary")
        group = create_group(name="Counterfeiting and Piracy Group", organization_ids=[french.id, spanish.id])
        consultation = create_consultation(group_id=group.id, state=state,
                                           title={"en": "E-commerce guidelines", "fr": "Lignes directrices"})
        survey = create_survey(consultation.id, QUESTIONS)
        people = SimpleNamespace(
            fr=create_user(display_name="Élodie Martin", organization_id=french.id, locale="fr"),
            es=create_user(display_name="José Núñez", organization_id=spanish.id, locale="es"),
            mx=create_user(display_name="María Pérez", organization_id=mexican.id),
        )
        responses = SimpleNamespace(
            fr=add_response(survey.id, people.fr.id, "submitted", FULL_ANSWERS, language="fr", consent="named"),
            es=add_response(survey.id, people.es.id, "submitted", {"Q1": RTL_TEXT, "Q3": "pear", "Q4": ["air"],
                                                                   "Q5": "no", "Q9": ["r1", "r2", "r3"]},
                            language="es", consent="anonymous"),
            mx=add_response(survey.id, people.mx.id, "draft", {"Q1": EMOJI_TEXT}, language="en"),
        )
        document = create_document(consultation.id, ["First paragraph.", "Second paragraph."], title="Guidelines")
        comments = SimpleNamespace(
            general=create_comment(consultation.id, people.fr.id, body="Général : très bien.", language="fr"),
            published=create_comment(consultation.id, people.es.id, body=TRICKY_TEXT,
                                     paragraph_id=document.paragraph_ids[1], proposed_wording=RTL_TEXT,
                                     comment_type="editorial", position="support", language="es"),
            pending=create_comment(consultation.id, people.mx.id, body=EMOJI_TEXT, status="pending",
                                   paragraph_id=document.paragraph_ids[0]),
            hidden=create_comment(consultation.id, people.fr.id, body="Hidden one", status="hidden",
                                  paragraph_id=document.paragraph_ids[0], language="fr"),
            withdrawn=create_comment(consultation.id, people.es.id, body="Taken back", status="withdrawn",
                                     paragraph_id=document.paragraph_ids[0], language="es"),
            confidential=create_comment(consultation.id, people.fr.id, body=CONTROL_TEXT,
                                        visibility="confidential", paragraph_id=document.paragraph_ids[1],
                                        language="fr"),
        )
        return SimpleNamespace(
            slug=consultation.slug, id=consultation.id, group_id=group.id, survey_id=survey.id,
            organizations=SimpleNamespace(fr=french, es=spanish, mx=mexican), people=people,
            responses=responses, document=document, comments=comments,
        )


def export_url(data: SimpleNamespace, name: str, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/consultations/{data.slug}/export/{name}" + (f"?{query}" if query else "")


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "CSV must start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def csv_records(response) -> list[dict[str, str]]:
    header, *rows = read_csv(response)
    assert len(set(header)) == len(header), f"duplicate columns: {header}"
    return [dict(zip(header, row, strict=True)) for row in rows]


def read_xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return load_workbook(io.BytesIO(response.get_data()))


def sheet_records(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    header, *rest = rows
    return [dict(zip(header, row, strict=True)) for row in rest]


def cell_text(value: str) -> str:
    """A cell's text as Excel shows it: OOXML stores control characters as escapes such as _x000D_."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda match: chr(int(match.group(1), 16)), value)


def read_json(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return json.loads(response.get_data(as_text=True))


def response_count() -> int:
    return db.session.query(Response).count()
