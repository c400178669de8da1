"""Questionnaires: sections, questions, options, conditions, responses and answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from consult.consultations.models import Consultation
from consult.db_types import JSONType, UTCDateTime
from consult.directory.models import Organization, User, _in_list
from consult.extensions import db
from consult.i18n import LocalizedText, localized_column, utcnow


class QuestionType(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    SCALE = "scale"
    NUMBER = "number"
    DATE = "date"
    RANKING = "ranking"
    MATRIX = "matrix"
    FILE = "file"

    @property
    def label(self) -> str:
        return str(QUESTION_TYPE_LABELS[self])

    @property
    def has_options(self) -> bool:
        return self in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.RANKING)


QUESTION_TYPE_LABELS = {
    QuestionType.SHORT_TEXT: _l("Short text"),
    QuestionType.LONG_TEXT: _l("Long text"),
    QuestionType.SINGLE_CHOICE: _l("Single choice"),
    QuestionType.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionType.YES_NO: _l("Yes or no"),
    QuestionType.SCALE: _l("Scale"),
    QuestionType.NUMBER: _l("Number"),
    QuestionType.DATE: lazy_pgettext("question type", "Date"),
    QuestionType.RANKING: _l("Ranking"),
    QuestionType.MATRIX: _l("Matrix"),
    QuestionType.FILE: _l("File upload"),
}


class ResponsePolicy(enum.StrEnum):
    PERSON = "person"  # one response per person
    ORGANIZATION = "organization"  # colleagues of one organization share one response

    @property
    def label(self) -> str:
        return str(POLICY_LABELS[self])


POLICY_LABELS = {
    ResponsePolicy.PERSON: _l("One response per person"),
    ResponsePolicy.ORGANIZATION: _l("One response per organization, written together by its delegates"),
}


class ConditionOperator(enum.StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    ANSWERED = "answered"

    @property
    def label(self) -> str:
        return str(OPERATOR_LABELS[self])


OPERATOR_LABELS = {
    ConditionOperator.EQUALS: _l("is"),
    ConditionOperator.NOT_EQUALS: _l("is not"),
    ConditionOperator.CONTAINS: _l("includes"),
    ConditionOperator.ANSWERED: _l("is answered"),
}


class OptionKind(enum.StrEnum):
    OPTION = "option"  # a choice of a single/multiple choice or ranking question
    ROW = "row"  # a matrix row
    COLUMN = "column"  # a matrix column (the choice made on each row)


class ResponseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return str(RESPONSE_STATUS_LABELS[self])


RESPONSE_STATUS_LABELS = {
    ResponseStatus.DRAFT: lazy_pgettext("survey response", "Draft"),
    ResponseStatus.SUBMITTED: lazy_pgettext("survey response", "Submitted"),
}


class PublicationConsent(enum.StrEnum):
    NAMED = "named"
    ANONYMOUS = "anonymous"
    NONE = "none"

    @property
    def label(self) -> str:
        return str(CONSENT_LABELS[self])


CONSENT_LABELS = {
    PublicationConsent.NAMED: _l("Publish my response with my name and organization"),
    PublicationConsent.ANONYMOUS: _l("Publish my response anonymously"),
    PublicationConsent.NONE: _l("Do not publish my response"),
}


class Survey(db.Model):
    __tablename__ = "survey"
    __table_args__ = (CheckConstraint(_in_list("response_policy", ResponsePolicy), name="response_policy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[LocalizedText] = localized_column("title")
    intro: Mapped[LocalizedText] = localized_column("intro")  # Markdown
    response_policy: Mapped[str] = mapped_column(String(16), default=ResponsePolicy.PERSON.value)
    allow_edit_after_submit: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: still being built
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    sections: Mapped[list[SurveySection]] = relationship(
        back_populates="survey", order_by="SurveySection.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", overlaps="section,questions"
    )

    @property
    def policy(self) -> ResponsePolicy:
        return ResponsePolicy(self.response_policy)

    def ordered_questions(self) -> list[Question]:
        """Questions in the order a participant meets them: by section, then within it."""
        order = {section.id: section.position for section in self.sections}
        return sorted(self.questions, key=lambda q: (order.get(q.section_id, 0), q.position, q.id))

    def visible_to(self, user) -> bool:
        """Managers see surveys being built; the consultation's audience sees published ones."""
        if self.consultation.can_manage(user):
            return True
        return self.published_at is not None and self.consultation.visible_to(user)

    @classmethod
    def visible_filter(cls, user) -> ColumnElement[bool]:
        """SQL twin of visible_to."""
        if user is None or not getattr(user, "is_authenticated", False):
            return false()
        managed = cls.consultation_id.in_(select(Consultation.id).where(Consultation.managed_filter(user)))
        visible = cls.consultation_id.in_(select(Consultation.id).where(Consultation.visible_filter(user)))
        return or_(managed, and_(cls.published_at.is_not(None), visible))

    def can_manage(self, user) -> bool:
        return self.consultation.can_manage(user)

    def accepts_answers(self) -> bool:
        return self.published_at is not None and self.consultation.is_open

    def can_answer(self, user) -> bool:
        """Answering needs an open consultation addressed to the person (and an organization, per organization)."""
        if not self.accepts_answers() or not self.consultation.in_audience(user):
            return False
        return self.policy is ResponsePolicy.PERSON or user.organization_id is not None

    def owner_key_for(self, user) -> str:
        """The one response a person writes into: their own, or their organization's."""
        if self.policy is ResponsePolicy.ORGANIZATION:
            return f"organization:{user.organization_id}"
        return f"user:{user.id}"


