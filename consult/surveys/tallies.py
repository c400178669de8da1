"""Running counts of submitted answers, kept in the same transaction as the answers themselves.

The summary report reads a survey's results from two small tables instead of
scanning every answer (see SurveyTally and SurveyRespondentTally in models.py):
counts per question, per counted thing (`key`) and per stakeholder type of the
respondents' organizations.

How they stay right: a session hook looks at every flush. Before it, the
submitted responses the flush touches (a response submitted, submitted again
with other answers, withdrawn to a draft, deleted; answers added, changed or
removed; an organization whose stakeholder type changes or that is deleted)
have their contribution read from the database; after it, their contribution
is read again, and the difference is added to the tallies. Two grouped
queries and at most two batched upserts per flush, whatever the number of
answers; a flush that touches only drafts costs nothing. The same queries
build a survey's tallies from scratch (`rebuild_tallies`), for data loaded
in bulk and for surveys older than the tables.

A survey is "tallied" once `survey_tally_state` has its row; until then the
report builds its tallies on first use. Statements that bypass the ORM (bulk
UPDATE or DELETE of responses, answers or organizations through the session)
forget every survey's state, so the next report rebuilds; writing to those
tables on a bare connection must call `rebuild_tallies` itself, as
bench/seed.py and bench/exports.py do after COPY.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import (
    Select,
    Text,
    cast,
    delete,
    event,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy import inspect as inspect_object
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from consult.directory.models import Organization
from consult.extensions import db
from consult.i18n import utcnow
from consult.surveys.json_sql import JsonSql
from consult.surveys.models import (
    Answer,
    PublicationConsent,
    Question,
    QuestionType,
    Response,
    ResponseStatus,
    Survey,
    SurveyRespondentTally,
    SurveyTally,
    SurveyTallyState,
)

# The responses tallies count: what the report counts when no filter says otherwise.
TALLIED_STATUSES = (ResponseStatus.SUBMITTED.value,)
LISTABLE_CONSENTS = (PublicationConsent.NAMED.value, PublicationConsent.ANONYMOUS.value)
CHOICE_KINDS = (QuestionType.SINGLE_CHOICE, QuestionType.YES_NO, QuestionType.SCALE)
TEXT_KINDS = (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)
NUMERIC_KINDS = (QuestionType.SCALE, QuestionType.NUMBER)

# Keys (see SurveyTally): fixed words, and prefixes followed by what was counted.
ANSWERED = "answered"
LISTABLE = "listable"
OPTION = "o:"
NUMBER = "n:"
RANK = "r:"
CELL = "m:"
DAY = "d:"

# Columns of a response whose change changes what it contributes; any other change (version, edit time) does not.
_COUNTED_RESPONSE_FIELDS = ("status", "consent", "organization_id", "survey_id", "answers")
_COUNTED_ANSWER_FIELDS = ("value", "question_id", "response_id")
_SESSION_KEY = "survey_tallies_pending"  # what a flush in progress touches, and their counts before it
_DELTAS_KEY = "survey_tallies_deltas"  # changes to write at the commit

TallyOrganization = aliased(Organization, name="tally_organization")


# --- What responses contribute -------------------------------------------------------------


def _text(value: str):
    """A constant as an SQL literal (not a parameter), so the same text is never two parameters."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _kinds(*kinds: QuestionType) -> list[str]:
    return [kind.value for kind in kinds]


def answer_contributions(sql: JsonSql, condition) -> Select:
    """(survey_id, question_id, key, stakeholder_type, n) of the submitted responses matching `condition`."""
    stakeholder = func.coalesce(TallyOrganization.stakeholder_type, _text(""))
    value = Answer.value

    def rows(key, kinds: list[str] | None = None, expansion=None, *where) -> Select:
        query = (
            select(Response.survey_id.label("survey_id"), Answer.question_id.label("question_id"),
                   key.label("key"), stakeholder.label("stakeholder_type"))
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .outerjoin(TallyOrganization, TallyOrganization.id == Response.organization_id)
        )
        if kinds is not None:
            query = query.join(Question, Question.id == Answer.question_id).where(Question.question_type.in_(kinds))
        if expansion is not None:
            query = query.join(expansion.table, true())
        return query.where(Response.status.in_(TALLIED_STATUSES), condition, key.is_not(None), *where)

    choice = sql.choice_code(value)
    choices = sql.array_elements(value, "choices")
    number = cast(sql.number(value), Text)
    ranked = sql.array_elements(value)
    cells = sql.object_entries(value)
    day = sql.scalar_text(value)
    every = union_all(
        rows(_text(ANSWERED)),
        rows(_text(LISTABLE), _kinds(*TEXT_KINDS), None, Response.consent.in_(LISTABLE_CONSENTS)),
        rows(_text(OPTION).concat(choice), _kinds(*CHOICE_KINDS)),
        rows(_text(OPTION).concat(choices.item), _kinds(QuestionType.MULTIPLE_CHOICE), choices),
        rows(_text(NUMBER).concat(number), _kinds(*NUMERIC_KINDS)),
        rows(_text(RANK).concat(cast(ranked.place, Text)).concat(_text(":")).concat(ranked.item),
             _kinds(QuestionType.RANKING), ranked),
        rows(_text(CELL).concat(cells.key).concat(_text(":")).concat(cells.item), _kinds(QuestionType.MATRIX), cells),
        rows(_text(DAY).concat(day), _kinds(QuestionType.DATE)),
    ).subquery("counted")
    columns = (every.c.survey_id, every.c.question_id, every.c.key, every.c.stakeholder_type)
    return select(*columns, func.count().label("n")).group_by(*columns)


