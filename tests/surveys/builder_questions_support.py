"""Posting the question form as a browser would, and reading questions back."""

from __future__ import annotations

from sqlalchemy import select

from consult.extensions import db
from consult.i18n import LOCALES
from consult.surveys.models import Question, SurveySection
from tests.surveys.builder_support import post, url


def question_data(kind: str = "short_text", code: str = "", label: str = "Your view?", options=None, rows=None,
                  columns=None, **fields) -> dict:
    """The question form's fields; each list entry is a code, (code, English label) or a dict of row fields."""
    data = {"question_type": kind, "code": code, "label_en": label}
    for code_ in LOCALES:
        data.setdefault(f"label_{code_}", "")
        data[f"help_{code_}"] = ""
    for name, entries in (("options", options), ("rows", rows), ("columns", columns)):
        for index, entry in enumerate(entries or []):
            if isinstance(entry, dict):
                row = entry
            elif isinstance(entry, tuple):
                row = {"code": entry[0], "label_en": entry[1]}
            else:
                row = {"code": entry, "label_en": entry.capitalize() or f"Entry {index + 1}"}
            for key, value in row.items():
                data[f"{name}-{index}-{key}"] = value
    data.update(fields)
    return data


def first_section(app, survey_id: int) -> int:
    with app.app_context():
        return db.session.scalars(
            select(SurveySection.id).where(SurveySection.survey_id == survey_id).order_by(SurveySection.position)
        ).first()


def new_question(env, survey_id: int, section_id: int, data: dict):
    path = url(env, survey_id, f"sections/{section_id}/questions/new")
    return post(env, path, data, form_page=f"{path}?type={data.get('question_type', 'short_text')}")


def edit_question(env, survey_id: int, question_id: int, data: dict):
    return post(env, url(env, survey_id, f"questions/{question_id}/edit"), data)


def question(app, survey_id: int, code: str) -> dict:
    """A question as plain data: type, settings, texts, its options by kind, its section and position."""
    with app.app_context():
        found = db.session.scalar(select(Question).where(Question.survey_id == survey_id, Question.code == code))
        if found is None:
            return {}
        return {
            "id": found.id,
            "type": found.question_type,
            "label": found.label.texts,
            "help": found.help_text.texts,
            "required": found.required,
            "settings": found.settings,
            "section": found.section.position,
            "position": found.position,
            "options": [(o.code, o.label.texts, o.is_other) for o in found.options_of()],
            "rows": [(o.code, o.label.texts) for o in found.options if o.kind == "row"],
            "columns": [(o.code, o.label.texts) for o in found.options if o.kind == "column"],
            "option_ids": {o.code: o.id for o in found.options},
        }


def order(app, survey_id: int) -> list[str]:
    """Question codes in survey order (section, then position)."""
    with app.app_context():
        rows = db.session.execute(
            select(Question.code)
            .join(SurveySection, Question.section_id == SurveySection.id)
            .where(Question.survey_id == survey_id)
            .order_by(SurveySection.position, Question.position)
        ).all()
        return [code for (code,) in rows]


def question_count(app, survey_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Question.id).where(Question.survey_id == survey_id)).all())
