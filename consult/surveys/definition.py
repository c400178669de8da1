"""A survey's definition as JSON: exported for reuse, imported (fully validated) as a new unpublished survey.

The shape, in the manner of a JSON Schema (every object is closed: unknown keys are refused)::

    {
      "format": "consult.survey",                    required, exactly this
      "version": 1,                                  required, exactly 1
      "original_language": "en" | "fr" | "es",       required: the language the texts were first written in
      "title": Texts,                                required, with a text in the original language
      "intro": Texts,                                optional (Markdown)
      "response_policy": "person" | "organization",  optional, default "person"
      "allow_edit_after_submit": boolean,            optional, default true
      "sections": [                                  required, in order
        {
          "title": Texts,                            required, with a text in the original language
          "intro": Texts,                            optional (Markdown)
          "questions": [                             required, in order
            {
              "code": string,                        required, ^[A-Za-z0-9_-]{1,32}$, unique in the survey
              "type": "short_text" | "long_text" | "single_choice" | "multiple_choice" | "yes_no" | "scale"
                      | "number" | "date" | "ranking" | "matrix" | "file",
              "label": Texts,                        required, with a text in the original language
              "help": Texts,                         optional
              "required": boolean,                   optional, default false
              "settings": object,                    optional; keys by type (missing ones take their default):
                  short_text, long_text: {"max_length": integer}
                  single_choice: {"display": "radio" | "dropdown"}
                  multiple_choice: {"min_selections": integer, "max_selections": integer | null}
                  scale: {"min": 1, "max": 5 | 10, "min_label": Texts, "max_label": Texts}
                  number: {"min": decimal string | null, "max": decimal string | null, "integer_only": boolean}
                  date: {"min": "YYYY-MM-DD" | null, "max": "YYYY-MM-DD" | null}
                  file: {"max_bytes": integer}
                  yes_no, ranking, matrix: {}
              "options": [Choice],                   single_choice, multiple_choice, ranking
              "rows": [Choice], "columns": [Choice], matrix
              "conditions": [                        optional; all must hold for the question to be shown
                {"source": string,                   the code of an EARLIER question
                 "operator": "equals" | "not_equals" | "contains" | "answered",
                 "value": string}                    an option code of the source, "yes"/"no", or text;
              ]                                      omitted or "" for "answered"
            }
          ]
        }
      ]
    }
    Texts  = {"en": string, "fr": string, "es": string}   any of the three languages
    Choice = {"code": string ^[A-Za-z0-9_-]{1,64}$ unique in its list, "label": Texts,
              "other": boolean (options only; the "Other, please specify" choice, code "other", last)}

Every problem is reported with its path, such as ``sections[1].questions[0].options[2].code``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from consult.i18n import LOCALES, LocalizedText
from consult.surveys.builder_rules import (
    CHOICE_LISTS,
    MAX_INTRO,
    MAX_TITLE,
    ChoiceSpec,
    QuestionSpec,
    check_condition,
    check_question,
    check_texts,
    clean_texts,
    condition_value,
)
from consult.surveys.models import (
    Condition,
    OptionKind,
    Question,
    QuestionOption,
    QuestionType,
    ResponsePolicy,
    Survey,
    SurveySection,
)

FORMAT = "consult.survey"
VERSION = 1
MAX_BYTES = 1024 * 1024
LIST_KINDS = {"options": OptionKind.OPTION, "rows": OptionKind.ROW, "columns": OptionKind.COLUMN}
SURVEY_KEYS = {"format", "version", "original_language", "title", "intro", "response_policy",
               "allow_edit_after_submit", "sections"}
SECTION_KEYS = {"title", "intro", "questions"}
QUESTION_KEYS = {"code", "type", "label", "help", "required", "settings", "conditions", *CHOICE_LISTS}
CHOICE_KEYS = {"code", "label", "other"}
CONDITION_KEYS = {"source", "operator", "value"}


@dataclass
class ConditionDefinition:
    source: str
    operator: str
    value: str = ""


@dataclass
class QuestionDefinition:
    spec: QuestionSpec
    conditions: list[ConditionDefinition] = field(default_factory=list)


@dataclass
class SectionDefinition:
    title: dict[str, str]
    intro: dict[str, str]
    questions: list[QuestionDefinition] = field(default_factory=list)


@dataclass
class SurveyDefinition:
    original: str
    title: dict[str, str]
    intro: dict[str, str]
    response_policy: str
    allow_edit_after_submit: bool
    sections: list[SectionDefinition] = field(default_factory=list)


class InvalidDefinition(Exception):
    """Every problem found in a definition, as (path, message); the path is "" for the file as a whole."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in problems))
        self.problems = problems

    @property
    def lines(self) -> list[str]:
        return [f"{path}: {message}" if path else message for path, message in self.problems]


