"""Uploaded files are recognised by their content; the name must agree with it."""

from __future__ import annotations

import io

import pytest

from consult.surveys.files import DOCX, ODT, PDF, XLSX, UploadRefused, check_upload, clean_filename, detect_kind
from tests.surveys.test_answer_support import docx_bytes, odt_bytes, pdf_bytes, xlsx_bytes, zip_bytes


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    ("content", "kind"),
    [(pdf_bytes(), PDF), (docx_bytes(), DOCX), (xlsx_bytes(), XLSX), (odt_bytes(), ODT)],
)
def test_each_accepted_kind_is_recognised_by_its_content(content, kind):
    assert detect_kind(content) is kind
    checked = check_upload(f"answer.{kind.extension}", io.BytesIO(content))
    assert checked.kind is kind and checked.size == len(content) and len(checked.sha256) == 64


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 an executable",
        b"<html>not a pdf</html>",
        zip_bytes({"readme.txt": b"just a zip"}),
        zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        b"PK\x03\x04 broken zip",
    ],
)
def test_other_content_is_refused_whatever_its_name(content):
    with pytest.raises(UploadRefused) as refused:
        check_upload("report.pdf", io.BytesIO(content))
    assert refused.value.message == "This type of file is not accepted. Upload a PDF, DOCX, XLSX or ODT file."


@pytest.mark.parametrize(
    ("filename", "content"),
    [("report.docx", pdf_bytes()), ("report.pdf", docx_bytes()), ("report.odt", xlsx_bytes()), ("report", pdf_bytes()),
     ("report.pdf.exe", pdf_bytes())],
)
def test_a_name_that_does_not_match_the_content_is_refused(filename, content):
    with pytest.raises(UploadRefused) as refused:
        check_upload(filename, io.BytesIO(content))
    assert "does not match its content" in refused.value.message


def test_the_extension_is_compared_without_case():
    assert check_upload("REPORT.PDF", io.BytesIO(pdf_bytes())).filename == "REPORT.PDF"


def test_files_over_the_limit_and_empty_files_are_refused():
    with pytest.raises(UploadRefused) as too_big:
        check_upload("big.pdf", io.BytesIO(pdf_bytes(2048)), max_bytes=1024)
    assert too_big.value.message == "The file is too large: the limit is 1 KB."
    with pytest.raises(UploadRefused) as empty:
        check_upload("empty.pdf", io.BytesIO(b""))
    assert "empty" in empty.value.message


def test_filenames_lose_folders_and_control_characters():
    assert clean_filename("C:\\Users\\me\\Réponse finale.pdf") == "Réponse finale.pdf"
    assert clean_filename("../../etc/passwd\x00.pdf") == "passwd.pdf"
    assert len(clean_filename("a" * 300 + ".pdf")) == 255 and clean_filename("a" * 300 + ".pdf").endswith(".pdf")
