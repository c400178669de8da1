"""The secretariat takes everything out, in each interface language: every export is downloaded through the
links a person clicks, then opened with the program a person would use. French and Spanish accents survive,
and a delegate's `=1+1` stays text in every spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import docx
import openpyxl

from tests.browser.conftest import sign_in
from tests.browser.journeys import LANGUAGES, assert_quiet, expect, switch_language, translated
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response

TITLE = {"en": "Détention à la frontière", "fr": "Détention à la frontière", "es": "Detención en la frontera"}
FRENCH = "Créer une unité spéciale « douane » à Montréal — œuvre"
SPANISH = "Señalización aduanera: ¿cómo mejorar la cooperación? Año 2026"
FORMULA = "=1+1"


def make_export_world(app) -> SimpleNamespace:
    with app.app_context():
        staff = create_user(role="staff", password=DEFAULT_PASSWORD)
        french = create_organization(name="Douane française", country="FR")
        spanish = create_organization(name="Agencia Tributaria de España", country="ES")
        delegate_fr = create_user(password=DEFAULT_PASSWORD, organization_id=french.id, display_name="Zoé Lefèvre")
        delegate_es = create_user(password=DEFAULT_PASSWORD, organization_id=spanish.id, display_name="Íñigo Muñoz")
        group = create_group(organization_ids=[french.id, spanish.id])
        consultation = create_consultation(group_id=group.id, title=TITLE)
        document = create_document(consultation.id, paragraphs=["Goods may be detained.", "Samples are taken."])
        create_comment(consultation.id, delegate_fr.id, body=FRENCH, paragraph_id=document.paragraph_ids[0],
                       language="fr")
        create_comment(consultation.id, delegate_es.id, body=SPANISH, paragraph_id=document.paragraph_ids[1],
                       language="es")
        create_comment(consultation.id, delegate_es.id, body=FORMULA, paragraph_id=document.paragraph_ids[1],
                       language="es")
        survey = create_survey(consultation.id, questions=[
            {"type": "short_text", "code": "NAME", "label": "Administration"},
            {"type": "long_text", "code": "VIEW", "label": "Your view"},
        ], title={"en": "Questionnaire", "fr": "Questionnaire détaillé", "es": "Cuestionario"})
        add_response(survey.id, delegate_fr.id, status="submitted", language="fr",
                     answers={"NAME": "Direction générale des douanes", "VIEW": FRENCH})
        add_response(survey.id, delegate_es.id, status="submitted", language="es",
                     answers={"NAME": FORMULA, "VIEW": SPANISH})
    return SimpleNamespace(staff=staff, consultation=consultation)


def download(page, link_name: str) -> tuple[str, bytes]:
    """Click the link named `link_name` and return (suggested file name, content)."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    download_ = info.value
    assert download_.failure() is None
    return download_.suggested_filename, Path(download_.path()).read_bytes()


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a CSV file for Excel starts with the UTF-8 byte order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def workbook_cells(content: bytes) -> list:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@LANGUAGES
def test_staff_download_every_export(app, live_server, page, locale):
    world = make_export_world(app)
    sign_in(page, live_server, world.staff.email, world.staff.password)
    switch_language(page, locale)
    page.goto(live_server + "/consultations/")
    page.get_by_role("link", name=TITLE[locale]).click()
    consultation_url = page.url

    files = {}
    page.get_by_role("link", name=translated(app, locale, "Export responses and comments (CSV, Excel, JSON)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Exports", same_word=True))
    for kind, label in (("responses", "Responses as %(format)s"), ("comments", "Comments as %(format)s")):
        for ext, format_label in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON")):
            name = translated(app, locale, label, format=translated(app, locale, format_label, same_word=True))
            files[(kind, ext)] = download(page, name)

    page.goto(consultation_url)
    files[("report", "xlsx")] = download(page, translated(app, locale, "Summary report as Excel (XLSX) with charts"))
    files[("compilation", "docx")] = download(page, translated(app, locale, "Compilation of comments (Word)"))
    files[("compilation", "xlsx")] = download(page, translated(app, locale, "Compilation of comments (Excel)"))
    for (kind, ext), (filename, _content) in files.items():
        assert filename.endswith("." + ext), (kind, filename)

    # CSV: accents intact once decoded as Excel does (utf-8-sig), the headers in the chosen language,
    # and the formula turned into text.
    for kind, first_header in (("responses", "Response ID"), ("comments", "Comment ID")):
        rows = csv_rows(files[(kind, "csv")][1])
        assert rows[0][0] == translated(app, locale, first_header)
        cells = [cell for row in rows for cell in row]
        assert {FRENCH, SPANISH, "Zoé Lefèvre", "Íñigo Muñoz"} <= set(cells), kind
        assert "'" + FORMULA in cells and not any(cell.startswith(("=", "+", "@")) for cell in cells), kind

    # XLSX: the same text, and every cell holding the formula is a text cell, never a formula.
    expected_headers = {("responses", "xlsx"): "Response ID", ("comments", "xlsx"): "Comment ID",
                        ("report", "xlsx"): "Summary report", ("compilation", "xlsx"): None}
    for key, header in expected_headers.items():
        cells = workbook_cells(files[key][1])
        values = {cell.value for cell in cells}
        assert {FRENCH, SPANISH} <= values, key
        if header:
            assert translated(app, locale, header) in values, key
        planted = [cell for cell in cells if isinstance(cell.value, str) and cell.value.endswith(FORMULA)]
        assert planted, key
        assert all(cell.data_type == "s" for cell in planted), key
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"], key

    # JSON: the text exactly as written.
    responses = json.loads(files[("responses", "json")][1])["responses"]
    assert sorted((r["respondent"]["name"], r["answers"]["NAME"], r["answers"]["VIEW"]) for r in responses) == [
        ("Zoé Lefèvre", "Direction générale des douanes", FRENCH), ("Íñigo Muñoz", FORMULA, SPANISH)]
    comments = json.loads(files[("comments", "json")][1])["comments"]
    assert [c["body"] for c in comments] == [FRENCH, SPANISH, FORMULA]

    # Word: the compilation, titled in the chosen language, with each comment as written.
    text = docx_text(files[("compilation", "docx")][1])
    assert text.splitlines()[0] == translated(app, locale, "Compilation of comments")
    assert FRENCH in text and SPANISH in text and "Agencia Tributaria de España" in text

    # The summary report page.
    page.get_by_role("link", name=translated(app, locale, "Summary report (printable page with charts)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, locale, "Summary report"))
    expect(page.locator("main")).to_contain_text(TITLE[locale])
    expect(page.locator("#participation")).to_contain_text(
        translated(app, locale, "%(num)d response", num=2, plural="%(num)d responses"))
    assert_quiet(page)
