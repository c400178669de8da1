"""What a moderator does to the questions of a survey and their conditions.

The rules that protect answers: a condition only looks at an earlier question; a question others depend on
is not deleted, and no move makes a condition look forward; once anyone has started answering, nothing that
answers point to (a question, its type, its code, an option's code, an option) goes away or changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from consult.audit import record
from consult.extensions import db
from consult.i18n import LOCALES
from consult.surveys.builder import has_responses, localized, original_locale, record_wording, refuse_if_answered
from consult.surveys.builder_overview import (
    codes,
    dependents_of,
    describe_condition,
    describe_pairs,
    forward_conditions,
    order_keys,
)
from consult.surveys.builder_rules import (
    CHOICE_LISTS,
    OTHER_CODE,
    ChoiceSpec,
    InvalidInput,
    QuestionSpec,
    Refused,
    check_condition,
    check_question,
    condition_value,
    fill_codes,
)
from consult.surveys.models import Condition, OptionKind, Question, QuestionOption, QuestionType, SurveySection

LIST_KINDS = {"options": OptionKind.OPTION, "rows": OptionKind.ROW, "columns": OptionKind.COLUMN}
WORDING = ("label", "help", "choices", "min_label", "max_label")


def other_choice(question: Question | None) -> ChoiceSpec:
    """The "Other, please specify" choice: the stored one, or a new one labelled in every language."""
    if question is not None:
        for option in question.options:
            if option.is_other:
                return ChoiceSpec(OTHER_CODE, dict(option.label.texts), True, option.id)
    labels = {}
    for code in LOCALES:
        with force_locale(code):
            labels[code] = _("Other, please specify")
    return ChoiceSpec(OTHER_CODE, labels, True)


def spec_of(question: Question) -> QuestionSpec:
    """A stored question as the builder edits it."""

    def choices(kind: OptionKind) -> list[ChoiceSpec]:
        return [ChoiceSpec(o.code, dict(o.label.texts), o.is_other, o.id) for o in question.options_of(kind)]

    return QuestionSpec(
        code=question.code,
        question_type=question.question_type,
        label=dict(question.label.texts),
        help=dict(question.help_text.texts),
        required=question.required,
        settings=dict(question.settings or {}),
        options=choices(OptionKind.OPTION),
        rows=choices(OptionKind.ROW),
        columns=choices(OptionKind.COLUMN),
    )


def _checked(survey, spec: QuestionSpec, question: Question | None) -> dict[str, str]:
    taken = {q.code for q in survey.questions if question is None or q.id != question.id}
    fill_codes(spec, taken)
    return check_question(spec, original_locale(survey), taken)


def _write_options(question: Question, spec: QuestionSpec, original: str) -> None:
    existing = {option.id: option for option in question.options}
    wanted = [(name, c) for name in CHOICE_LISTS for c in spec.choices(name)]
    kept_ids = {c.existing_id for _name, c in wanted if c.existing_id in existing}
    if existing:
        # Codes are unique per question and may be reused or swapped: free them before writing the new ones.
        question.options = [option for option in question.options if option.id in kept_ids]
        db.session.flush()
        for _name, choice in wanted:
            option = existing.get(choice.existing_id)
            if option is not None and option.code != choice.code:
                option.code = f"~{option.id}"
        db.session.flush()
    options = []
    for name in CHOICE_LISTS:
        for position, choice in enumerate(spec.choices(name)):
            option = existing.get(choice.existing_id) if choice.existing_id in kept_ids else None
            option = option or QuestionOption(kind=LIST_KINDS[name].value)
            option.position = position
            option.code = choice.code
            option.label = localized(choice.label, original)
            option.is_other = choice.is_other
            options.append(option)
    question.options = options


def _wording(spec: QuestionSpec) -> dict[str, Any]:
    choices = {f"{name}:{c.code}": c.label for name in CHOICE_LISTS for c in spec.choices(name)}
    wording = {"label": spec.label, "help": spec.help, "choices": choices}
    if spec.kind is QuestionType.SCALE:
        wording["min_label"] = spec.settings.get("min_label", {})
        wording["max_label"] = spec.settings.get("max_label", {})
    return wording


def _structure(spec: QuestionSpec) -> dict[str, Any]:
    settings = {k: v for k, v in spec.settings.items() if k not in ("min_label", "max_label")}
    return {
        "code": spec.code,
        "type": spec.question_type,
        "required": spec.required,
        "settings": settings,
        "choices": [f"{name}:{c.code}" for name in CHOICE_LISTS for c in spec.choices(name)],
    }


# --- Adding and editing -------------------------------------------------------------


@contextmanager
def _saving() -> Iterator[None]:
    """Write and commit; a code taken meanwhile by someone else becomes a field error, not a 500."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput({"code": _("Someone else has just used this code. Choose another one.")}) from None


