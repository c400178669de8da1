"""CSV import of participants: read the file, check every line, then apply it in one transaction.

Nothing here touches the request: the views hand over bytes or text and get back a plan (what
the import would do, and every problem found) or the result of applying a plan without problems.
Every check runs again on confirmation, because the text comes back from the browser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from consult.audit import record
from consult.directory.import_checks import (
    COLUMNS,
    EMAIL,
    ORGANIZATION,
    REQUIRED_COLUMNS,
    DirectoryLookup,
    Line,
    LineChecker,
    Membership,
    NewOrganization,
    Status,
    email_key,
    memberships_to_add,
)
from consult.directory.models import Organization, User, group_organization
from consult.extensions import db
from consult.security import Role

MAX_ROWS = 5000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILE_NAME_LENGTH = 200
AUDIT_ACTION = "participants_imported"


class FileRefused(Exception):
    """The file as a whole cannot be imported; `problems` say why, in the person's language."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems = list(problems)


class ImportConflict(Exception):
    """The directory changed between the check and the write; nothing was written."""


@dataclass
class ImportPlan:
    file_problems: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    new_organizations: dict[str, NewOrganization] = field(default_factory=dict)
    existing_organizations: dict[str, Organization] = field(default_factory=dict)
    memberships: list[Membership] = field(default_factory=list)

    @property
    def line_problems(self) -> list[str]:
        return [message for line in self.lines for message in line.messages]

    @property
    def bad_lines(self) -> list[Line]:
        return [line for line in self.lines if line.problems]

    @property
    def to_create(self) -> list[Line]:
        return [line for line in self.lines if line.status == Status.CREATE]

    @property
    def present(self) -> list[Line]:
        return [line for line in self.lines if line.status == Status.PRESENT]

    @property
    def is_valid(self) -> bool:
        return not self.file_problems and bool(self.lines) and not self.bad_lines


@dataclass(frozen=True)
class ImportResult:
    file_name: str
    users_created: int
    organizations_created: int
    memberships_added: int
    unchanged: int
    without_password: int

    def as_dict(self) -> dict:
        return asdict(self)


# --- Reading the file ------------------------------------------------------


def decode_upload(data: bytes) -> str:
    """The text of an uploaded CSV file, which must be UTF-8 (a byte-order mark is allowed)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(_too_large())
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not encoded in UTF-8. In your spreadsheet program choose “Save as”, "
                "pick the format “CSV UTF-8”, and upload the new file."
            )
        ) from None
    if "\x00" in text:
        raise FileRefused(_("This does not look like a CSV file. Save the spreadsheet as “CSV UTF-8” and upload that."))
    return text


def clean_file_name(name: str | None) -> str:
    """The last part of a file name as the browser sent it, for display and the audit log only."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:MAX_FILE_NAME_LENGTH]


def template_csv() -> str:
    """An empty file with the expected header, that spreadsheet programs open as UTF-8."""
    return "\ufeff" + ",".join(COLUMNS) + "\r\n"


def _too_large() -> str:
    return _(
        "The file is larger than %(size)s MB. Split it into smaller files.",
        size=format_decimal(MAX_FILE_BYTES / (1024 * 1024)),
    )


def _column_key(heading: str) -> str:
    return " ".join(heading.replace("_", " ").split()).casefold()


def _guess_delimiter(text: str) -> str:
    header = next((row for row in io.StringIO(text) if row.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells) for every non-blank row, header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_guess_delimiter(text))
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise FileRefused(
                _(
                    "Line %(line)s: %(reason)s",
                    line=start,
                    reason=_("this line cannot be read as CSV. Check its quotation marks."),
                )
            ) from None
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield start, cells


