"""What a participant does with a survey: save a draft, submit, change a submitted response.

Every write checks, in this order: the survey accepts answers (409 after
closing), the person may answer it (403), a submitted response may be changed
(403), and the save is based on the version in the database (409 otherwise:
someone else saved in between). Answers are cleaned by the conditions before
anything is written, so a hidden question never keeps an answer.
"""

from __future__ import annotations

import secrets
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from consult.audit import record
from consult.consultations.models import Consultation, ConsultationState
from consult.extensions import db
from consult.i18n import format_local_datetime, utcnow
from consult.mail import send_template
from consult.surveys import conditions
from consult.surveys.answer_display import show_answer
from consult.surveys.files import CheckedUpload, store_upload
from consult.surveys.models import (
    Answer,
    PublicationConsent,
    Question,
    Response,
    ResponsePolicy,
    ResponseRevision,
    ResponseStatus,
    Survey,
    UploadedFile,
)
from consult.surveys.structure import Structure, structure_of
from consult.surveys.validation import Reading, missing_parts

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed back safely
RECEIPT_ATTEMPTS = 5  # 32^10 numbers: a second draw is already very unlikely


class Refused(Exception):
    """The person may not write now; `status` is 403 (not allowed) or 409 (not now)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Conflict(Exception):
    """Someone else saved the response after the version the person started from."""

    def __init__(self, response: Response):
        super().__init__("version conflict")
        self.response = response


class Invalid(Exception):
    """Per-question messages (by question id), and "consent" for the publication choice."""

    def __init__(self, errors: dict[Any, str]):
        super().__init__("invalid answers")
        self.errors = errors


# --- Loading -----------------------------------------------------------------------------


class LoadedSurvey:
    """A survey as the answering code reads it: its row of this request, and its cached structure.

    Sections and questions (`sections`, `questions`, `ordered_questions()`, `structure`) are the plain,
    shared data of structure.py; anything else (`title`, `consultation`, `policy`, `visible_to()`…) is
    read from the row, loaded fresh on every request.
    """

    def __init__(self, row: Survey, structure: Structure) -> None:
        self.row = row
        self.structure = structure
        self.id = row.id  # kept: after a commit the expired row would reload itself just to say it

    @property
    def sections(self):
        return self.structure.sections

    @property
    def questions(self):
        return self.structure.questions

    def ordered_questions(self):
        return self.structure.ordered_questions()

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def load_survey(slug: str, survey_id: int) -> LoadedSurvey | None:
    """The survey and its consultation in one query; its structure from the cache when still current."""
    row = db.session.scalar(
        select(Survey)
        .join(Survey.consultation)
        .where(Survey.id == survey_id, Consultation.slug == slug)
        .options(contains_eager(Survey.consultation))
    )
    return None if row is None else LoadedSurvey(row, structure_of(row))


def owner_key(survey: Survey, user) -> str | None:
    if survey.policy is ResponsePolicy.ORGANIZATION and user.organization_id is None:
        return None
    return survey.owner_key_for(user)


def find_response(survey: Survey, user) -> Response | None:
    key = owner_key(survey, user)
    if key is None:
        return None
    return db.session.scalar(
        select(Response)
        .where(Response.survey_id == survey.id, Response.owner_key == key)
        .options(selectinload(Response.answers), joinedload(Response.last_edited_by))
        .execution_options(populate_existing=True)
    )


def stored_values(response: Response | None) -> dict[int, Any]:
    return {answer.question_id: answer.value for answer in response.answers} if response else {}


def repeats_last_write(
    response: Response | None, user, values: Mapping[int, Any], base_version: int, consent: str | None = None
) -> bool:
    """The response already holds exactly this write, made by this person from the same version.

    That is the same form sent twice: a double click, or a resend after an answer was lost. The second
    request then answers as the first did, instead of reporting a conflict with oneself. `consent`
    given: a submission; None: a draft.
    """
    if response is None or response.version != base_version + 1 or response.last_edited_by_id != user.id:
        return False
    if consent is None:
        if response.status != ResponseStatus.DRAFT.value:
            return False
    elif response.status != ResponseStatus.SUBMITTED.value or response.consent != consent:
        return False
    return stored_values(response) == dict(values)


def known_files(response: Response | None) -> dict[int, dict[int, str]]:
    """{question id: {file id: filename}} of the files kept with the response."""
    if response is None or response.id is None:
        return {}
    rows = db.session.execute(
        select(UploadedFile.id, UploadedFile.question_id, UploadedFile.filename).where(
            UploadedFile.response_id == response.id
        )
    )
    files: dict[int, dict[int, str]] = {}
    for file_id, question_id, filename in rows:
        files.setdefault(question_id, {})[file_id] = filename
    return files


def file_of(survey: Survey, file_id: int) -> UploadedFile | None:
    return db.session.scalar(
        select(UploadedFile)
        .join(UploadedFile.response)
        .where(UploadedFile.id == file_id, Response.survey_id == survey.id)
        .options(contains_eager(UploadedFile.response), undefer(UploadedFile.content))
    )


# --- Conditions and completeness ------------------------------------------------------------


def _rules(survey: LoadedSurvey) -> tuple[list[int], dict[int, list[conditions.Rule]]]:
    return survey.structure.order, survey.structure.rules


def rules_of(questions) -> tuple[list[int], dict[int, list[conditions.Rule]]]:
    """The survey order and each question's conditions, as the pure condition functions take them."""
    order = [question.id for question in questions]
    rules = {
        q.id: [conditions.Rule(c.source_question_id, c.operator, c.value) for c in q.conditions] for q in questions
    }
    return order, rules