def respondent_contributions(condition) -> Select:
    """(survey_id, stakeholder_type, n) of the submitted responses matching `condition`."""
    responses = (
        select(Response.survey_id.label("survey_id"),
               func.coalesce(TallyOrganization.stakeholder_type, _text("")).label("stakeholder_type"))
        .select_from(Response)
        .outerjoin(TallyOrganization, TallyOrganization.id == Response.organization_id)
        .where(Response.status.in_(TALLIED_STATUSES), condition)
        .subquery("responding")
    )
    columns = (responses.c.survey_id, responses.c.stakeholder_type)
    return select(*columns, func.count().label("n")).group_by(*columns)


def _read(connection, condition) -> tuple[dict, dict]:
    sql = JsonSql(connection.dialect.name)
    answers = {tuple(row[:4]): row[4] for row in connection.execute(answer_contributions(sql, condition))}
    respondents = {tuple(row[:2]): row[2] for row in connection.execute(respondent_contributions(condition))}
    return answers, respondents


def _difference(before: dict, after: dict) -> dict:
    changes = {key: after.get(key, 0) - before.get(key, 0) for key in {*before, *after}}
    return {key: change for key, change in changes.items() if change}


def _add(connection, answers: dict, respondents: dict) -> None:
    """Add the counts to the tallies (an upsert per table, batched).

    Rows go in key order, so two submissions at once lock shared rows in the same order (no deadlock).
    """
    if answers:
        _upsert(connection, SurveyTally.__table__, ["survey_id", "question_id", "key", "stakeholder_type"],
                [{"survey_id": s, "question_id": q, "key": k, "stakeholder_type": t, "count": n}
                 for (s, q, k, t), n in sorted(answers.items())])
    if respondents:
        _upsert(connection, SurveyRespondentTally.__table__, ["survey_id", "stakeholder_type"],
                [{"survey_id": s, "stakeholder_type": t, "count": n} for (s, t), n in sorted(respondents.items())])


def _upsert(connection, table, keys: list[str], rows: list[dict]) -> None:
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={"count": table.c.count + statement.excluded.count}
    )
    connection.execute(statement, rows)


# --- Building from scratch -----------------------------------------------------------------


def rebuild_tallies(survey_id: int | None = None, session=None) -> int:
    """Count a survey's (or every survey's) submitted answers afresh; returns the number of surveys.

    Runs in the session's transaction; the caller commits.
    """
    session = session or db.session
    session.flush()
    _drop_waiting(session, survey_id)
    connection = session.connection()
    ids = list(session.scalars(select(Survey.id).order_by(Survey.id))) if survey_id is None else [survey_id]
    sql = JsonSql(connection.dialect.name)
    for one in ids:
        condition = Response.survey_id == one
        connection.execute(delete(SurveyTally.__table__).where(SurveyTally.__table__.c.survey_id == one))
        connection.execute(delete(SurveyRespondentTally.__table__)
                           .where(SurveyRespondentTally.__table__.c.survey_id == one))
        connection.execute(delete(SurveyTallyState.__table__).where(SurveyTallyState.__table__.c.survey_id == one))
        connection.execute(insert(SurveyTally.__table__).from_select(
            ["survey_id", "question_id", "key", "stakeholder_type", "count"], answer_contributions(sql, condition)))
        connection.execute(insert(SurveyRespondentTally.__table__).from_select(
            ["survey_id", "stakeholder_type", "count"], respondent_contributions(condition)))
        connection.execute(insert(SurveyTallyState.__table__).values(survey_id=one, built_at=utcnow()))
    return len(ids)


