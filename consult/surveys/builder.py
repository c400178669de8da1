"""What a moderator does to a survey as a whole: create, edit, sections, publish, duplicate, import, delete.

Questions and conditions are in builder_questions. Each operation validates everything first, then writes,
audits and commits once; bad input raises InvalidInput, a state that forbids the action raises Refused, and
either way nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from consult.audit import record
from consult.consultations.models import Consultation
from consult.extensions import db
from consult.i18n import LOCALES, LocalizedText, utcnow
from consult.surveys import definition
from consult.surveys.builder_overview import LanguageCompleteness, completeness, describe_pairs, forward_conditions
from consult.surveys.builder_overview import order_keys as survey_order_keys
from consult.surveys.builder_rules import MAX_INTRO, MAX_TITLE, InvalidInput, Refused, check_texts, clean_texts
from consult.surveys.models import Question, Response, ResponsePolicy, Survey, SurveySection


def load_survey(survey_id: int) -> Survey | None:
    """A survey with its sections, questions, options and conditions, in a fixed number of queries."""
    return db.session.scalar(
        select(Survey)
        .where(Survey.id == survey_id)
        .options(
            selectinload(Survey.sections).selectinload(SurveySection.questions),
            selectinload(Survey.questions).selectinload(Question.options),
            selectinload(Survey.questions).selectinload(Question.conditions),
        )
    )


def has_responses(survey: Survey) -> bool:
    """Whether anyone has started answering (a draft counts): from then on answers must not be orphaned."""
    return bool(db.session.scalar(select(exists().where(Response.survey_id == survey.id))))


def refuse_if_answered(survey: Survey, message: str) -> None:
    if has_responses(survey):
        raise Refused(message)


def original_locale(survey: Survey) -> str:
    return survey.title.original


def localized(texts: dict[str, str], original: str) -> LocalizedText:
    return LocalizedText(dict(texts), original)


# --- The survey ---------------------------------------------------------------


@dataclass
class SurveyFields:
    title: dict[str, str]
    intro: dict[str, str]
    original: str
    response_policy: str = ResponsePolicy.PERSON.value
    allow_edit_after_submit: bool = True


def _checked_survey_fields(fields: SurveyFields) -> dict[str, str]:
    errors: dict[str, str] = {}
    fields.title = clean_texts(fields.title)
    fields.intro = clean_texts(fields.intro, multiline=True)
    if fields.original not in LOCALES:
        errors["original_locale"] = _("Choose the language the survey is first written in.")
    else:
        check_texts(errors, "title", fields.title, MAX_TITLE, fields.original)
    check_texts(errors, "intro", fields.intro, MAX_INTRO)
    if fields.response_policy not in {policy.value for policy in ResponsePolicy}:
        errors["response_policy"] = _("Choose who answers: each person, or each organization together.")
    return errors


def _next_survey_position(consultation: Consultation) -> int:
    highest = db.session.scalar(select(func.max(Survey.position)).where(Survey.consultation_id == consultation.id))
    return 0 if highest is None else highest + 1


def create_survey(actor, consultation: Consultation, fields: SurveyFields) -> Survey:
    errors = _checked_survey_fields(fields)
    if errors:
        raise InvalidInput(errors)
    survey = Survey(
        consultation=consultation,
        position=_next_survey_position(consultation),
        title=localized(fields.title, fields.original),
        intro=localized(fields.intro, fields.original),
        response_policy=fields.response_policy,
        allow_edit_after_submit=fields.allow_edit_after_submit,
    )
    db.session.add(survey)
    record(actor, "survey_created", survey, consultation=consultation.slug, title=fields.title)
    db.session.commit()
    return survey


def _relabel_originals(survey: Survey, original: str) -> None:
    """Every text of the survey now counts `original` as the language it was first written in."""
    for section in survey.sections:
        section.title = localized(section.title.texts, original)
        section.intro = localized(section.intro.texts, original)
    for question in survey.questions:
        question.label = localized(question.label.texts, original)
        question.help_text = localized(question.help_text.texts, original)
        for option in question.options:
            option.label = localized(option.label.texts, original)


def update_survey(actor, survey: Survey, fields: SurveyFields) -> None:
    errors = _checked_survey_fields(fields)
    if not errors and fields.response_policy != survey.response_policy and has_responses(survey):
        errors["response_policy"] = _(
            "People have started answering: who answers can no longer change."
        )
    if errors:
        raise InvalidInput(errors)
    before = {"title": survey.title.texts, "intro": survey.intro.texts}
    after = {"title": fields.title, "intro": fields.intro}
    settings_before = {
        "original": original_locale(survey),
        "response_policy": survey.response_policy,
        "allow_edit_after_submit": survey.allow_edit_after_submit,
    }
    settings_after = {
        "original": fields.original,
        "response_policy": fields.response_policy,
        "allow_edit_after_submit": fields.allow_edit_after_submit,
    }
    if fields.original != original_locale(survey):
        _relabel_originals(survey, fields.original)
    survey.title = localized(fields.title, fields.original)
    survey.intro = localized(fields.intro, fields.original)
    survey.response_policy = fields.response_policy
    survey.allow_edit_after_submit = fields.allow_edit_after_submit
    record_wording(actor, survey, before, after)
    changes = {
        key: [settings_before[key], settings_after[key]]
        for key in settings_before
        if settings_before[key] != settings_after[key]
    }
    if changes:
        record(actor, "survey_updated", survey, changes=changes)
    db.session.commit()


def record_wording(actor, survey: Survey, before: dict, after: dict, **where) -> None:
    """Audit the texts that changed, before and after (wording may change even once answers exist).

    `where` names the part reworded (section=2, question="Q3"); nothing for the survey's own texts.
    """
    changed = [key for key in after if before.get(key) != after.get(key)]
    if changed:
        record(
            actor,
            "survey_wording_changed",
            survey,
            **where,
            before={key: before.get(key) for key in changed},
            after={key: after.get(key) for key in changed},
        )


def delete_survey(actor, survey: Survey) -> None:
    refuse_if_answered(survey, _("People have started answering this survey: it cannot be deleted."))
    record(actor, "survey_deleted", survey, title=survey.title.texts)
    for question in survey.questions:
        question.conditions.clear()
    db.session.flush()  # conditions first: a question others depend on cannot go before them
    db.session.delete(survey)
    db.session.commit()


# --- Sections -------------------------------------------------------------------


@dataclass
class SectionFields:
    title: dict[str, str]
    intro: dict[str, str]


def _checked_section_fields(survey: Survey, fields: SectionFields) -> None:
    errors: dict[str, str] = {}
    fields.title = clean_texts(fields.title)
    fields.intro = clean_texts(fields.intro, multiline=True)
    check_texts(errors, "title", fields.title, MAX_TITLE, original_locale(survey))
    check_texts(errors, "intro", fields.intro, MAX_INTRO)
    if errors:
        raise InvalidInput(errors)


def add_section(actor, survey: Survey, fields: SectionFields) -> SurveySection:
    _checked_section_fields(survey, fields)
    original = original_locale(survey)
    position = max((section.position for section in survey.sections), default=-1) + 1
    section = SurveySection(
        position=position, title=localized(fields.title, original), intro=localized(fields.intro, original)
    )
    survey.sections.append(section)
    record(actor, "survey_section_added", survey, section=position + 1, title=fields.title)
    db.session.commit()
    return section


def section_number(section: SurveySection) -> int:
    return section.survey.sections.index(section) + 1


def update_section(actor, section: SurveySection, fields: SectionFields) -> None:
    survey = section.survey
    _checked_section_fields(survey, fields)
    before = {"title": section.title.texts, "intro": section.intro.texts}
    original = original_locale(survey)
    section.title = localized(fields.title, original)
    section.intro = localized(fields.intro, original)
    after = {"title": fields.title, "intro": fields.intro}
    record_wording(actor, survey, before, after, section=section_number(section))
    db.session.commit()


def delete_section(actor, section: SurveySection) -> None:
    survey = section.survey
    if section.questions:
        raise Refused(_("This section still has questions: move or delete them first."))
    number = section_number(section)
    survey.sections.remove(section)
    db.session.delete(section)
    for position, other in enumerate(survey.sections):
        other.position = position
    record(actor, "survey_section_deleted", survey, section=number, title=section.title.texts)
    db.session.commit()


def move_section(actor, section: SurveySection, direction: int) -> None:
    """Swap the section with the one before (-1) or after (+1), unless a condition would then point forward."""
    survey = section.survey
    sections = list(survey.sections)
    index = sections.index(section)
    target = index + direction
    if direction not in (-1, 1) or not 0 <= target < len(sections):
        return
    sections[index], sections[target] = sections[target], sections[index]
    new_positions = {s.id: position for position, s in enumerate(sections)}
    current = survey_order_keys(survey)
    keys = {q.id: (new_positions[q.section_id], *current[q.id][1:]) for q in survey.questions}
    blocked = forward_conditions(survey, keys)
    if blocked:
        raise Refused(_(
            "Moving this section would make conditions look at later questions: %(pairs)s.",
            pairs=describe_pairs(blocked),
        ))
    for s in sections:
        s.position = new_positions[s.id]
    record(actor, "survey_section_moved", survey, section=index + 1, to=target + 1)
    db.session.commit()


# --- Publishing ----------------------------------------------------------------------


def publish(actor, survey: Survey, confirmed: bool) -> list[LanguageCompleteness]:
    """Publish; without `confirmed`, return the languages with missing texts instead (nothing written)."""
    if not survey.questions:
        raise Refused(_("Add at least one question before publishing the survey."))
    if survey.published_at is not None:
        return []
    incomplete = [language for language in completeness(survey) if language.missing]
    if incomplete and not confirmed:
        return incomplete
    survey.published_at = utcnow()
    record(
        actor,
        "survey_published",
        survey,
        missing_translations={language.code: len(language.missing) for language in incomplete},
    )
    db.session.commit()
    return []


def unpublish(actor, survey: Survey) -> None:
    if survey.published_at is None:
        return
    refuse_if_answered(survey, _("People have started answering this survey: it stays published."))
    survey.published_at = None
    record(actor, "survey_unpublished", survey)
    db.session.commit()


# --- Copies and definitions -----------------------------------------------------------


def copy_title(texts: dict[str, str]) -> dict[str, str]:
    """"… (copy)" in each language the title is written in."""
    copied = {}
    for code, text in texts.items():
        with force_locale(code):
            copied[code] = _("%(title)s (copy)", title=text)[:MAX_TITLE]
    return copied


def duplicate_survey(actor, survey: Survey) -> Survey:
    """A deep copy on the same consultation, unpublished, its conditions pointing to the copied questions."""
    copied = definition.from_survey(survey)
    copied.title = copy_title(copied.title)
    new = definition.build_survey(copied)
    new.consultation = survey.consultation
    new.position = _next_survey_position(survey.consultation)
    db.session.add(new)
    record(actor, "survey_duplicated", new, source=survey.id)
    db.session.commit()
    return new


def import_survey(actor, consultation: Consultation, content: bytes) -> Survey:
    """A new unpublished survey from a JSON definition; raises definition.InvalidDefinition listing every problem."""
    parsed = definition.parse(content)
    survey = definition.build_survey(parsed)
    survey.consultation = consultation
    survey.position = _next_survey_position(consultation)
    db.session.add(survey)
    record(actor, "survey_imported", survey, consultation=consultation.slug,
           questions=sum(len(section.questions) for section in parsed.sections))
    db.session.commit()
    return survey
