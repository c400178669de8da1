"""The comments export: everything a manager may read, flagged by status and visibility, in document order."""

from __future__ import annotations

from datetime import datetime

import pytest

from consult.comments.models import SecretariatResponse
from consult.extensions import db
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
from tests.factories import create_comment


@pytest.fixture
def data(app):
    data = make_answered_consultation(app)
    with app.app_context():
        db.session.add(SecretariatResponse(comment_id=data.comments.published, outcome="partially_accepted",
                                           text="+ We keep the first half.", language="en"))
        db.session.commit()
        data.comments.reply = create_comment(data.id, data.people.fr.id, body="I agree.",
                                             parent_id=data.comments.published,
                                             paragraph_id=data.document.paragraph_ids[1], language="fr")
    return data


def test_csv_lists_every_comment_for_the_secretariat_with_its_status(app, staff_client, data):
    records = csv_records(staff_client.get(export_url(data, "comments.csv")))
    by_id = {int(r["Comment ID"]): r for r in records}
    assert set(by_id) == set(vars(data.comments).values())

    statuses = {by_id[getattr(data.comments, name)]["Status"] for name in ("pending", "hidden", "withdrawn")}
    assert statuses == {"Awaiting moderation", "Hidden by a moderator", "Withdrawn by its author"}
    confidential = by_id[data.comments.confidential]
    assert confidential["Visibility"] == "Confidential: moderators and the secretariat only"
    assert confidential["Comment"] == CONTROL_TEXT

    published = by_id[data.comments.published]
    assert published["Consultation"] == "E-commerce guidelines"
    assert published["Document"] == "Guidelines"
    assert published["Version"] == "1"
    assert published["Paragraph"] == "2"
    assert published["Thread"] == "Paragraph"
    assert published["Author"] == "José Núñez"
    assert published["Organization"] == "Marca Española"
    assert published["Stakeholder type"] == "Rights holder"
    assert published["Country"] == "Spain"
    assert published["Type of comment"] == "Editorial"
    assert published["Position"] == "Support"
    assert published["Language"] == "Spanish"
    assert published["Comment"] == "'" + TRICKY_TEXT
    assert published["Proposed wording"] == RTL_TEXT
    assert published["Secretariat response"] == "Partially accepted"
    assert published["Secretariat response text"] == "'+ We keep the first half."
    assert datetime.fromisoformat(published["Created (UTC)"]).utcoffset().total_seconds() == 0
    assert published["Edited (UTC)"] == ""

    reply = by_id[data.comments.reply]
    assert reply["Reply to (comment ID)"] == str(data.comments.published)
    general = by_id[data.comments.general]
    assert (general["Thread"], general["Document"], general["Paragraph"]) == ("General discussion", "", "")
    assert by_id[data.comments.pending]["Comment"] == EMOJI_TEXT


def test_comments_come_in_document_and_paragraph_order(app, staff_client, data):
    records = csv_records(staff_client.get(export_url(data, "comments.csv")))
    order = [(r["Document"], r["Paragraph"]) for r in records]
    assert order[0] == ("", "")
    assert order[1:] == sorted(order[1:], key=lambda item: int(item[1]))


def test_codes_and_french_words(app, staff_client, data):
    coded = {int(r["comment_id"]): r for r in csv_records(staff_client.get(export_url(data, "comments.csv",
                                                                                        labels="codes")))}
    published = coded[data.comments.published]
    assert (published["status"], published["visibility"], published["type"], published["position"]) == (
        "published", "audience", "editorial", "support")
    assert published["response_outcome"] == "partially_accepted"
    assert published["thread"] == "paragraph"

    french = csv_records(staff_client.get(export_url(data, "comments.csv", lang="fr")))
    published = next(r for r in french if r["Commentaire"] == "'" + TRICKY_TEXT)
    assert (published["Auteur"], published["Statut"], published["Position"]) == ("José Núñez", "Publié", "Pour")


def test_filters_narrow_the_comments(app, staff_client, data):
    def ids(**args):
        return {int(r["Comment ID"]) for r in csv_records(staff_client.get(export_url(data, "comments.csv", **args)))}

    assert ids(language="es") == {data.comments.published, data.comments.withdrawn}
    assert ids(status="hidden") == {data.comments.hidden}
    assert ids(stakeholder_type="intermediary") == {data.comments.pending}
    assert ids(country="ES") == {data.comments.published, data.comments.withdrawn}
    # The group holds the French and Spanish organizations, not the Mexican one.
    assert data.comments.pending not in ids(group=data.group_id)
    assert ids(date_from="2000-01-01", date_to="2000-01-02") == set()
    assert ids(date_from="2000-01-01") == set(vars(data.comments).values())
    # A response status does not narrow comments.
    assert ids(status="submitted") == set(vars(data.comments).values())


def test_xlsx_keeps_text_as_text(app, staff_client, data):
    workbook = read_xlsx(staff_client.get(export_url(data, "comments.xlsx")))
    assert workbook.sheetnames == ["Comments"]
    sheet = workbook["Comments"]
    assert sheet.freeze_panes == "A2"
    records = {r["Comment ID"]: r for r in sheet_records(sheet)}
    published = records[data.comments.published]
    assert published["Comment"] == TRICKY_TEXT
    assert published["Proposed wording"] == RTL_TEXT
    assert published["Secretariat response text"] == "+ We keep the first half."
    assert cell_text(records[data.comments.confidential]["Comment"]) == CONTROL_TEXT
    assert isinstance(published["Created (UTC)"], datetime)


def test_json_comments(app, staff_client, data):
    document = read_json(staff_client.get(export_url(data, "comments.json")))
    assert document["format"] == "consult-comments"
    assert document["documents"][0]["title"] == {"en": "Guidelines"}
    comments = {c["id"]: c for c in document["comments"]}
    published = comments[data.comments.published]
    assert published["body"] == TRICKY_TEXT
    assert published["proposed_wording"] == RTL_TEXT
    assert published["thread"] == "paragraph"
    assert published["paragraph"] == 2
    assert published["secretariat_response"] == {"outcome": "partially_accepted", "text": "+ We keep the first half."}
    assert published["organization"] == {"name": "Marca Española", "stakeholder_type": "rights_holder",
                                         "country": "ES"}
    assert comments[data.comments.confidential]["visibility"] == "confidential"
    assert comments[data.comments.confidential]["body"] == CONTROL_TEXT
    assert comments[data.comments.general]["secretariat_response"] is None