class SurveySection(db.Model):
    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[LocalizedText] = localized_column("title")
    intro: Mapped[LocalizedText] = localized_column("intro")

    survey: Mapped[Survey] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(
        back_populates="section", order_by="Question.position", overlaps="questions,survey"
    )


class Question(db.Model):
    __tablename__ = "survey_question"
    __table_args__ = (
        CheckConstraint(_in_list("question_type", QuestionType), name="question_type"),
        UniqueConstraint("survey_id", "code", name="uq_survey_question_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_section.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A stable code (Q1, Q2…) used in exports, conditions and the JSON definition.
    code: Mapped[str] = mapped_column(String(32))
    question_type: Mapped[str] = mapped_column(String(24))
    label: Mapped[LocalizedText] = localized_column("label")
    help_text: Mapped[LocalizedText] = localized_column("help")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Type-specific settings: max_length, min/max selections, scale size and end labels
    # ({locale: text}), number bounds and decimals, date bounds, display (radio/dropdown),
    # allow_other, file size limit. Validated by the builder, read by the answer checks.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    survey: Mapped[Survey] = relationship(back_populates="questions", overlaps="questions")
    section: Mapped[SurveySection] = relationship(back_populates="questions", overlaps="questions")
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question", order_by="QuestionOption.position", cascade="all, delete-orphan"
    )
    conditions: Mapped[list[Condition]] = relationship(
        back_populates="question",
        foreign_keys="Condition.question_id",
        cascade="all, delete-orphan",
        order_by="Condition.id",
    )

    @property
    def kind(self) -> QuestionType:
        return QuestionType(self.question_type)

    def options_of(self, kind: OptionKind = OptionKind.OPTION) -> list[QuestionOption]:
        return [option for option in self.options if option.kind == kind.value]


class QuestionOption(db.Model):
    """A choice, a matrix row or a matrix column."""

    __tablename__ = "survey_option"
    __table_args__ = (
        CheckConstraint(_in_list("kind", OptionKind), name="kind"),
        UniqueConstraint("question_id", "kind", "code", name="uq_survey_option_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default=OptionKind.OPTION.value)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(64))  # the value stored in answers
    label: Mapped[LocalizedText] = localized_column("label")
    is_other: Mapped[bool] = mapped_column(Boolean, default=False)  # "Other, please specify"

    question: Mapped[Question] = relationship(back_populates="options")


class Condition(db.Model):
    """Show `question` only when an earlier question's answer satisfies the comparison."""

    __tablename__ = "survey_condition"
    __table_args__ = (
        CheckConstraint(_in_list("operator", ConditionOperator), name="operator"),
        CheckConstraint("question_id <> source_question_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), index=True)
    # RESTRICT: a question others depend on cannot be deleted out from under them.
    source_question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_question.id", ondelete="RESTRICT"), index=True
    )
    operator: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200), default="")  # an option code, "yes"/"no", or text

    question: Mapped[Question] = relationship(back_populates="conditions", foreign_keys=[question_id])
    source_question: Mapped[Question] = relationship(foreign_keys=[source_question_id])


class Response(db.Model):
    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint(_in_list("status", ResponseStatus), name="status"),
        CheckConstraint(f"consent IS NULL OR {_in_list('consent', PublicationConsent)}", name="consent"),
        # One response per person, or per organization: the owner key says which.
        UniqueConstraint("survey_id", "owner_key", name="uq_survey_response_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    owner_key: Mapped[str] = mapped_column(String(64))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ResponseStatus.DRAFT.value, index=True)
    # Bumped on every save; a save based on an older version is refused (co-editing).
    version: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str] = mapped_column(String(8), default="en")
    consent: Mapped[str | None] = mapped_column(String(16))
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    survey: Mapped[Survey] = relationship()
    respondent: Mapped[User] = relationship(foreign_keys=[respondent_id])
    last_edited_by: Mapped[User | None] = relationship(foreign_keys=[last_edited_by_id])
    organization: Mapped[Organization | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    revisions: Mapped[list[ResponseRevision]] = relationship(
        back_populates="response", order_by="ResponseRevision.id", cascade="all, delete-orphan"
    )

    @property
    def response_status(self) -> ResponseStatus:
        return ResponseStatus(self.status)

    def can_edit(self, user) -> bool:
        """The owner (the person, or any delegate of the organization) while answers are accepted."""
        survey = self.survey
        if not survey.can_answer(user) or self.owner_key != survey.owner_key_for(user):
            return False
        return self.status == ResponseStatus.DRAFT.value or survey.allow_edit_after_submit

    def visible_to(self, user) -> bool:
        """Its owners always (drafts stay readable after closing); managers of the consultation."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if self.survey.can_manage(user):
            return True
        if not self.survey.consultation.visible_to(user):
            return False
        return self.owner_key == self.survey.owner_key_for(user)

    @classmethod
    def visible_filter(cls, user) -> ColumnElement[bool]:
        """SQL twin of visible_to."""
        if user is None or not getattr(user, "is_authenticated", False):
            return false()
        managed = cls.survey_id.in_(
            select(Survey.id).join(Consultation).where(Consultation.managed_filter(user))
        )
        org_key = f"organization:{user.organization_id}" if user.organization_id is not None else None
        owned = cls.survey_id.in_(
            select(Survey.id)
            .join(Consultation)
            .where(
                Consultation.visible_filter(user),
                or_(
                    and_(Survey.response_policy == ResponsePolicy.PERSON.value, cls.owner_key == f"user:{user.id}"),
                    and_(Survey.response_policy == ResponsePolicy.ORGANIZATION.value, cls.owner_key == org_key),
                ),
            )
        )
        return or_(managed, owned)


class Answer(db.Model):
    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id", name="uq_survey_answer_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="RESTRICT"), index=True)
    # Typed by question: a string, a number, a list of option codes, {row: column},
    # an ordered list, {"file_id": n}; "Other" text under {"other": "..."} alongside.
    value: Mapped[Any] = mapped_column(JSONType)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class ResponseRevision(db.Model):
    """A submitted response as it was before it was edited again."""

    __tablename__ = "survey_response_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)  # {question code: value}
    consent: Mapped[str | None] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="revisions")


class UploadedFile(db.Model):
    """A file given as an answer, checked by its content and kept byte for byte."""

    __tablename__ = "survey_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="RESTRICT"))
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship()


# --- Running counts of submitted answers (kept by consult/surveys/tallies.py) ------------------


class SurveyTally(db.Model):
    """How many submitted answers of a question count under `key`, per respondents' stakeholder type.

    Keys: "answered", "listable" (text answers whose authors allow showing them), "o:<code>" (a choice),
    "n:<number>" (scale and number values), "r:<place>:<code>" (ranking), "m:<row>:<column>" (matrix),
    "d:<date>" (dates). `stakeholder_type` is that of the respondent's organization, "" without one.
    """

    __tablename__ = "survey_tally"
    __table_args__ = (
        UniqueConstraint("survey_id", "question_id", "key", "stakeholder_type", name="uq_survey_tally_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which starts with it.
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(Text)
    stakeholder_type: Mapped[str] = mapped_column(String(32), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class SurveyRespondentTally(db.Model):
    """How many submitted responses a survey has, per respondents' stakeholder type ("" without one)."""

    __tablename__ = "survey_respondent_tally"
    __table_args__ = (UniqueConstraint("survey_id", "stakeholder_type", name="uq_survey_respondent_tally_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which starts with it.
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    stakeholder_type: Mapped[str] = mapped_column(String(32), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class SurveyTallyState(db.Model):
    """A survey whose tallies were built from its answers: from then on they are kept up to date."""

    __tablename__ = "survey_tally_state"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
