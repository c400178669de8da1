"""File questions: upload, replace, remove, download by the owner and managers only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.surveys.models import Answer, Response, UploadedFile
from tests.helpers import count
from tests.surveys.test_answer_support import (
    docx_bytes,
    make_world,
    pdf_bytes,
    post_form,
    response_of,
    submit_from_review,
    upload,
    xlsx_bytes,
)

QUESTIONS = [
    {"type": "yes_no", "code": "HAS", "label": "Do you have a report?"},
    {"type": "file", "code": "DOC", "label": "Your report", "settings": {"max_bytes": 4096},
     "conditions": [("HAS", "equals", "yes")]},
]


@pytest.fixture
def world(app):
    return make_world(app, questions=QUESTIONS)


def _rows(app):
    with app.app_context():
        return count(Response), count(Answer), count(UploadedFile)


def _send(client, world, content: bytes, filename: str, **extra):
    fields = {f"q{world.q['HAS']}": "yes", f"q{world.q['DOC']}": upload(content, filename), **extra}
    return post_form(client, world.url, fields)


def test_an_uploaded_file_is_kept_with_the_response_and_downloadable_by_its_owner(app, participant_client, world):
    content = pdf_bytes()
    assert _send(participant_client, world, content, "Rapport annuel.pdf").status_code == 303
    response = response_of(app, world.survey.id)
    value = response.answers[world.q["DOC"]]
    assert value["filename"] == "Rapport annuel.pdf" and isinstance(value["file_id"], int)
    with app.app_context():
        stored = db.session.get(UploadedFile, value["file_id"])
        assert stored.response_id == response.id and stored.mimetype == "application/pdf"
        assert stored.size == len(content) and stored.uploaded_by_id == participant_client.user.id
    page = participant_client.get(world.url).get_data(as_text=True)
    link = f"{world.url}/files/{value['file_id']}"
    assert f'href="{link}">Rapport annuel.pdf</a>' in page
    download = participant_client.get(link)
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/pdf"


def test_replacing_and_removing_a_file(app, participant_client, world):
    _send(participant_client, world, pdf_bytes(), "first.pdf")
    first = response_of(app, world.survey.id).answers[world.q["DOC"]]
    assert _send(participant_client, world, docx_bytes(), "second.docx").status_code == 303
    second = response_of(app, world.survey.id).answers[world.q["DOC"]]
    assert second["filename"] == "second.docx" and second["file_id"] != first["file_id"]
    # Saving without choosing a file keeps the current one.
    page = participant_client.get(world.url).get_data(as_text=True)
    current = re.search(rf'name="q{world.q["DOC"]}_file" value="(\d+)"', page).group(1)
    kept = post_form(participant_client, world.url, {f"q{world.q['HAS']}": "yes", f"q{world.q['DOC']}_file": current})
    assert kept.status_code == 303
    assert response_of(app, world.survey.id).answers[world.q["DOC"]] == second
    removed = post_form(participant_client, world.url, {f"q{world.q['HAS']}": "yes",
                                                        f"q{world.q['DOC']}_file": current,
                                                        f"q{world.q['DOC']}_remove": "1"})
    assert removed.status_code == 303
    assert world.q["DOC"] not in response_of(app, world.survey.id).answers


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"MZ\x90\x00 program", "report.pdf", "This type of file is not accepted."),
        (pdf_bytes(), "report.docx", "does not match its content"),
        (xlsx_bytes(), "report.pdf", "does not match its content"),
        (pdf_bytes(5000), "report.pdf", "The file is too large: the limit is 4 KB."),
    ],
)
def test_wrong_files_are_refused_next_to_the_question_and_nothing_is_stored(
    app, participant_client, world, content, filename, message
):
    before = _rows(app)
    refused = _send(participant_client, world, content, filename)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert message in html
    assert f'id="q{world.q["DOC"]}-error"' in html
    assert _rows(app) == before


def test_a_good_file_sent_with_a_bad_answer_is_not_stored_and_the_page_says_to_choose_it_again(
    app, participant_client
):
    world = make_world(app)  # every question type
    before = _rows(app)
    refused = post_form(participant_client, world.url, {f"q{world.q['COUNT']}": "lots",
                                                        f"q{world.q['DOC']}": upload(pdf_bytes(), "report.pdf")})
    assert refused.status_code == 400
    assert "The file you chose was not kept because the page had to be corrected. Choose it again." in (
        refused.get_data(as_text=True))
    assert _rows(app) == before


def test_a_file_for_a_hidden_question_is_not_stored(app, participant_client, world):
    fields = {f"q{world.q['HAS']}": "no", f"q{world.q['DOC']}": upload(pdf_bytes(), "report.pdf")}
    assert post_form(participant_client, world.url, fields).status_code == 303
    with app.app_context():
        assert count(UploadedFile) == 0
    assert response_of(app, world.survey.id).answers == {world.q["HAS"]: "no"}


def test_a_file_of_someone_elses_response_cannot_be_claimed(app, participant_client, client_as, world):
    other = client_as("participant")
    _send(other, world, pdf_bytes(), "theirs.pdf")
    their_file = response_of(app, world.survey.id).answers[world.q["DOC"]]["file_id"]
    before = _rows(app)
    refused = post_form(participant_client, world.url, {f"q{world.q['HAS']}": "yes",
                                                        f"q{world.q['DOC']}_file": str(their_file)})
    assert refused.status_code == 400
    assert "This file is not part of your response." in refused.get_data(as_text=True)
    assert _rows(app) == before


def test_only_the_owner_and_managers_can_download(app, participant_client, client_as, world):
    _send(participant_client, world, pdf_bytes(), "report.pdf")
    file_id = response_of(app, world.survey.id).answers[world.q["DOC"]]["file_id"]
    link = f"{world.url}/files/{file_id}"
    assert client_as("participant").get(link).status_code == 404
    assert client_as("moderator").get(link).status_code == 404  # not a moderator of this consultation's group
    assert client_as("staff").get(link).status_code == 200
    assert participant_client.get(f"{world.url}/files/{file_id + 100}").status_code == 404


def test_a_submitted_file_survives_in_the_receipt_and_a_change_after_submission(app, participant_client, world):
    _send(participant_client, world, pdf_bytes(), "report.pdf")
    post_form(participant_client, world.url, {f"q{world.q['HAS']}": "yes",
                                              f"q{world.q['DOC']}_file": str(_file_id(app, world))},
              action="review")
    review = participant_client.get(world.url + "/review").get_data(as_text=True)
    assert ">report.pdf</a>" in review
    assert submit_from_review(participant_client, world, review_page=review).status_code == 303
    assert ">report.pdf</a>" in participant_client.get(world.url + "/print").get_data(as_text=True)

    # Changing the submitted response with a new file: stored at once, used only when submitted again.
    fields = {f"q{world.q['HAS']}": "yes", f"q{world.q['DOC']}": upload(docx_bytes(), "better.docx")}
    review = post_form(participant_client, world.url, fields, action="review")
    assert review.status_code == 200 and ">better.docx</a>" in review.get_data(as_text=True)
    assert response_of(app, world.survey.id).answers[world.q["DOC"]]["filename"] == "report.pdf"
    assert submit_from_review(participant_client, world, review_page=review.get_data(as_text=True)).status_code == 303
    response = response_of(app, world.survey.id)
    assert response.answers[world.q["DOC"]]["filename"] == "better.docx"
    assert response.revisions[0][1]["DOC"]["filename"] == "report.pdf"
    with app.app_context():
        assert count(UploadedFile) == 2  # the earlier file stays, as the revision refers to it


def _file_id(app, world) -> int:
    with app.app_context():
        return db.session.scalar(select(UploadedFile.id))