def add_question(actor, section: SurveySection, spec: QuestionSpec) -> Question:
    survey = section.survey
    errors = _checked(survey, spec, None)
    if errors:
        raise InvalidInput(errors)
    original = original_locale(survey)
    with _saving():
        question = Question(
            survey=survey,
            section=section,
            position=max((q.position for q in section.questions), default=-1) + 1,
            code=spec.code,
            question_type=spec.question_type,
            label=localized(spec.label, original),
            help_text=localized(spec.help, original),
            required=spec.required,
            settings=spec.settings,
        )
        _write_options(question, spec, original)
        db.session.add(question)
        record(actor, "survey_question_added", survey, question=spec.code, type=spec.question_type)
    return question


def _orphan_errors(question: Question, spec: QuestionSpec) -> dict[str, str]:
    """Once answers exist: what this edit would take away from them."""
    errors: dict[str, str] = {}
    if spec.question_type != question.question_type:
        errors["question_type"] = _("People have started answering: the type of a question can no longer change.")
    if spec.code != question.code:
        errors["code"] = _("People have started answering: the code of a question can no longer change.")
    for name, kind in LIST_KINDS.items():
        stored = question.options_of(kind)
        given = spec.choices(name)
        given_ids = {c.existing_id for c in given}
        removed = [option.code for option in stored if option.id not in given_ids]
        if removed:
            errors[name] = _(
                "People have started answering: %(codes)s cannot be removed.", codes=", ".join(removed)
            )
        by_id = {option.id: option for option in stored}
        seen_new = False
        for index, choice in enumerate(given):
            option = by_id.get(choice.existing_id)
            if option is not None and option.code != choice.code:
                errors[f"{name}[{index}].code"] = _(
                    "People have started answering: the code %(code)s can no longer change.", code=option.code
                )
            if option is None and not choice.is_other:
                seen_new = True
            elif seen_new and option is not None and not option.is_other:
                errors.setdefault(name, _("People have started answering: new entries can only go at the end."))
    return errors


def _dependent_errors(question: Question, spec: QuestionSpec) -> dict[str, str]:
    """Conditions of other questions that the new type or options would break."""
    survey = question.survey
    option_codes = [choice.code for choice in spec.options]
    broken = []
    for dependent in dependents_of(survey, question):
        for condition in dependent.conditions:
            if condition.source_question_id != question.id:
                continue
            if check_condition(spec.kind, option_codes, condition.operator, condition.value):
                broken.append(_("%(code)s (%(condition)s)", code=dependent.code,
                                condition=describe_condition(condition, question)))
    if not broken:
        return {}
    key = "question_type" if spec.question_type != question.question_type else "options"
    return {key: _(
        "Conditions of other questions need what you changed: %(conditions)s. Change or remove those conditions first.",
        conditions="; ".join(broken),
    )}


def update_question(actor, question: Question, spec: QuestionSpec) -> None:
    survey = question.survey
    errors = _checked(survey, spec, question)
    for name, kind in LIST_KINDS.items():
        known = {option.id for option in question.options_of(kind)}
        for index, choice in enumerate(spec.choices(name)):
            if choice.existing_id is not None and choice.existing_id not in known:
                errors[f"{name}[{index}].code"] = _("This entry no longer exists; reload the page.")
            known.discard(choice.existing_id)  # each stored entry is edited by one row only
    if not errors and has_responses(survey):
        errors.update(_orphan_errors(question, spec))
    if not errors:
        errors.update(_dependent_errors(question, spec))
    if errors:
        raise InvalidInput(errors)
    before_wording, before_structure = _wording(spec_of(question)), _structure(spec_of(question))
    with _saving():
        _write_question(actor, question, spec, before_wording, before_structure)


