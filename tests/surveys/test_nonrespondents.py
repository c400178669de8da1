"""Who in the audience has not responded: organizations, people, counts by group and type, the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult.consultations.models import Consultation
from consult.consultations.queries import audience_organizations_filter
from consult.directory.models import Organization, User
from consult.extensions import db
from consult.i18n import utcnow
from tests.factories import create_consultation, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response, page_text, queries_for


def _table(text: str) -> str:
    """The main list of the page (after the count tables)."""
    return text[text.rindex("<table"):]


def build_audience(app, client_as, audience_mode: str = "public", policy: str = "organization",
                   audience_types=()) -> SimpleNamespace:
    """Organizations in and out of the consultation's group; one submitted, one with a draft, one silent."""
    moderator = client_as("moderator")
    with app.app_context():
        answered = create_organization(name="Answered Customs", stakeholder_type="customs")
        drafting = create_organization(name="Drafting Brand", stakeholder_type="rights_holder", country="IT")
        silent = create_organization(name="Silent Courier", stakeholder_type="intermediary", country="DE")
        outsider = create_organization(name="Outside Market", stakeholder_type="intermediary")
        inactive = create_organization(name="Dormant Office", stakeholder_type="customs", active=False)
        people = {
            "answered": create_user(organization_id=answered.id, password=None, display_name="Ana Answer"),
            "answered colleague": create_user(organization_id=answered.id, password=None, display_name="Ben Quiet"),
            "drafting": create_user(organization_id=drafting.id, password=None, display_name="Dora Draft"),
            "silent": create_user(organization_id=silent.id, password=None, display_name="Sam Silent",
                                  last_login_at=utcnow() - timedelta(days=3)),
            "outsider": create_user(organization_id=outsider.id, password=None, display_name="Olga Outside"),
            "inactive": create_user(organization_id=inactive.id, password=None, display_name="Ivan Inactive"),
        }
        group = create_group(name="Working Group",
                             organization_ids=[answered.id, drafting.id, silent.id, inactive.id],
                             moderator_ids=[moderator.user.id])
        consultation = create_consultation(
            group_id=group.id, audience_mode=audience_mode, audience_types=audience_types,
            audience_group_ids=[group.id] if audience_mode == "restricted" else (),
        )
        survey = create_survey(consultation.id, policy=policy)
        add_response(survey.id, people["answered"].id, status="submitted")
        add_response(survey.id, people["drafting"].id, status="draft", edited_minutes_ago=60 * 24 * 2)
    return SimpleNamespace(
        moderator=moderator, consultation=consultation, survey=survey, group=group, people=people,
        organizations={"answered": answered, "drafting": drafting, "silent": silent, "outsider": outsider,
                       "inactive": inactive},
        base=f"/consultations/{consultation.slug}/surveys/{survey.id}",
    )


# --- Permissions ----------------------------------------------------------


def test_only_managers_see_the_lists_and_only_staff_download_the_csv(app, client_as):
    scene = build_audience(app, client_as, policy="person")
    staff = client_as("staff")
    delegate = client_as("participant", organization_id=scene.organizations["silent"].id)
    other_moderator = client_as("moderator")
    for path in ("/nonrespondents", "/nonrespondents/people", "/nonrespondents.csv"):
        assert delegate.get(scene.base + path).status_code == 403, path
        assert other_moderator.get(scene.base + path).status_code == 403, path  # sees the public consultation
        assert staff.get(scene.base + path).status_code == 200, path
    assert scene.moderator.get(scene.base + "/nonrespondents").status_code == 200
    assert scene.moderator.get(scene.base + "/nonrespondents/people").status_code == 200
    assert scene.moderator.get(scene.base + "/nonrespondents.csv").status_code == 403


def test_people_outside_a_restricted_consultation_get_not_found(app, client_as):
    scene = build_audience(app, client_as, audience_mode="restricted", policy="person")
    outsider = client_as("participant", organization_id=scene.organizations["outsider"].id)
    other_moderator = client_as("moderator")
    for client in (outsider, other_moderator):
        for path in ("/nonrespondents", "/nonrespondents/people", "/nonrespondents.csv"):
            assert client.get(scene.base + path).status_code == 404, path


def test_the_people_list_does_not_exist_for_one_response_per_organization(app, client_as):
    scene = build_audience(app, client_as, policy="organization")
    assert scene.moderator.get(scene.base + "/nonrespondents/people").status_code == 404


# --- The audience at organization level agrees with in_audience -----------------