def ensure_tallies(survey_ids: Iterable[int]) -> bool:
    """Build the tallies of the surveys that have none yet (and commit); False if that failed.

    Two first reports at once may both build: the one that loses gets an integrity error and says so,
    and its report counts the answers directly instead.
    """
    wanted = set(survey_ids)
    if not wanted:
        return True
    built = set(db.session.scalars(select(SurveyTallyState.survey_id).where(SurveyTallyState.survey_id.in_(wanted))))
    missing = sorted(wanted - built)
    if not missing:
        return True
    try:
        for survey_id in missing:
            rebuild_tallies(survey_id)
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        return False
    return True


def forget_tallies(session, survey_id: int | None = None) -> None:
    """Mark the tallies of a survey (or of all) as not built: the next report rebuilds them."""
    table = SurveyTallyState.__table__
    statement = delete(table) if survey_id is None else delete(table).where(table.c.survey_id == survey_id)
    session.connection().execute(statement)


# --- Reading -------------------------------------------------------------------------------


def tally_rows(survey_id: int) -> list[tuple[int, str, str, int]]:
    """(question_id, key, stakeholder_type, count) of a survey, zeros left out."""
    return [tuple(row) for row in db.session.execute(
        select(SurveyTally.question_id, SurveyTally.key, SurveyTally.stakeholder_type, SurveyTally.count)
        .where(SurveyTally.survey_id == survey_id, SurveyTally.count != 0)
    )]


def respondent_rows(survey_id: int) -> list[tuple[str, int]]:
    return [tuple(row) for row in db.session.execute(
        select(SurveyRespondentTally.stakeholder_type, SurveyRespondentTally.count)
        .where(SurveyRespondentTally.survey_id == survey_id, SurveyRespondentTally.count != 0)
    )]


# --- Keeping them up to date: the session hooks ------------------------------------------------


class _Touched:
    """The responses a flush changes: whether each counted before the flush, and whether it counts after."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.before: set[int] = set()
        self.after: set[int] = set()
        self.after_objects: list[Response] = []  # new responses: their id exists only after the flush
        self.organizations: set[int] = set()

    def response(self, response: Response, deleted: bool = False) -> None:
        state = inspect_object(response)
        counted = set(TALLIED_STATUSES)
        if state.key is None:  # not in the database yet
            if not deleted and _current(state, "status") in counted | {None}:
                self.after_objects.append(response)
            return
        response_id = state.key[1][0]
        if _committed(state, "status") in counted | {None}:
            self.before.add(response_id)
        if not deleted and _current(state, "status") in counted | {None}:
            self.after.add(response_id)

    def answer(self, answer: Answer) -> None:
        state = inspect_object(answer)
        owner = state.dict.get("response")
        if owner is not None:
            self.response(owner, deleted=inspect_object(owner).deleted or owner in self.session.deleted)
        ids = {state.dict.get("response_id")}
        history = state.attrs.response_id.history
        ids.update(history.deleted or ())
        for response_id in ids - {None}:
            known = self.session.identity_map.get(Session.identity_key(Response, response_id))
            if known is not None:
                self.response(known, deleted=known in self.session.deleted)
            else:  # not loaded: whether it counts is left to the queries
                self.before.add(response_id)
                self.after.add(response_id)

    def organization_changed(self, organization: Organization) -> None:
        self.organizations.add(organization.id)

    def organization_deleted(self, organization: Organization) -> None:
        """Its responses lose it (SET NULL): they then count as "no organization"."""
        ids = set(self.session.connection().scalars(
            select(Response.id).where(Response.organization_id == organization.id,
                                      Response.status.in_(TALLIED_STATUSES))
        ))
        self.before |= ids
        self.after |= ids

    def condition(self, ids: set[int]):
        parts = []
        if ids:
            parts.append(Response.id.in_(sorted(ids)))
        if self.organizations:
            parts.append(Response.organization_id.in_(sorted(self.organizations)))
        return or_(*parts) if parts else None


def _committed(state, name: str) -> Any:
    """The attribute's value in the database, None when it is not loaded."""
    history = state.attrs[name].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return None if history.added else state.dict.get(name)


def _current(state, name: str) -> Any:
    return state.dict.get(name)


