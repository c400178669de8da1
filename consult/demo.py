"""`flask demo`: demonstration data, safe to load again and again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.i18n import LocalizedText, utcnow

ORGANIZATIONS = [
    # name, country, stakeholder type, verified
    ("Direction générale des douanes et droits indirects", "FR", "customs", True),
    ("Servicio Nacional de Aduanas", "CL", "customs", True),
    ("Kenya Revenue Authority — Customs", "KE", "customs", True),
    ("Japan Customs", "JP", "customs", True),
    ("Maison Lefèvre Parfums", "FR", "rights_holder", True),
    ("Nordic Fashion Brands Association", "SE", "rights_holder", True),
    ("Industria Farmacéutica Andina", "PE", "rights_holder", False),
    ("GlobalMarket Online", "US", "intermediary", True),
    ("Swift Parcel Couriers", "SG", "intermediary", True),
    ("PayBridge Payments", "NL", "intermediary", False),
    ("World Customs Organization Secretariat", "BE", "international_organization", True),
    ("Anti-Counterfeiting Research Institute", "GB", "other", False),
]

GROUPS = [
    {
        "name": {
            "en": "Counterfeiting and Piracy Group",
            "fr": "Groupe contrefaçon et piraterie",
            "es": "Grupo sobre falsificación y piratería",
        },
        "description": {
            "en": "Customs administrations, rights holders and intermediaries working on the enforcement of "
            "intellectual property rights at the border.",
            "fr": "Administrations des douanes, titulaires de droits et intermédiaires qui travaillent au respect "
            "des droits de propriété intellectuelle à la frontière.",
        },
        "members": ["customs", "rights_holder", "intermediary", "international_organization"],
    },
    {
        "name": {
            "en": "Rights Holders Consultative Group",
            "fr": "Groupe consultatif des titulaires de droits",
            "es": "Grupo consultivo de titulares de derechos",
        },
        "description": {
            "en": "Rights holders advising the secretariat on counterfeiting and piracy.",
        },
        "members": ["rights_holder"],
    },
]

# email, display name, role, organization, locale, time zone, password
USERS = [
    ("admin@consult.example", "Ada Admin", "admin",
     "World Customs Organization Secretariat", "en", "Europe/Brussels", "demo-admin-2026"),
    ("staff@consult.example", "Samuel Secretariat", "staff",
     "World Customs Organization Secretariat", "en", "Europe/Brussels", "demo-staff-2026"),
    ("moderator@consult.example", "Mónica Moderadora", "moderator",
     "World Customs Organization Secretariat", "es", "Europe/Madrid", "demo-moderator-2026"),
    ("delegate@consult.example", "Pauline Délégué", "participant",
     "Maison Lefèvre Parfums", "fr", "Europe/Paris", "demo-participant-2026"),
    ("rights@consult.example", "Rodrigo Quispe", "participant",
     "Industria Farmacéutica Andina", "es", "America/Lima", "demo-rights-2026"),
    ("customs@consult.example", "Carmen Aduana", "participant",
     "Servicio Nacional de Aduanas", "es", "America/Santiago", "demo-customs-2026"),
]


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create whatever demo objects are missing; return (role, email, password) for each demo login."""
    organizations = {}
    for name, country, kind, verified in ORGANIZATIONS:
        key = Organization.key_for(name)
        organization = db.session.scalar(select(Organization).where(Organization.name_key == key))
        if organization is None:
            organization = Organization(
                name=name, name_key=key, country=country, stakeholder_type=kind, verified=verified
            )
            db.session.add(organization)
        organizations[name] = organization
    db.session.flush()

    users = {}
    for email, display_name, role, organization_name, locale, zone, password in USERS:
        user = User.by_email(email)
        if user is None:
            user = User(email=email, display_name=display_name, role=role, locale=locale, timezone=zone,
                        organization=organizations[organization_name])
            user.set_password(password)
            db.session.add(user)
        users.setdefault(role, user)

    existing_groups = {group.name.get("en"): group for group in db.session.scalars(select(Group))}
    for spec in GROUPS:
        if spec["name"]["en"] in existing_groups:
            continue
        group = Group(
            name=LocalizedText(spec["name"], "en"),
            description=LocalizedText(spec["description"], "en"),
            organizations=[o for o in organizations.values() if o.stakeholder_type in spec["members"]],
            moderators=[users["moderator"]],
        )
        db.session.add(group)
    db.session.flush()
    _demo_consultation(users)
    db.session.commit()
    return [(role, email, password) for email, _name, role, _org, _loc, _zone, password in USERS]


