"""What an export asks for (kind, format, filters, survey, labels), checked; and the file it makes, streamed to the
browser or written to disk for a background job. Every table goes through consult/exports/spreadsheet.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.consultations.models import Consultation
from consult.exports.comments import CommentsExport
from consult.exports.export_labels import Labels
from consult.exports.filters import ExportFilters
from consult.exports.responses import ResponsesExport, export_surveys
from consult.exports.spreadsheet import XlsxBook, stream_csv, stream_csv_lines
from consult.i18n import utcnow

KINDS = ("responses", "comments")
FORMATS = ("csv", "xlsx", "json")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}

Progress = Callable[[], None]


class NothingToExport(Exception):
    """The consultation has nothing of this kind (a responses export without any survey)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    format: str
    filters: ExportFilters
    labels: Labels
    survey_id: int | None = None

    @classmethod
    def parse(cls, kind: str, format: str, args: MultiDict, default_lang: str
              ) -> tuple[ExportRequest, dict[str, str]]:
        """Everything in `args` checked: {field: message} for each value that cannot be used."""
        filters, errors = ExportFilters.from_args(args)
        labels, label_errors = Labels.from_args(args, default_lang)
        errors.update(label_errors)
        survey_id = None
        raw_survey = (args.get("survey") or "").strip()
        if kind == "responses" and raw_survey:
            if raw_survey.isascii() and raw_survey.isdigit() and len(raw_survey) <= 9:
                survey_id = int(raw_survey)
            else:
                errors["survey"] = _("Choose a questionnaire of this consultation.")
        return cls(kind, format, filters, labels, survey_id), errors

    def to_options(self) -> dict[str, Any]:
        """What a background job stores to make the same export later."""
        return {
            "filters": self.filters.to_args(),
            "labels": self.labels.mode,
            "lang": self.labels.lang,
            "survey": self.survey_id,
        }

    @classmethod
    def from_options(cls, kind: str, format: str, options: dict[str, Any]) -> ExportRequest:
        args = MultiDict([(name, value) for name, values in options.get("filters", {}).items() for value in values])
        args.add("labels", options.get("labels") or "text")
        args.add("lang", options.get("lang") or "en")
        if options.get("survey"):
            args.add("survey", str(options["survey"]))
        request, _errors = cls.parse(kind, format, args, options.get("lang") or "en")
        return request

    def query_args(self) -> dict[str, list[str] | str]:
        args: dict[str, list[str] | str] = dict(self.filters.to_args())
        args["labels"] = self.labels.mode
        args["lang"] = self.labels.lang
        if self.survey_id:
            args["survey"] = str(self.survey_id)
        return args

    def filename(self, consultation: Consultation) -> str:
        survey = f"-survey-{self.survey_id}" if self.kind == "responses" and self.survey_id else ""
        return f"{consultation.slug}-{self.kind}{survey}.{self.format}"

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.format]


def build_export(request: ExportRequest, consultation: Consultation, user
                 ) -> tuple[ResponsesExport | CommentsExport | None, dict[str, str]]:
    """The export object, or {field: message} when the request does not fit this consultation.

    Raises NothingToExport when the consultation has no survey at all.
    """
    if request.kind == "comments":
        return CommentsExport(consultation, user, request.filters, request.labels), {}
    surveys = export_surveys(consultation)
    if not surveys:
        raise NothingToExport(_("This consultation has no questionnaire, so there are no responses to export."))
    if request.survey_id is not None:
        surveys = [s for s in surveys if s.id == request.survey_id]
        if not surveys:
            return None, {"survey": _("Choose a questionnaire of this consultation.")}
    elif request.format == "csv" and len(surveys) > 1:
        return None, {"survey": _("This consultation has several questionnaires and a CSV file holds one: "
                                  "choose the questionnaire to export.")}
    return ResponsesExport(consultation, surveys, user, request.filters, request.labels), {}


def _counted(rows: Iterable[Any], progress: Progress | None) -> Iterator[Any]:
    for row in rows:
        yield row
        if progress is not None:
            progress()


def text_chunks(export, format: str, progress: Progress | None = None) -> Iterator[str]:
    """A CSV or JSON export as text, a chunk at a time."""
    if format == "json":
        yield from export.json_chunks(utcnow(), on_row=progress)
        return
    if isinstance(export, ResponsesExport):  # one survey: build_export refuses a CSV of several
        header, lines = export.csv_table()
        yield from stream_csv_lines(header, _counted(lines, progress))
        return
    ((_name, header, rows),) = list(export.sheets())  # a CSV holds exactly one table
    yield from stream_csv(header, _counted(rows, progress))


def write_xlsx(export, progress: Progress | None = None) -> str:
    """An XLSX file (a summary sheet first for responses) in a temporary file; returns its path."""
    book = XlsxBook()
    try:
        if isinstance(export, ResponsesExport):
            name, header, rows = export.summary()
            book.add_sheet(name, header, rows, widths=[40, 20, 12])
        for name, header, rows in export.sheets():
            book.add_sheet(name, header, _counted(rows, progress))
        return book.close()
    except BaseException:
        with contextlib.suppress(Exception):
            book.close()  # lets xlsxwriter remove its own temporary files
        remove_file(book.path)
        raise


def write_file(export, format: str, destination: str, progress: Progress | None = None) -> None:
    """The whole export written to `destination` (a background job's file), through a temporary name."""
    partial = destination + ".part"
    try:
        if format == "xlsx":
            shutil.move(write_xlsx(export, progress), partial)
        else:
            with open(partial, "w", encoding="utf-8", newline="") as handle:
                for chunk in text_chunks(export, format, progress):
                    handle.write(chunk)
        os.replace(partial, destination)
    except BaseException:
        remove_file(partial)
        raise


def remove_file(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