def _header_columns(cells: list[str]) -> dict[int, str]:
    """Column position -> column name, or FileRefused listing every problem with the header."""
    positions: dict[int, str] = {}
    seen: set[str] = set()
    unknown: list[str] = []
    repeated: list[str] = []
    for position, heading in enumerate(cells):
        key = _column_key(heading)
        if not key:
            continue  # spreadsheets often leave empty headings after the last column
        if key not in COLUMNS:
            unknown.append(heading)
        elif key in seen:
            repeated.append(heading)
        else:
            seen.add(key)
            positions[position] = key
    problems = []
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        problems.append(_("The file is missing these columns: %(columns)s.", columns=", ".join(missing)))
    if unknown:
        problems.append(
            _(
                "The file has columns that are not expected: %(columns)s. The expected columns are: %(expected)s.",
                columns=", ".join(unknown),
                expected=", ".join(COLUMNS),
            )
        )
    if repeated:
        problems.append(_("These columns appear more than once: %(columns)s.", columns=", ".join(repeated)))
    if problems:
        raise FileRefused(*problems)
    return positions


def _read_lines(text: str) -> list[Line]:
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise FileRefused(_too_large())
    rows = _read_rows(text.removeprefix("\ufeff"))
    header = next(rows, None)
    if header is None:
        raise FileRefused(_("The file is empty."))
    positions = _header_columns(header[1])
    lines = []
    for number, cells in rows:
        if len(lines) == MAX_ROWS:
            raise FileRefused(
                _(
                    "The file has more than %(max)s participants. Split it into smaller files.",
                    max=format_decimal(MAX_ROWS),
                )
            )
        values = dict.fromkeys(COLUMNS, "")
        values.update((positions[i], cell) for i, cell in enumerate(cells) if i in positions)
        line = Line(number=number, values=values)
        if any(cell for i, cell in enumerate(cells) if i not in positions):
            line.problems.append(_("there are values in columns without a heading."))
        lines.append(line)
    if not lines:
        raise FileRefused(_("The file has a header row but no participants."))
    return lines


def plan_import(text: str) -> ImportPlan:
    """What importing `text` would do, and every problem with it. Reads the database, never writes."""
    try:
        lines = _read_lines(text)
    except FileRefused as refused:
        return ImportPlan(file_problems=refused.problems)
    organization_keys = {Organization.key_for(line.values[ORGANIZATION]) for line in lines}
    email_keys = {line.values[EMAIL]: email_key(line.values[EMAIL]) for line in lines}
    directory = DirectoryLookup(organization_keys, set(email_keys.values()) - {""})
    checker = LineChecker(directory, email_keys)
    for line in lines:
        checker.check(line)
    return ImportPlan(
        lines=lines,
        new_organizations=checker.new_organizations,
        existing_organizations=directory.organizations,
        memberships=memberships_to_add(lines, directory, checker.new_organizations),
    )


# --- Applying a plan -----------------------------------------------------


def apply_import(plan: ImportPlan, actor, file_name: str) -> ImportResult:
    """Create the organizations, users and memberships of a plan without problems, in one transaction."""
    if not plan.is_valid:
        raise ValueError("An import plan with problems cannot be applied.")
    to_create, present = plan.to_create, plan.present
    try:
        organizations = dict(plan.existing_organizations)
        for new in plan.new_organizations.values():
            organization = Organization(
                name=new.name, name_key=new.key, country=new.country, stakeholder_type=new.stakeholder_type.value
            )
            db.session.add(organization)
            organizations[new.key] = organization
        db.session.flush()
        for line in to_create:
            user = User(
                email=line.email,
                display_name=line.name,
                password_hash=None,  # they get in through an invitation
                locale=line.locale,
                role=line.role.value,
                organization_id=organizations[line.organization_key].id,
                active=True,
            )
            db.session.add(user)
            if line.role is Role.MODERATOR and line.group is not None:
                line.group.moderators.append(user)  # a moderator imported for a group runs it
        if plan.memberships:
            db.session.execute(
                insert(group_organization),
                [
                    {"group_id": m.group.id, "organization_id": organizations[m.organization_key].id}
                    for m in plan.memberships
                ],
            )
        result = ImportResult(
            file_name=file_name,
            users_created=len(to_create),
            organizations_created=len(plan.new_organizations),
            memberships_added=len(plan.memberships),
            unchanged=len(present),
            without_password=len(to_create) + sum(1 for line in present if not line.user.has_password),
        )
        counts = result.as_dict()
        del counts["without_password"]
        record(actor, AUDIT_ACTION, None, **counts)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImportConflict from None
    return result
