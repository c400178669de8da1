"""Shared set-up for the answering tests: a survey with every question type, and posting its form."""

from __future__ import annotations

import html
import io
import re
import zipfile
from types import SimpleNamespace

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from consult.extensions import db
from consult.surveys.models import Answer, Response
from tests.factories import create_consultation
from tests.helpers import (
    CSRF_PATTERN,
    counted_queries,  # noqa: F401  (re-exported for the tests here)
    create_user,
)
from tests.surveys.factories import create_survey

EVERY_TYPE = [
    {"type": "short_text", "code": "NAME", "label": {"en": "Name of the administration",
                                                     "fr": "Nom de l'administration",
                                                     "es": "Nombre de la administración"}, "required": True},
    {"type": "long_text", "code": "VIEW", "label": "Your view", "settings": {"max_length": 200}},
    {"type": "single_choice", "code": "ROLE", "label": "Your role", "options": [("c", "Customs"), ("r", "Rights")],
     "other": True, "required": True},
    {"type": "multiple_choice", "code": "TOOLS", "label": "Tools used",
     "options": [("a", "Alpha"), ("b", "Beta"), ("g", "Gamma")], "settings": {"min_selections": 1,
                                                                             "max_selections": 2}},
    {"type": "yes_no", "code": "SEIZE", "label": "Do you seize goods?", "required": True},
    {"type": "scale", "code": "RATE", "label": "Rate the programme",
     "settings": {"min": 1, "max": 5, "min_label": {"en": "Poor"}, "max_label": {"en": "Excellent"}}},
    {"type": "number", "code": "COUNT", "label": "Seizures last year",
     "settings": {"min": "0", "max": "100000", "integer_only": True}},
    {"type": "date", "code": "SINCE", "label": "Since when?", "settings": {"min": "2000-01-01", "max": "2030-12-31"}},
    {"type": "ranking", "code": "PRIO", "label": "Rank the priorities",
     "options": [("x", "Training"), ("y", "Tools"), ("z", "Law")]},
    {"type": "matrix", "code": "GRID", "label": "How often?", "rows": [("r1", "Ports"), ("r2", "Airports")],
     "columns": [("never", "Never"), ("often", "Often")]},
    {"type": "file", "code": "DOC", "label": "Supporting document"},
]


def question_ids(survey) -> dict[str, int]:
    return survey.question_ids


def complete_answers(survey) -> dict:
    """Form fields answering every question of EVERY_TYPE (no file)."""
    q = survey.question_ids
    return {
        f"q{q['NAME']}": "Douane française",
        f"q{q['VIEW']}": "Fine.",
        f"q{q['ROLE']}": "c",
        f"q{q['TOOLS']}": ["a", "b"],
        f"q{q['SEIZE']}": "yes",
        f"q{q['RATE']}": "4",
        f"q{q['COUNT']}": "120",
        f"q{q['SINCE']}": "2019-05-01",
        f"q{q['PRIO']}_rank1": "y",
        f"q{q['PRIO']}_rank2": "x",
        f"q{q['PRIO']}_rank3": "z",
        f"q{q['GRID']}.r1": "often",
        f"q{q['GRID']}.r2": "never",
    }


def make_world(app, questions=None, policy="person", state="open", **survey_fields):
    """A public consultation with one survey; returns ids and the survey's URL."""
    with app.app_context():
        consultation = create_consultation(state=state)
        survey = create_survey(consultation.id, questions=questions or EVERY_TYPE, policy=policy, **survey_fields)
    url = f"/consultations/{consultation.slug}/surveys/{survey.id}"
    return SimpleNamespace(consultation=consultation, survey=survey, url=url, q=survey.question_ids)


def signed_in(app, client_factory, **fields):
    return client_factory("participant", **fields)


def form_token(client, url: str) -> tuple[str, str]:
    """(csrf token, version) as found in the answer form."""
    page = client.get(url).get_data(as_text=True)
    token = CSRF_PATTERN.search(page)
    version = re.search(r'name="version" value="(-?\d+)"', page)
    assert token, page[:3000]
    return token.group(1), version.group(1) if version else "0"


def post_form(client, url: str, data: dict, action: str = "save", version: str | None = None, path: str = ""):
    """Post the answer form as a browser would, with the version the page carried."""
    token, page_version = form_token(client, url)
    payload = {"csrf_token": token, "version": version if version is not None else page_version}
    if action:
        payload["action"] = action
    payload.update(data)
    return client.post(url + path, data=payload, content_type=_content_type(payload))


def _content_type(payload: dict) -> str:
    has_file = any(isinstance(value, tuple) for value in payload.values())
    return "multipart/form-data" if has_file else "application/x-www-form-urlencoded"


HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def review_fields(page: str) -> list[tuple[str, str]]:
    """The hidden fields of the review page's submit form."""
    start = page.index('/submit"')
    form = page[start: page.index("</form>", start)]
    return [(name, html.unescape(value)) for name, value in HIDDEN_FIELD.findall(form)]


def submit_from_review(client, world, consent: str = "named", review_page: str | None = None):
    """Open the review page (or use the one given) and press Submit with `consent`."""
    page = review_page if review_page is not None else client.get(world.url + "/review").get_data(as_text=True)
    fields = review_fields(page)
    assert fields, page[:3000]
    data = [(name, value) for name, value in fields]
    if consent:
        data.append(("consent", consent))
    return client.post(world.url + "/submit", data=MultiDict(data))


def response_of(app, survey_id: int):
    with app.app_context():
        response = db.session.scalar(select(Response).where(Response.survey_id == survey_id))
        if response is None:
            return None
        return SimpleNamespace(
            id=response.id,
            status=response.status,
            version=response.version,
            consent=response.consent,
            receipt_number=response.receipt_number,
            owner_key=response.owner_key,
            last_edited_by_id=response.last_edited_by_id,
            submitted_at=response.submitted_at,
            answers={a.question_id: a.value for a in response.answers},
            revisions=[(r.version, r.answers, r.consent, r.submitted_by_id) for r in response.revisions],
        )


def answers_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Answer)).all())


def make_member(app, organization_id: int | None = None, **fields):
    with app.app_context():
        return create_user(role="participant", password="correct horse battery staple",
                           organization_id=organization_id, **fields)


# --- Files -----------------------------------------------------------------------------------


def pdf_bytes(size: int = 200) -> bytes:
    body = b"%PDF-1.4\n" + b"0" * max(0, size - 20) + b"\n%%EOF\n"
    return body


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def xlsx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def odt_bytes() -> bytes:
    return zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})


def upload(content: bytes, filename: str):
    return (io.BytesIO(content), filename)