@pytest.mark.parametrize(
    ("mode", "with_group", "types"),
    [
        ("public", False, ()),
        ("restricted", False, ()),
        ("restricted", True, ()),
        ("restricted", False, ("customs", "rights_holder")),
        ("restricted", True, ("intermediary",)),
    ],
)
def test_audience_organizations_agree_with_in_audience_for_a_person_of_each(app, mode, with_group, types):
    with app.app_context():
        organizations = [
            create_organization(stakeholder_type=kind, active=active).id
            for kind in ("customs", "rights_holder", "intermediary")
            for active in (True, False)
        ]
        group = create_group(organization_ids=organizations[::3])
        consultation = create_consultation(
            group_id=group.id, audience_mode=mode, audience_types=types,
            audience_group_ids=[group.id] if with_group else (),
        )
        people = {o: create_user(organization_id=o, password=None).id for o in organizations}
        record = db.session.get(Consultation, consultation.id)
        listed = set(db.session.scalars(select(Organization.id).where(audience_organizations_filter(record))))
        for organization_id, person_id in people.items():
            organization = db.session.get(Organization, organization_id)
            if mode == "public" and not organization.active:
                # A public consultation addresses everyone signed in; the list counts active organizations only.
                assert organization_id not in listed
                continue
            assert (organization_id in listed) == record.in_audience(db.session.get(User, person_id)), organization_id


# --- One response per organization ----------------------------------------------


def test_public_consultation_lists_active_organizations_without_a_submitted_response(app, client_as):
    scene = build_audience(app, client_as)
    text = page_text(scene.moderator.get(scene.base + "/nonrespondents"))
    table = _table(text)
    assert "Drafting Brand" in table  # a draft is not a response
    assert "Silent Courier" in table
    assert "Outside Market" in table  # public: every active organization
    assert "Answered Customs" not in table
    assert "Dormant Office" not in table  # inactive
    assert "3 organizations without a response" in text


def test_restricted_consultation_lists_only_its_audience(app, client_as):
    scene = build_audience(app, client_as, audience_mode="restricted")
    table = _table(page_text(scene.moderator.get(scene.base + "/nonrespondents")))
    assert "Drafting Brand" in table and "Silent Courier" in table
    assert "Outside Market" not in table and "Answered Customs" not in table and "Dormant Office" not in table


def test_restricted_by_stakeholder_type(app, client_as):
    scene = build_audience(app, client_as, audience_mode="restricted", audience_types=("intermediary",))
    table = _table(page_text(scene.moderator.get(scene.base + "/nonrespondents")))
    assert "Silent Courier" in table
    assert "Drafting Brand" not in table and "Outside Market" not in table


def test_counts_by_group_and_type_link_to_the_narrowed_list(app, client_as):
    scene = build_audience(app, client_as)
    text = page_text(scene.moderator.get(scene.base + "/nonrespondents"))
    by_group = text[text.index("by group</caption>"):text.index("by stakeholder type</caption>")]
    assert f"group={scene.group.id}" in by_group
    assert "Working Group" in by_group and "<td class=\"text-end\">2</td>" in by_group
    assert "In no group" in by_group  # Outside Market belongs to no group
    by_type = text[text.index("by stakeholder type</caption>"):]
    by_type = by_type[:by_type.index("</table>")]
    assert "stakeholder_type=intermediary" in by_type
    assert "Intermediary" in by_type and "Rights holder" in by_type and "Customs administration" not in by_type
    narrowed = _table(page_text(scene.moderator.get(f"{scene.base}/nonrespondents?group={scene.group.id}")))
    assert "Silent Courier" in narrowed and "Outside Market" not in narrowed
    narrowed = _table(page_text(scene.moderator.get(f"{scene.base}/nonrespondents?stakeholder_type=rights_holder")))
    assert "Drafting Brand" in narrowed and "Silent Courier" not in narrowed


def test_last_activity_is_the_latest_sign_in_or_draft_edit(app, client_as):
    scene = build_audience(app, client_as)
    text = page_text(scene.moderator.get(scene.base + "/nonrespondents"))
    rows = dict(re.findall(r"<tr>\s*<td>([^<]+)</td>(.*?)</tr>", _table(text), re.S))
    two_days_ago = (utcnow() - timedelta(days=2)).strftime("%b %-d, %Y")
    three_days_ago = (utcnow() - timedelta(days=3)).strftime("%b %-d, %Y")
    assert two_days_ago in rows["Drafting Brand"]  # the draft edit
    assert three_days_ago in rows["Silent Courier"]  # the sign-in
    assert "None recorded" in rows["Outside Market"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("group=x", "Choose a group from the list."),
        ("group=424242", "Choose a group from the list."),
        ("stakeholder_type=smuggler", "Choose a stakeholder type from the list."),
    ],
)
def test_bad_filters_are_refused_with_a_message(app, client_as, query, message):
    scene = build_audience(app, client_as, policy="person")
    for path in ("/nonrespondents", "/nonrespondents/people"):
        response = scene.moderator.get(f"{scene.base}{path}?{query}")
        assert response.status_code == 400, path
        text = page_text(response)
        assert message in text
        assert "Silent Courier" not in text