def visible_ids(survey: LoadedSurvey, values: Mapping[int, Any]) -> set[int]:
    order, rules = _rules(survey)
    return conditions.visible(order, rules, values)


@dataclass
class Cleaned:
    values: dict[int, Any]
    errors: dict[int, str]
    uploads: dict[int, CheckedUpload] = field(default_factory=dict)


def clean(survey: LoadedSurvey, reading: Reading) -> Cleaned:
    """Discard answers (and problems, and new files) of the questions the answers hide."""
    order, rules = _rules(survey)
    shown = conditions.visible(order, rules, reading.values)
    return Cleaned(
        values=conditions.clean(order, rules, reading.values),
        errors={qid: message for qid, message in reading.errors.items() if qid in shown},
        uploads={qid: upload for qid, upload in reading.uploads.items() if qid in shown},
    )


def submission_problems(survey: LoadedSurvey, values: Mapping[int, Any]) -> dict[int, str]:
    """What stops a submission: shown questions that are required and unanswered, or incomplete."""
    return problems_for(survey.ordered_questions(), values)


def problems_for(questions: list[Question], values: Mapping[int, Any]) -> dict[int, str]:
    """submission_problems for questions in survey order (any objects shaped like Question)."""
    order, rules = rules_of(questions)
    shown = conditions.visible(order, rules, values)
    problems = {}
    for question in questions:
        if question.id in shown:
            message = missing_parts(question, values.get(question.id))
            if message:
                problems[question.id] = message
    return problems


# --- Who may write ---------------------------------------------------------------------------


def refusal(survey: Survey, user, response: Response | None) -> Refused | None:
    """Why `user` may not write into `response` now, or None. Agrees with Response.can_edit."""
    if not survey.accepts_answers():
        consultation = survey.consultation
        state = consultation.state
        if survey.published_at is None:
            return Refused(409, _("This survey is not published yet, so it cannot be answered."))
        if state is ConsultationState.SCHEDULED:
            return Refused(409, _("This survey opens on %(date)s. Come back then to answer it.",
                                  date=format_local_datetime(consultation.opens_at)))
        return Refused(409, _("This survey closed on %(date)s. Answers can no longer be saved or submitted.",
                              date=format_local_datetime(consultation.closes_at)))
    if not survey.consultation.in_audience(user):
        return Refused(403, _("This survey is addressed to other participants: you can read it but not answer it."))
    if owner_key(survey, user) is None:
        return Refused(403, _("This survey takes one response per organization, and your account does not belong "
                              "to an organization. Ask the secretariat to add you to yours."))
    if (
        response is not None
        and response.status == ResponseStatus.SUBMITTED.value
        and not survey.allow_edit_after_submit
    ):
        return Refused(403, _("This response has been submitted, and this survey does not allow changes after "
                              "submission. Contact the secretariat if something needs correcting."))
    return None


