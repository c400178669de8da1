"""Surveys for tests, built straight from the models (call inside an app context)."""

from __future__ import annotations

from types import SimpleNamespace

from consult.extensions import db
from consult.i18n import LocalizedText, utcnow
from consult.surveys.models import Condition, Question, QuestionOption, Survey, SurveySection


def _text(value, original: str = "en") -> LocalizedText:
    return LocalizedText(value if isinstance(value, dict) else {original: value}, original)


def create_survey(
    consultation_id: int,
    questions: list[dict] | None = None,
    policy: str = "person",
    published: bool = True,
    allow_edit_after_submit: bool = True,
    sections: int = 1,
    title="Questionnaire",
) -> SimpleNamespace:
    """`questions`: dicts with type, code, label, required, options [codes or (code, label)], rows, columns,
    settings, section (index), conditions [(source code, operator, value)], other (bool)."""
    survey = Survey(
        consultation_id=consultation_id,
        title=_text(title),
        intro=_text("Please answer for your administration."),
        response_policy=policy,
        allow_edit_after_submit=allow_edit_after_submit,
        published_at=utcnow() if published else None,
    )
    survey.sections = [
        SurveySection(position=i, title=_text(f"Section {i + 1}"), intro=_text("")) for i in range(sections)
    ]
    db.session.add(survey)
    db.session.flush()
    by_code: dict[str, Question] = {}
    for position, spec in enumerate(questions or [{"type": "short_text", "code": "Q1", "label": "Your view?"}]):
        question = Question(
            survey=survey,
            section=survey.sections[spec.get("section", 0)],
            position=position,
            code=spec["code"],
            question_type=spec["type"],
            label=_text(spec.get("label", spec["code"])),
            help_text=_text(spec.get("help", "")),
            required=spec.get("required", False),
            settings=spec.get("settings", {}),
        )
        for kind, key in (("option", "options"), ("row", "rows"), ("column", "columns")):
            for index, option in enumerate(spec.get(key, [])):
                code, label = option if isinstance(option, tuple) else (option, option)
                question.options.append(QuestionOption(kind=kind, position=index, code=code, label=_text(label)))
        if spec.get("other"):
            question.options.append(QuestionOption(kind="option", position=99, code="other",
                                                   label=_text("Other"), is_other=True))
        db.session.add(question)
        db.session.flush()
        for source, operator, value in spec.get("conditions", []):
            question.conditions.append(
                Condition(source_question_id=by_code[source].id, operator=operator, value=value)
            )
        by_code[spec["code"]] = question
    db.session.commit()
    return SimpleNamespace(id=survey.id, question_ids={code: q.id for code, q in by_code.items()},
                           consultation_id=consultation_id)