# --- Export ------------------------------------------------------------------------


def from_survey(survey: Survey) -> SurveyDefinition:
    """The definition of a stored survey (loaded with its sections, questions, options and conditions)."""
    by_id = {question.id: question for question in survey.questions}
    sections = []
    for section in survey.sections:
        questions = []
        for question in sorted(section.questions, key=lambda q: (q.position, q.id)):
            spec = QuestionSpec(
                code=question.code,
                question_type=question.question_type,
                label=dict(question.label.texts),
                help=dict(question.help_text.texts),
                required=question.required,
                settings=json.loads(json.dumps(question.settings or {})),
                **{name: [ChoiceSpec(o.code, dict(o.label.texts), o.is_other) for o in question.options_of(kind)]
                   for name, kind in LIST_KINDS.items()},
            )
            conditions = [
                ConditionDefinition(by_id[c.source_question_id].code, c.operator, c.value) for c in question.conditions
            ]
            questions.append(QuestionDefinition(spec, conditions))
        sections.append(SectionDefinition(dict(section.title.texts), dict(section.intro.texts), questions))
    return SurveyDefinition(
        original=survey.title.original,
        title=dict(survey.title.texts),
        intro=dict(survey.intro.texts),
        response_policy=survey.response_policy,
        allow_edit_after_submit=survey.allow_edit_after_submit,
        sections=sections,
    )


def _choice_json(name: str, choice: ChoiceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"code": choice.code, "label": choice.label}
    if name == "options":
        data["other"] = choice.is_other
    return data


def to_json(definition: SurveyDefinition) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "original_language": definition.original,
        "title": definition.title,
        "intro": definition.intro,
        "response_policy": definition.response_policy,
        "allow_edit_after_submit": definition.allow_edit_after_submit,
        "sections": [
            {
                "title": section.title,
                "intro": section.intro,
                "questions": [
                    {
                        "code": q.spec.code,
                        "type": q.spec.question_type,
                        "label": q.spec.label,
                        "help": q.spec.help,
                        "required": q.spec.required,
                        "settings": q.spec.settings,
                        **{name: [_choice_json(name, c) for c in q.spec.choices(name)] for name in CHOICE_LISTS},
                        "conditions": [
                            {"source": c.source, "operator": c.operator, "value": c.value} for c in q.conditions
                        ],
                    }
                    for q in section.questions
                ],
            }
            for section in definition.sections
        ],
    }


# --- Import --------------------------------------------------------------------------