def _check_allowed(survey: Survey, user, response: Response | None) -> None:
    problem = refusal(survey, user, response)
    if problem is not None:
        raise problem


# --- Writing ---------------------------------------------------------------------------------


def _claim(survey: Survey, user, response: Response | None, base_version: int, locale: str) -> Response:
    """The response to write into, its version moved on by one; Conflict if someone saved in between."""
    now = utcnow()
    if response is None:
        response = Response(
            survey_id=survey.id,
            owner_key=owner_key(survey, user),
            respondent_id=user.id,
            organization_id=user.organization_id,
            status=ResponseStatus.DRAFT.value,
            version=1,
            language=locale,
            created_at=now,
            last_edited_at=now,
            last_edited_by_id=user.id,
        )
        db.session.add(response)
        try:
            db.session.flush()  # the unique owner key makes a colleague's simultaneous first save fail here
        except IntegrityError:
            db.session.rollback()
            raise Conflict(_reload(survey, user)) from None
        set_committed_value(response, "answers", [])
        return response
    if base_version != response.version:
        raise Conflict(response)
    # Compare-and-set in the database, so two saves racing from the same version cannot both win.
    moved = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.version == base_version)
        .values(version=base_version + 1, last_edited_at=now, last_edited_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.rollback()
        raise Conflict(_reload(survey, user))
    set_committed_value(response, "version", base_version + 1)
    set_committed_value(response, "last_edited_at", now)
    set_committed_value(response, "last_edited_by_id", user.id)
    set_committed_value(response, "last_edited_by", user)
    return response


def _reload(survey: Survey, user) -> Response:
    response = find_response(survey, user)
    if response is None:  # deleted meanwhile: nothing to compare with
        raise Refused(409, _("This response no longer exists. Reload the page."))
    return response


def _store_uploads(response: Response, values: dict[int, Any], uploads: Mapping[int, CheckedUpload], user) -> None:
    for question_id, upload in uploads.items():
        if question_id in values:
            stored = store_upload(upload, response, question_id, user.id)
            values[question_id] = {"file_id": stored.id, "filename": stored.filename}


def _write_answers(response: Response, survey: LoadedSurvey, values: Mapping[int, Any]) -> None:
    existing = {answer.question_id: answer for answer in response.answers}
    for question in survey.ordered_questions():
        value = values.get(question.id)
        answer = existing.get(question.id)
        if value is None:
            if answer is not None:
                response.answers.remove(answer)
        elif answer is None:
            response.answers.append(Answer(question_id=question.id, value=value))
        elif answer.value != value:
            answer.value = value


def save_draft(
    survey: LoadedSurvey, user, response: Response | None, cleaned: Cleaned, base_version: int, locale: str
) -> Response:
    """Keep well-formed answers as a draft; required questions are not demanded yet."""
    _check_allowed(survey, user, response)
    if response is not None and response.status == ResponseStatus.SUBMITTED.value:
        raise Refused(409, _("This response has been submitted: review your changes and submit it again."))
    if cleaned.errors:
        raise Invalid(dict(cleaned.errors))
    values = dict(cleaned.values)
    response = _claim(survey, user, response, base_version, locale)
    _store_uploads(response, values, cleaned.uploads, user)
    _write_answers(response, survey, values)
    response.language = locale
    db.session.commit()
    return response


def store_pending_uploads(survey: LoadedSurvey, user, response: Response, cleaned: Cleaned) -> dict[int, Any]:
    """Files chosen while changing a submitted response: kept now, used once it is submitted again."""
    _check_allowed(survey, user, response)
    values = dict(cleaned.values)
    if cleaned.uploads:
        _store_uploads(response, values, cleaned.uploads, user)
        db.session.commit()
    return values


def _snapshot(survey: LoadedSurvey, response: Response) -> ResponseRevision:
    codes = {question.id: question.code for question in survey.questions}
    return ResponseRevision(
        response_id=response.id,
        version=response.version,
        answers={codes[a.question_id]: a.value for a in response.answers if a.question_id in codes},
        consent=response.consent,
        submitted_at=response.submitted_at,
        submitted_by_id=response.last_edited_by_id,  # a submitted response is last edited by its submitter
    )


def receipt_number() -> str:
    """A random receipt number, such as 7K-QH3M-X9TF."""
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
    return f"{chars[:2]}-{chars[2:6]}-{chars[6:]}"


def _give_receipt_number(response: Response) -> None:
    """A number no other response has: the unique constraint checks it, and a number taken (rare) is redrawn.

    The rest of the submission is written first, so the savepoint holds the response's row alone and a
    failure inside it can only be the number.
    """
    db.session.flush()
    for attempt in range(RECEIPT_ATTEMPTS):
        try:
            with db.session.begin_nested():
                response.receipt_number = receipt_number()
            return
        except IntegrityError:
            if attempt == RECEIPT_ATTEMPTS - 1:
                raise


@dataclass
class Submitted:
    response: Response
    email_sent: bool
    receipt_number: str  # kept: after the commit, reading it from the response would reload the row

    @classmethod
    def already(cls, response: Response) -> Submitted:
        """The same submission sent twice: the first one is in, and its email went out."""
        return cls(response, True, response.receipt_number or "")


def _check_submission(survey: LoadedSurvey, cleaned: Cleaned, consent: str | None) -> None:
    errors: dict[Any, str] = dict(cleaned.errors) or submission_problems(survey, cleaned.values)
    if consent not in {choice.value for choice in PublicationConsent}:
        errors["consent"] = _("Choose whether and how your response may be published.")
    if errors:
        raise Invalid(errors)


def _mark_submitted(response: Response, consent: str, locale: str) -> None:
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = utcnow()
    response.consent = consent
    response.language = locale
    if response.receipt_number is None:
        _give_receipt_number(response)


def submit(
    survey: LoadedSurvey,
    user,
    response: Response | None,
    cleaned: Cleaned,
    consent: str | None,
    base_version: int,
    locale: str,
) -> Submitted:
    """Submit the answers: complete, consented, on the latest version. A resubmission keeps the last as a revision."""
    _check_allowed(survey, user, response)
    _check_submission(survey, cleaned, consent)
    values = dict(cleaned.values)
    resubmission = response is not None and response.status == ResponseStatus.SUBMITTED.value
    previous = _snapshot(survey, response) if resubmission else None
    response = _claim(survey, user, response, base_version, locale)
    if previous is not None:
        db.session.add(previous)
    _store_uploads(response, values, cleaned.uploads, user)
    _write_answers(response, survey, values)
    _mark_submitted(response, consent, locale)
    record(user, "survey_response_submitted", response, survey_id=survey.id, receipt=response.receipt_number,
           version=response.version, resubmission=resubmission, consent=consent)
    email_sent = _send_confirmation(survey, user, response, values, locale)
    number = response.receipt_number
    db.session.commit()
    return Submitted(response, email_sent, number)


def _send_confirmation(survey: LoadedSurvey, user, response: Response, values: Mapping[int, Any], locale: str) -> bool:
    title = survey.title.render(locale).text

    def subject() -> str:
        return _("Your response to “%(title)s” — receipt %(number)s", title=title, number=response.receipt_number)

    try:
        with force_locale(locale):
            answers = confirmation_lines(survey, values)
        send_template(user.email, locale, "surveys/email/response_submitted.txt", subject=subject, survey=survey,
                      response=response, title=title, answers=answers, person=user)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("Confirmation email for response %s not sent", response.id)
        return False
    return True


def confirmation_lines(survey: LoadedSurvey, values: Mapping[int, Any]) -> list[tuple[str, str]]:
    """(question, answer) pairs in the current locale, for the confirmation email."""
    shown = visible_ids(survey, values)
    wording = survey.structure.wording()
    return [
        (f"{q.code}. {wording.by_id[q.id].text}", show_answer(q, values.get(q.id)).as_plain_text())
        for q in survey.ordered_questions()
        if q.id in shown
    ]