def _write_question(actor, question: Question, spec: QuestionSpec, before_wording: dict, before_structure: dict):
    survey = question.survey
    original = original_locale(survey)
    question.code = spec.code
    question.question_type = spec.question_type
    question.label = localized(spec.label, original)
    question.help_text = localized(spec.help, original)
    question.required = spec.required
    question.settings = spec.settings
    _write_options(question, spec, original)
    after_wording, after_structure = _wording(spec), _structure(spec)
    changed = {k: [before_structure[k], after_structure[k]] for k in after_structure
               if before_structure[k] != after_structure[k]}
    if changed:
        record(actor, "survey_question_updated", survey, question=spec.code, changes=changed)
    record_wording(actor, survey, before_wording, after_wording, question=spec.code)


# --- Deleting and moving -------------------------------------------------------------


def delete_question(actor, question: Question) -> None:
    survey = question.survey
    dependents = dependents_of(survey, question)
    if dependents:
        raise Refused(_(
            "%(code)s cannot be deleted: the conditions of %(questions)s look at its answer. "
            "Remove those conditions first.",
            code=question.code, questions=codes(dependents),
        ))
    refuse_if_answered(survey, _("People have started answering: questions can no longer be deleted."))
    remaining = [q for q in question.section.questions if q.id != question.id]
    db.session.delete(question)
    for position, other in enumerate(remaining):
        other.position = position
    record(actor, "survey_question_deleted", survey, question=question.code, label=question.label.texts)
    db.session.commit()


def _refuse_forward(survey, keys, code: str) -> None:
    blocked = forward_conditions(survey, keys)
    if blocked:
        raise Refused(_(
            "Moving %(code)s would make conditions look at later questions: %(pairs)s.",
            code=code, pairs=describe_pairs(blocked),
        ))


def move_question(actor, question: Question, direction: int) -> None:
    """Swap the question with the one before (-1) or after (+1) in its section."""
    siblings = list(question.section.questions)
    index = siblings.index(question)
    target = index + direction
    if direction not in (-1, 1) or not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    survey = question.survey
    keys = order_keys(survey)
    for position, sibling in enumerate(siblings):
        keys[sibling.id] = (keys[sibling.id][0], position, sibling.id)
    _refuse_forward(survey, keys, question.code)
    for position, sibling in enumerate(siblings):
        sibling.position = position
    record(actor, "survey_question_moved", survey, question=question.code, position=target + 1)
    db.session.commit()


def move_question_to_section(actor, question: Question, section: SurveySection) -> None:
    """Put the question at the end of another section of the same survey."""
    survey = question.survey
    if section.id == question.section_id:
        return
    keys = order_keys(survey)
    end = max((q.position for q in section.questions), default=-1) + 1
    keys[question.id] = (section.position, end, question.id)
    _refuse_forward(survey, keys, question.code)
    old_section = question.section
    question.section = section
    question.position = end
    for position, other in enumerate(q for q in old_section.questions if q.id != question.id):
        other.position = position
    record(actor, "survey_question_moved", survey, question=question.code,
           section=survey.sections.index(section) + 1)
    db.session.commit()


# --- Conditions -----------------------------------------------------------------------


def add_condition(actor, question: Question, source_id: int | None, operator: str, value: str) -> Condition:
    survey = question.survey
    source = next((q for q in survey.questions if q.id == source_id), None)
    if source is None:
        raise InvalidInput({"source": _("Choose a question of this survey.")})
    keys = order_keys(survey)
    if keys[source.id] >= keys[question.id]:
        raise InvalidInput({"source": _(
            "%(source)s does not come before %(code)s: a condition can only look at an earlier question.",
            source=source.code, code=question.code,
        )})
    value = (value or "").strip()
    option_codes = [option.code for option in source.options_of(OptionKind.OPTION)]
    errors = check_condition(source.kind, option_codes, operator, value)
    if errors:
        raise InvalidInput(errors)
    value = condition_value(operator, value)
    if any((c.source_question_id, c.operator, c.value) == (source.id, operator, value) for c in question.conditions):
        raise InvalidInput({"source": _("This question already has this condition.")})
    refuse_if_answered(survey, _(
        "People have started answering: a new condition could hide questions already answered and lose "
        "those answers."
    ))
    condition = Condition(source_question=source, operator=operator, value=value)
    question.conditions.append(condition)
    record(actor, "survey_condition_added", survey, question=question.code, source=source.code,
           operator=operator, value=value)
    db.session.commit()
    return condition


def remove_condition(actor, condition: Condition) -> None:
    question = condition.question
    question.conditions.remove(condition)
    record(actor, "survey_condition_removed", question.survey, question=question.code,
           source=condition.source_question.code, operator=condition.operator, value=condition.value)
    db.session.commit()