DEMO_SLUG = "small-consignments-guidelines"
DEMO_PARAGRAPHS = [
    ("Customs administrations should apply risk management to small consignments.",
     "Les administrations des douanes devraient appliquer la gestion des risques aux petits envois.",
     "Las administraciones de aduanas deberían aplicar la gestión de riesgos a los envíos pequeños."),
    ("Intermediaries should share advance electronic data with customs.",
     "Les intermédiaires devraient transmettre des données électroniques préalables aux douanes.",
     "Los intermediarios deberían compartir datos electrónicos anticipados con las aduanas."),
    ("Rights holders should provide product identification guides to customs.",
     "Les titulaires de droits devraient fournir aux douanes des guides d’identification des produits.",
     None),
]


def _demo_consultation(users) -> None:
    """An open consultation with a document in three languages and a short questionnaire."""
    from consult.consultations.models import Consultation, DocumentVersion, Paragraph, WorkingDocument
    from consult.surveys.models import Question, QuestionOption, Survey, SurveySection

    if db.session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG)):
        return
    group = db.session.scalar(select(Group).where(Group.name_texts["en"].as_string() == GROUPS[0]["name"]["en"]))
    now = utcnow()
    consultation = Consultation(
        slug=DEMO_SLUG,
        title=LocalizedText({"en": "Draft guidelines on small consignments",
                             "fr": "Projet de lignes directrices sur les petits envois",
                             "es": "Proyecto de directrices sobre envíos pequeños"}, "en"),
        summary=LocalizedText({"en": "Written comments before the 18th meeting.",
                               "fr": "Commentaires écrits avant la 18e réunion.",
                               "es": "Comentarios por escrito antes de la 18.ª reunión."}, "en"),
        body=LocalizedText({"en": "The secretariat invites **all members** to comment paragraph by paragraph."}, "en"),
        group=group, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=21),
        time_zone="Europe/Brussels", published_at=now - timedelta(days=1),
        meeting_name="18th meeting of the Counterfeiting and Piracy Group", meeting_virtual=True,
        created_by=users["moderator"],
    )
    document = WorkingDocument(consultation=consultation, category="B",
                               title=LocalizedText({"en": "Draft guidelines", "fr": "Projet de lignes directrices",
                                                    "es": "Proyecto de directrices"}, "en"))
    version = DocumentVersion(document=document, number=1, original_locale="en", note="First draft")
    for number, texts in enumerate(DEMO_PARAGRAPHS, start=1):
        localized = {code: text for code, text in zip(("en", "fr", "es"), texts, strict=True) if text}
        version.paragraphs.append(Paragraph(position=number, number=number, kind="paragraph",
                                            thread_key=uuid.uuid4().hex, text=LocalizedText(localized, "en")))
    survey = Survey(consultation=consultation, response_policy="organization", published_at=now,
                    title=LocalizedText({"en": "Questionnaire on small consignments",
                                         "fr": "Questionnaire sur les petits envois",
                                         "es": "Cuestionario sobre envíos pequeños"}, "en"),
                    intro=LocalizedText({"en": "One response per organization."}, "en"))
    section = SurveySection(survey=survey, position=0, title=LocalizedText({"en": "Your practice"}, "en"),
                            intro=LocalizedText({}, "en"))
    agree = Question(survey=survey, section=section, position=0, code="Q1", question_type="yes_no", required=True,
                     label=LocalizedText({"en": "Do you support the draft guidelines?",
                                          "fr": "Soutenez-vous le projet de lignes directrices ?",
                                          "es": "¿Apoya el proyecto de directrices?"}, "en"),
                     help_text=LocalizedText({}, "en"))
    volume = Question(survey=survey, section=section, position=1, code="Q2", question_type="single_choice",
                      label=LocalizedText({"en": "How many small consignments do you handle each day?",
                                           "fr": "Combien de petits envois traitez-vous chaque jour ?"}, "en"),
                      help_text=LocalizedText({}, "en"), settings={"display": "radio"})
    for position, (code, label) in enumerate((("low", "Fewer than 1,000"), ("mid", "1,000 to 100,000"),
                                              ("high", "More than 100,000"))):
        volume.options.append(QuestionOption(kind="option", position=position, code=code,
                                             label=LocalizedText({"en": label}, "en")))
    db.session.add_all([consultation, document, survey, agree, volume])


@click.command("demo")
@with_appcontext
def demo_command():
    """Load demonstration data (safe to run again)."""
    logins = load_demo_data()
    click.echo("Demo data is ready. Sign in at http://127.0.0.1:5000/login with:")
    for role, email, password in logins:
        click.echo(f"  {role:<12} {email:<28} {password}")