def test_the_list_runs_the_same_number_of_queries_for_3_or_30_organizations(app, client_as):
    scene = build_audience(app, client_as)
    path = scene.base + "/nonrespondents"
    few = queries_for(app, scene.moderator, path)
    with app.app_context():
        for index in range(27):
            organization = create_organization(stakeholder_type="customs" if index % 2 else "other")
            create_group(organization_ids=[organization.id])
            person = create_user(organization_id=organization.id, password=None, last_login_at=utcnow())
            if index % 3 == 0:
                add_response(scene.survey.id, person.id, status="draft")
    assert queries_for(app, scene.moderator, path) == few


# --- One response per person -----------------------------------------------------


def test_per_person_an_organization_counts_as_responding_when_one_of_its_people_submitted(app, client_as):
    scene = build_audience(app, client_as, policy="person")
    text = page_text(scene.moderator.get(scene.base + "/nonrespondents"))
    table = _table(text)
    assert "Answered Customs" not in table
    assert "Drafting Brand" in table and "Silent Courier" in table
    assert "People without a response" in text


def test_per_person_the_second_list_names_every_person_without_a_submitted_response(app, client_as):
    scene = build_audience(app, client_as, policy="person")
    text = page_text(scene.moderator.get(scene.base + "/nonrespondents/people"))
    table = _table(text)
    assert "Ben Quiet" in table  # a colleague of someone who answered still owes their own response
    assert "Dora Draft" in table and "Sam Silent" in table and "Olga Outside" in table
    assert "Ana Answer" not in table
    assert "Ivan Inactive" not in table  # their organization is inactive
    assert "4 people without a response" in text


def test_per_person_people_of_a_restricted_audience_only(app, client_as):
    scene = build_audience(app, client_as, audience_mode="restricted", policy="person")
    table = _table(page_text(scene.moderator.get(scene.base + "/nonrespondents/people")))
    assert "Ben Quiet" in table and "Sam Silent" in table
    assert "Olga Outside" not in table


def test_inactive_people_are_not_listed(app, client_as):
    scene = build_audience(app, client_as, policy="person")
    with app.app_context():
        create_user(organization_id=scene.organizations["silent"].id, password=None, display_name="Gone Person",
                    active=False)
    table = _table(page_text(scene.moderator.get(scene.base + "/nonrespondents/people")))
    assert "Gone Person" not in table


def test_the_people_list_runs_a_bounded_number_of_queries(app, client_as):
    scene = build_audience(app, client_as, policy="person")
    path = scene.base + "/nonrespondents/people"
    few = queries_for(app, scene.moderator, path)
    with app.app_context():
        for _ in range(26):
            organization = create_organization()
            create_group(organization_ids=[organization.id])
            create_user(organization_id=organization.id, password=None)
    assert queries_for(app, scene.moderator, path) == few


# --- The CSV -----------------------------------------------------------------------


def test_the_csv_is_utf8_with_bom_and_lists_organizations_then_people(app, client_as):
    scene = build_audience(app, client_as, policy="person")
    staff = client_as("staff")
    response = staff.get(scene.base + "/nonrespondents.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Non-respondent", "Organization", "Country"]
    organizations = [row[1] for row in rows[1:] if row[0] == "Organization"]
    people = [row[5] for row in rows[1:] if row[0] == "Person"]
    assert set(organizations) == {"Drafting Brand", "Silent Courier", "Outside Market"}
    assert set(people) == {"Ben Quiet", "Dora Draft", "Sam Silent", "Olga Outside"}
    silent = next(row for row in rows if row[1] == "Silent Courier")
    assert silent[2] == "Germany" and silent[3] == "Intermediary" and silent[4] == "Working Group"


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rReturn"])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(app, client_as, dangerous):
    staff = client_as("staff")
    with app.app_context():
        organization = create_organization(name=dangerous + " Org")
        create_user(organization_id=organization.id, password=None, display_name=dangerous + " Person")
        consultation = create_consultation()
        survey = create_survey(consultation.id, policy="person")
    response = staff.get(f"/consultations/{consultation.slug}/surveys/{survey.id}/nonrespondents.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + dangerous + " Org" in cells
    assert "'" + dangerous + " Person" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_the_csv_reads_in_chunks_and_stays_complete(app, client_as, monkeypatch):
    from consult.surveys import response_queries

    original = response_queries.in_chunks
    monkeypatch.setattr(response_queries, "in_chunks", lambda query, size=500: original(query, size=2))
    scene = build_audience(app, client_as, policy="person")
    rows = list(csv.reader(io.StringIO(client_as("staff").get(scene.base + "/nonrespondents.csv")
                                       .data.decode("utf-8-sig"))))
    assert len([r for r in rows if r[0] == "Organization"]) == 3
    assert len([r for r in rows if r[0] == "Person"]) == 4