class _Reader:
    """Walks untrusted JSON, noting each problem with its path and carrying on."""

    def __init__(self, all_codes: set[str]) -> None:
        self.problems: list[tuple[str, str]] = []
        self.all_codes = all_codes  # every question code in the file, to tell a later question from none

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def object(self, value: Any, path: str, keys: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, _("Expected an object ({…})."))
            return {}
        for key in sorted(set(value) - keys):
            self.problem(_join(path, key), _("Unknown key."))
        for key in sorted(required - set(value)):
            self.problem(_join(path, key), _("This key is required."))
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.problem(path, _("Expected a list ([…])."))
            return []
        return value

    def string(self, value: Any, path: str, default: str = "") -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(path, _("Expected a text (\"…\")."))
            return default
        return value

    def boolean(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(path, _("Expected true or false."))
            return default
        return value

    def texts(self, value: Any, path: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, _("Expected texts by language, such as {\"en\": \"…\", \"fr\": \"…\"}."))
            return {}
        texts = {}
        for code, text in value.items():
            if code not in LOCALES:
                self.problem(_join(path, code), _("Unknown language: use en, fr or es."))
            elif not isinstance(text, str):
                self.problem(_join(path, code), _("Expected a text (\"…\")."))
            else:
                texts[code] = text
        return texts

    def errors(self, path: str, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            self.problem(_join(path, key), message)


def _join(path: str, key: str) -> str:
    if not key:
        return path
    if key.startswith("["):
        return f"{path}{key}"
    return f"{path}.{key}" if path else key


def parse(content: bytes) -> SurveyDefinition:
    """The definition in an uploaded file, or InvalidDefinition listing every problem."""
    if len(content) > MAX_BYTES:
        raise InvalidDefinition([("", _("The file is larger than 1 MB."))])
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidDefinition([("", _("The file is not UTF-8 text."))]) from None
    except json.JSONDecodeError as error:
        raise InvalidDefinition([("", _("The file is not valid JSON (line %(line)d, column %(column)d).",
                                          line=error.lineno, column=error.colno))]) from None
    except RecursionError:
        raise InvalidDefinition([("", _("The file is nested too deeply."))]) from None
    return read(data)


def read(data: Any) -> SurveyDefinition:
    """Validate a parsed definition completely; InvalidDefinition lists every problem found."""
    reader = _Reader(_question_codes(data))
    root = reader.object(data, "", SURVEY_KEYS, {"format", "version", "original_language", "title", "sections"})
    if root.get("format", FORMAT) != FORMAT or root.get("version", VERSION) != VERSION:
        reader.problem("format", _("This is not a Consult survey definition (format %(format)s, version %(version)d).",
                                   format=FORMAT, version=VERSION))
    original = root.get("original_language", "en")
    if original not in LOCALES:
        reader.problem("original_language", _("Unknown language: use en, fr or es."))
        original = "en"
    policy = reader.string(root.get("response_policy"), "response_policy", ResponsePolicy.PERSON.value)
    if policy not in {p.value for p in ResponsePolicy}:
        reader.problem("response_policy", _("Use \"person\" or \"organization\"."))
    definition = SurveyDefinition(
        original=original,
        title=clean_texts(reader.texts(root.get("title"), "title")),
        intro=clean_texts(reader.texts(root.get("intro"), "intro"), multiline=True),
        response_policy=policy,
        allow_edit_after_submit=reader.boolean(root.get("allow_edit_after_submit"), "allow_edit_after_submit", True),
    )
    errors: dict[str, str] = {}
    check_texts(errors, "title", definition.title, MAX_TITLE, original)
    check_texts(errors, "intro", definition.intro, MAX_INTRO)
    reader.errors("", errors)
    seen: dict[str, QuestionSpec] = {}
    for s_index, raw_section in enumerate(reader.array(root.get("sections", []), "sections")):
        definition.sections.append(_read_section(reader, raw_section, f"sections[{s_index}]", original, seen))
    if reader.problems:
        raise InvalidDefinition(reader.problems)
    return definition


def _question_codes(data: Any) -> set[str]:
    found = set()
    sections = data.get("sections") if isinstance(data, dict) else None
    for section in sections if isinstance(sections, list) else []:
        questions = section.get("questions") if isinstance(section, dict) else None
        for question in questions if isinstance(questions, list) else []:
            if isinstance(question, dict) and isinstance(question.get("code"), str):
                found.add(question["code"].strip())
    return found


def _read_section(reader: _Reader, raw: Any, path: str, original: str, seen: dict[str, QuestionSpec]):
    data = reader.object(raw, path, SECTION_KEYS, {"title", "questions"})
    section = SectionDefinition(
        title=clean_texts(reader.texts(data.get("title"), _join(path, "title"))),
        intro=clean_texts(reader.texts(data.get("intro"), _join(path, "intro")), multiline=True),
    )
    errors: dict[str, str] = {}
    check_texts(errors, "title", section.title, MAX_TITLE, original)
    check_texts(errors, "intro", section.intro, MAX_INTRO)
    reader.errors(path, errors)
    for q_index, raw_question in enumerate(reader.array(data.get("questions", []), _join(path, "questions"))):
        q_path = f"{path}.questions[{q_index}]"
        question = _read_question(reader, raw_question, q_path, original, seen)
        if question is not None:
            section.questions.append(question)
    return section


def _read_choices(reader: _Reader, raw: Any, path: str) -> list[ChoiceSpec]:
    choices = []
    for index, item in enumerate(reader.array(raw if raw is not None else [], path)):
        c_path = f"{path}[{index}]"
        data = reader.object(item, c_path, CHOICE_KEYS, {"code", "label"})
        choices.append(ChoiceSpec(
            code=reader.string(data.get("code"), _join(c_path, "code")),
            label=reader.texts(data.get("label"), _join(c_path, "label")),
            is_other=reader.boolean(data.get("other"), _join(c_path, "other"), False),
        ))
    return choices


def _read_question(reader: _Reader, raw: Any, path: str, original: str, seen: dict[str, QuestionSpec]):
    data = reader.object(raw, path, QUESTION_KEYS, {"code", "type", "label"})
    if not data:
        return None
    spec = QuestionSpec(
        code=reader.string(data.get("code"), _join(path, "code")).strip(),
        question_type=reader.string(data.get("type"), _join(path, "type")),
        label=reader.texts(data.get("label"), _join(path, "label")),
        help=reader.texts(data.get("help"), _join(path, "help")),
        required=reader.boolean(data.get("required"), _join(path, "required"), False),
        settings=data.get("settings") if data.get("settings") is not None else {},
        **{name: _read_choices(reader, data.get(name), _join(path, name)) for name in CHOICE_LISTS},
    )
    errors = check_question(spec, original, set(seen))
    if "question_type" in errors:
        errors["type"] = errors.pop("question_type")
    reader.errors(path, errors)
    conditions = [
        _read_condition(reader, item, f"{path}.conditions[{index}]", spec, seen)
        for index, item in enumerate(reader.array(data.get("conditions", []), _join(path, "conditions")))
    ]
    if spec.code and spec.code not in seen:
        seen[spec.code] = spec
    return QuestionDefinition(spec, [c for c in conditions if c is not None])


def _read_condition(reader: _Reader, raw: Any, path: str, question: QuestionSpec, seen: dict[str, QuestionSpec]):
    data = reader.object(raw, path, CONDITION_KEYS, {"source", "operator"})
    source_code = reader.string(data.get("source"), _join(path, "source"))
    operator = reader.string(data.get("operator"), _join(path, "operator"))
    value = reader.string(data.get("value"), _join(path, "value"))
    if not data or not source_code:
        return None
    source = seen.get(source_code)
    if source is None:
        if source_code == question.code:
            message = _("A question cannot depend on itself.")
        elif source_code in reader.all_codes:
            message = _("%(code)s comes later in the survey: a condition can only look at an earlier question.",
                        code=source_code)
        else:
            message = _("No question has the code %(code)s.", code=source_code)
        reader.problem(_join(path, "source"), message)
        return None
    if source.question_type not in {kind.value for kind in QuestionType}:
        return None  # the source's own problem is already reported
    option_codes = [choice.code for choice in source.options]
    reader.errors(path, check_condition(source.kind, option_codes, operator, value.strip()))
    return ConditionDefinition(source_code, operator, condition_value(operator, value.strip()))


# --- Building -----------------------------------------------------------------------


def build_survey(definition: SurveyDefinition) -> Survey:
    """New, unpublished, unsaved survey objects from a valid definition; the caller adds and commits."""
    original = definition.original

    def text(texts: dict[str, str]) -> LocalizedText:
        return LocalizedText(dict(texts), original)

    survey = Survey(
        title=text(definition.title),
        intro=text(definition.intro),
        response_policy=definition.response_policy,
        allow_edit_after_submit=definition.allow_edit_after_submit,
        published_at=None,
    )
    by_code: dict[str, Question] = {}
    for s_position, section_definition in enumerate(definition.sections):
        section = SurveySection(
            position=s_position, title=text(section_definition.title), intro=text(section_definition.intro)
        )
        survey.sections.append(section)
        for q_position, question_definition in enumerate(section_definition.questions):
            spec = question_definition.spec
            question = Question(
                survey=survey,
                section=section,
                position=q_position,
                code=spec.code,
                question_type=spec.question_type,
                label=text(spec.label),
                help_text=text(spec.help),
                required=spec.required,
                settings=json.loads(json.dumps(spec.settings)),
            )
            for name, kind in LIST_KINDS.items():
                for position, choice in enumerate(spec.choices(name)):
                    question.options.append(QuestionOption(
                        kind=kind.value, position=position, code=choice.code, label=text(choice.label),
                        is_other=choice.is_other,
                    ))
            for condition in question_definition.conditions:
                question.conditions.append(Condition(
                    source_question=by_code[condition.source], operator=condition.operator, value=condition.value
                ))
            by_code[spec.code] = question
    return survey
