"""Data for the compilation and report tests (no tests here): a consultation with documents, comments and surveys."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from consult.comments.models import SecretariatResponse
from consult.consultations.models import WorkingDocument
from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.i18n import LocalizedText, utcnow
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_response


def organization(name: str, country: str, stakeholder_type: str) -> int:
    return create_organization(name=name, country=country, stakeholder_type=stakeholder_type).id


def person(organization_id: int | None, name: str = "", role: str = "participant") -> int:
    fields = {"display_name": name} if name else {}
    return create_user(role=role, organization_id=organization_id, **fields).id


def at(minutes: int):
    """A moment `minutes` after a fixed point two days ago, to order comments and submissions."""
    return utcnow().replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=2) + timedelta(minutes=minutes)


def respond(comment_id: int, outcome: str, text: str) -> None:
    db.session.add(SecretariatResponse(comment_id=comment_id, outcome=outcome, text=text, language="en"))
    db.session.commit()


def add_to_group(group_id: int, organization_ids) -> None:
    group = db.session.get(Group, group_id)
    group.organizations.extend(db.session.get(Organization, i) for i in organization_ids)
    db.session.commit()


def make_moderator_of(group_id: int, user_id: int) -> None:
    group = db.session.get(Group, group_id)
    group.moderators.append(db.session.get(User, user_id))
    db.session.commit()


def commented_consultation() -> SimpleNamespace:
    """Two documents and the general discussion, with comments of every status, out of order in time."""
    group = create_group("Counterfeiting and Piracy Group")
    consultation = create_consultation(group_id=group.id, title={"en": "CPG 17th meeting"})
    douane = organization("Douane française", "FR", "customs")
    maison = organization("Maison Lefèvre Parfums", "FR", "rights_holder")
    andina = organization("Industria Farmacéutica Andina", "PE", "rights_holder")
    pauline = person(maison, "Pauline Délégué")
    jean = person(douane, "Jean Dupont")
    rodrigo = person(andina, "Rodrigo Quispe")
    draft = create_document(consultation.id, ["Scope.", "Definitions.", "Measures."], title="Draft résolution")
    doc = db.session.get(WorkingDocument, draft.id)
    doc.title = LocalizedText({"en": "Draft résolution", "fr": "Projet de résolution"}, "en")
    db.session.commit()
    annex = create_document(consultation.id, ["Annex text."], title="Annex")
    p1, p2, _p3 = draft.paragraph_ids
    ids = SimpleNamespace()
    ids.general = create_comment(consultation.id, jean, "A general remark about the whole **programme**.",
                                 created_at=at(5))
    ids.late_p1 = create_comment(consultation.id, rodrigo, "Late on §1: [see our note](https://example.org/note).",
                                 paragraph_id=p1, created_at=at(50), comment_type="editorial")
    ids.early_p2 = create_comment(consultation.id, pauline, "=1+1 **naïve** café", paragraph_id=p2,
                                  created_at=at(10), comment_type="technical", position="oppose",
                                  proposed_wording="Replace «goods» by *articles*")
    ids.later_p2 = create_comment(consultation.id, jean, "Second on §2.", paragraph_id=p2, created_at=at(20))
    ids.hidden = create_comment(consultation.id, jean, "Hidden remark.", paragraph_id=p2, created_at=at(30),
                                status="hidden")
    ids.confidential = create_comment(consultation.id, rodrigo, "Confidential remark.", paragraph_id=p1,
                                      created_at=at(40), visibility="confidential")
    ids.pending = create_comment(consultation.id, pauline, "Pending remark.", paragraph_id=p1, created_at=at(45),
                                 status="pending")
    ids.withdrawn = create_comment(consultation.id, pauline, "Withdrawn remark.", paragraph_id=p1,
                                   created_at=at(41), status="withdrawn")
    ids.rejected = create_comment(consultation.id, jean, "Rejected remark.", paragraph_id=p2, created_at=at(42),
                                  status="rejected")
    respond(ids.early_p2, "partially_accepted", "We keep *goods*; see =SUM(A1).")
    return SimpleNamespace(
        slug=consultation.slug, id=consultation.id, group_id=group.id, draft=draft, annex=annex, comments=ids,
        organizations=SimpleNamespace(douane=douane, maison=maison, andina=andina),
        people=SimpleNamespace(pauline=pauline, jean=jean, rodrigo=rodrigo),
    )



SURVEY_QUESTIONS = [
    {"type": "single_choice", "code": "ONE", "label": "Preferred approach", "options": [("a", "Alpha"), ("b", "Bêta"),
                                                                                        ("c", "Gamma")], "other": True},
    {"type": "yes_no", "code": "YN", "label": "Do you agree?"},
    {"type": "multiple_choice", "code": "MANY", "label": "Which tools?", "options": ["x", "y", "z"], "other": True},
    {"type": "scale", "code": "SCALE", "label": "How useful?", "settings": {"min": 1, "max": 5}},
    {"type": "number", "code": "NUM", "label": "How many seizures?"},
    {"type": "long_text", "code": "TEXT", "label": "Your views"},
    {"type": "ranking", "code": "RANK", "label": "Priorities", "options": ["p", "q", "r"]},
    {"type": "matrix", "code": "GRID", "label": "Grid", "rows": ["r1", "r2"], "columns": ["c1", "c2"]},
    {"type": "date", "code": "WHEN", "label": "Since when?"},
]


def surveyed_consultation() -> SimpleNamespace:
    """Four submitted responses (and a draft that does not count) from organizations of three types in two groups.

    The expected figures are written out in tests/exports/test_report_numbers.py.
    """
    group = create_group("Counterfeiting and Piracy Group")
    consultation = create_consultation(group_id=group.id)
    a = organization("Aduana A", "FR", "customs")
    b = organization("Aduana B", "ES", "customs")
    c = organization("Rights C", "FR", "rights_holder")
    d = organization("Courier D", "PE", "intermediary")
    e = organization("Rights E", "FR", "rights_holder")
    first = create_group("Group One").id
    second = create_group("Group Two").id
    add_to_group(first, [a, b, c])
    add_to_group(second, [c, d, e])
    people = {key: person(org, f"Respondent {key.upper()}")
              for key, org in (("a", a), ("b", b), ("c", c), ("d", d), ("e", e))}
    survey = create_survey(consultation.id, SURVEY_QUESTIONS)
    add_response(survey.id, people["a"], "submitted", {
        "ONE": "a", "YN": "yes", "MANY": ["x", "y"], "SCALE": 5, "NUM": "10", "TEXT": "Café au lait",
        "RANK": ["p", "q", "r"], "GRID": {"r1": "c1", "r2": "c2"}, "WHEN": "2026-01-05",
    }, consent="named")
    add_response(survey.id, people["b"], "submitted", {
        "ONE": "a", "YN": "no", "MANY": ["x"], "SCALE": 4, "NUM": "2.5", "TEXT": "Secret text, do not publish",
        "RANK": ["q", "p", "r"], "GRID": {"r1": "c1", "r2": "c1"},
    }, consent="none")
    add_response(survey.id, people["c"], "submitted", {
        "ONE": "b", "YN": "yes", "MANY": {"choices": ["y", "other"], "other": "Drones"}, "SCALE": 1, "NUM": "-1",
        "TEXT": "=1+1 anonymous", "RANK": ["p", "r", "q"],
    }, consent="anonymous")
    add_response(survey.id, people["d"], "submitted", {
        "ONE": {"choice": "other", "other": "Mixed"}, "YN": "yes", "SCALE": 3, "NUM": "4",
    }, consent="named")
    add_response(survey.id, people["e"], "draft", {"ONE": "c", "SCALE": 1, "TEXT": "Draft words"})
    create_comment(consultation.id, people["a"], "Published remark.")
    create_comment(consultation.id, people["c"], "Hidden remark.", status="hidden")
    create_comment(consultation.id, people["d"], "Withdrawn remark.", status="withdrawn")
    return SimpleNamespace(slug=consultation.slug, id=consultation.id, group_id=group.id, survey=survey,
                           groups=(first, second), people=people)