def _changed(obj, fields) -> bool:
    state = inspect_object(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    session.info.pop(_SESSION_KEY, None)  # left by a flush that failed: its changes were rolled back
    touched = None

    def note() -> _Touched:
        nonlocal touched
        if touched is None:
            touched = _Touched(session)
        return touched

    for obj in session.new:
        if isinstance(obj, Response):
            note().response(obj)
        elif isinstance(obj, Answer):
            note().answer(obj)
    for obj in session.dirty:
        if isinstance(obj, Response) and _changed(obj, _COUNTED_RESPONSE_FIELDS):
            note().response(obj)
        elif isinstance(obj, Answer) and _changed(obj, _COUNTED_ANSWER_FIELDS):
            note().answer(obj)
        elif isinstance(obj, Organization) and _changed(obj, ("stakeholder_type",)):
            note().organization_changed(obj)
    for obj in session.deleted:
        if isinstance(obj, Response):
            note().response(obj, deleted=True)
        elif isinstance(obj, Answer):
            note().answer(obj)
        elif isinstance(obj, Organization):
            note().organization_deleted(obj)
    if touched is None:
        return
    condition = touched.condition(touched.before)
    before = _read(session.connection(), condition) if condition is not None else ({}, {})
    session.info[_SESSION_KEY] = (touched, before)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop(_SESSION_KEY, None)
    if pending is None:
        return
    touched, (answers_before, respondents_before) = pending
    connection = session.connection()
    ids = touched.after | {response.id for response in touched.after_objects if response.id is not None}
    condition = touched.condition(ids)
    answers_after, respondents_after = _read(connection, condition) if condition is not None else ({}, {})
    answers = _difference(answers_before, answers_after)
    respondents = _difference(respondents_before, respondents_after)
    if session.in_nested_transaction():  # a savepoint may be rolled back alone: write with it
        _add(connection, answers, respondents)
        return
    # Kept until the commit: the shared counter rows are then locked for milliseconds, not for the rest of
    # the request (a confirmation email is sent between the last flush and the commit).
    waiting_answers, waiting_respondents = session.info.setdefault(_DELTAS_KEY, ({}, {}))
    for waiting, changes in ((waiting_answers, answers), (waiting_respondents, respondents)):
        for key, change in changes.items():
            waiting[key] = waiting.get(key, 0) + change


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # releasing a savepoint: the outer transaction commits later
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook: its changes must be counted too
    deltas = session.info.pop(_DELTAS_KEY, None)
    if deltas is not None:
        answers, respondents = (_nonzero(changes) for changes in deltas)
        if answers or respondents:
            _add(session.connection(), answers, respondents)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed (deltas written) or rolled back
        session.info.pop(_DELTAS_KEY, None)
        session.info.pop(_SESSION_KEY, None)


def _nonzero(changes: dict) -> dict:
    return {key: change for key, change in changes.items() if change}


def _drop_waiting(session, survey_id: int | None) -> None:
    """Forget the changes waiting for the commit (of one survey): a rebuild has just counted them."""
    deltas = session.info.get(_DELTAS_KEY)
    if deltas is None:
        return
    if survey_id is None:
        session.info.pop(_DELTAS_KEY, None)
        return
    for changes in deltas:
        for key in [key for key in changes if key[0] == survey_id]:
            del changes[key]


# Columns a bulk UPDATE may set without changing what is counted.
_UNCOUNTED_COLUMNS = {
    "survey_response": {"version", "last_edited_at", "last_edited_by_id", "language", "receipt_number",
                        "created_at", "submitted_at", "owner_key", "respondent_id"},
    "survey_answer": set(),
    "organization": {"name", "name_key", "country", "verified", "active"},
}


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(orm_execute_state) -> None:
    """A bulk UPDATE or DELETE that may change counts bypasses the flush: forget every survey's tallies."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    mapper = orm_execute_state.bind_mapper
    table = getattr(mapper, "local_table", None)
    if table is None or table.name not in _UNCOUNTED_COLUMNS:
        return
    if orm_execute_state.is_update:
        values = getattr(orm_execute_state.statement, "_values", None) or {}
        names = {getattr(column, "key", column) for column in values}
        if names and names <= _UNCOUNTED_COLUMNS[table.name]:
            return
    forget_tallies(orm_execute_state.session)


# --- Command line ----------------------------------------------------------------------------

tallies_command = AppGroup("surveys", help="Questionnaires.")


@tallies_command.command("retally")
@click.option("--survey", "survey_id", type=int, default=None, help="Only this survey (its id).")
def retally(survey_id: int | None) -> None:
    """Count the submitted answers afresh into the report's tallies."""
    if survey_id is not None and db.session.get(Survey, survey_id) is None:
        raise click.ClickException(_("There is no survey %(id)s.", id=survey_id))
    count = rebuild_tallies(survey_id)
    db.session.commit()
    click.echo(ngettext("Tallies rebuilt for %(num)d survey.", "Tallies rebuilt for %(num)d surveys.", count))

