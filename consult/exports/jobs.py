"""Background exports: ask for one, run it (on the RQ queue "exports" when REDIS_URL is set, at once otherwise),
follow its progress, fetch the file within 24 hours. `flask exports worker` runs the queue.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from consult.audit import record
from consult.consultations.models import Consultation
from consult.exports.export_files import ExportRequest, NothingToExport, build_export, write_file
from consult.exports.models import ExportJob, ExportJobStatus
from consult.extensions import db
from consult.i18n import utcnow

QUEUE_NAME = "exports"
JOB_LIFETIME = timedelta(hours=24)
FORGET_JOBS_AFTER = timedelta(days=30)
JOB_TIMEOUT_SECONDS = 6 * 60 * 60
PROGRESS_EVERY_ROWS = 1000
MAX_ERROR_LENGTH = 500

log = logging.getLogger(__name__)


def exports_directory() -> Path:
    directory = Path(current_app.instance_path) / "exports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def stored_path(job: ExportJob) -> Path | None:
    return exports_directory() / job.stored_name if job.stored_name else None


# --- Asking -------------------------------------------------------------------------


def request_job(user, consultation: Consultation, request: ExportRequest) -> ExportJob:
    """Record the job, then queue it (Redis) or run it now (no Redis). The request was checked by the caller."""
    purge_expired()
    now = utcnow()
    job = ExportJob(
        token=secrets.token_urlsafe(32),
        requested_by_id=user.id,
        consultation_id=consultation.id,
        kind=request.kind,
        format=request.format,
        options=request.to_options(),
        status=ExportJobStatus.QUEUED.value,
        created_at=now,
        expires_at=now + JOB_LIFETIME,
    )
    db.session.add(job)
    record(user, "export_job_requested", consultation, kind=request.kind, format=request.format,
           **request.to_options())
    db.session.commit()
    if current_app.config.get("REDIS_URL"):
        _enqueue(job)
    else:
        run_job(job.id)
    return db.session.get(ExportJob, job.id)


def _enqueue(job: ExportJob) -> None:
    from redis.exceptions import RedisError

    try:
        export_queue().enqueue_call(run_job, args=(job.id,), timeout=JOB_TIMEOUT_SECONDS,
                                    result_ttl=0, failure_ttl=int(JOB_LIFETIME.total_seconds()))
    except (RedisError, OSError):
        log.exception("Could not queue export job %s", job.id)
        _fail(job.id, _("The export could not be queued. Please try again in a few minutes."))


def export_queue(url: str | None = None):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(url or current_app.config["REDIS_URL"]))


def job_for(token: str, user) -> ExportJob | None:
    """The job behind `token`, only for the person who asked for it (anyone else: None, shown as not found)."""
    if not token or len(token) > 64:
        return None
    job = db.session.scalar(select(ExportJob).where(ExportJob.token == token))
    return job if job is not None and job.visible_to(user) else None


def recent_jobs(user, consultation: Consultation, limit: int = 10) -> list[ExportJob]:
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(
                ExportJob.requested_by_id == user.id,
                ExportJob.consultation_id == consultation.id,
                ExportJob.expires_at > utcnow(),
            )
            .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
            .limit(limit)
        )
    )


# --- Running --------------------------------------------------------------------------


def run_job(job_id: int) -> None:
    """The queue's entry point (and the inline path): make the file of job `job_id`."""
    if has_app_context():
        _run(job_id)
        return
    from consult import create_app

    with create_app().app_context():
        _run(job_id)


class _Progress:
    """Counts rows as they are written; every so often records the count through its own connection,
    because the export's read (a server-side cursor on PostgreSQL) must not be committed mid-way."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.rows = 0

    def __call__(self) -> None:
        self.rows += 1
        if self.rows % PROGRESS_EVERY_ROWS == 0:
            with db.engine.begin() as connection:
                connection.execute(update(ExportJob).where(ExportJob.id == self.job_id).values(rows_done=self.rows))


def _run(job_id: int) -> None:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status != ExportJobStatus.QUEUED.value:
        return  # gone, or already taken by another worker
    job.status = ExportJobStatus.RUNNING.value
    job.started_at = utcnow()
    db.session.commit()
    try:
        consultation, user = job.consultation, job.requested_by
        if not consultation.can_manage(user):
            _fail(job_id, _("You no longer manage this consultation."))
            return
        request = ExportRequest.from_options(job.kind, job.format, job.options)
        export, errors = build_export(request, consultation, user)
        if errors:
            _fail(job_id, " ".join(errors.values()))
            return
        job.rows_total = export.count()
        job.download_name = request.filename(consultation)
        stored_name = f"{job.token}.{job.format}"
        db.session.commit()
        progress = _Progress(job_id)
        write_file(export, job.format, str(exports_directory() / stored_name), progress)
        db.session.rollback()  # ends the export's read before the job is marked done
        job = db.session.get(ExportJob, job_id)
        job.status = ExportJobStatus.DONE.value
        job.stored_name = stored_name
        job.rows_done = progress.rows
        job.finished_at = utcnow()
        db.session.commit()
    except NothingToExport as nothing:
        db.session.rollback()
        _fail(job_id, nothing.message)
    except Exception:
        db.session.rollback()
        log.exception("Export job %s failed", job_id)
        _fail(job_id, _("The export could not be prepared. Please try again; if it fails again, tell the "
                        "site administrators."))


def _fail(job_id: int, message: str) -> None:
    job = db.session.get(ExportJob, job_id)
    job.status = ExportJobStatus.FAILED.value
    job.error = message[:MAX_ERROR_LENGTH]
    job.finished_at = utcnow()
    db.session.commit()


# --- Expiry ------------------------------------------------------------------------------


def forget_file(job: ExportJob) -> None:
    """Remove an expired job's file; the caller commits."""
    path = stored_path(job)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        job.stored_name = None


def purge_expired() -> int:
    """Remove the files of expired jobs; returns how many were removed.

    The job rows stay a while longer, so that an old link still says "expired" (410) rather than "not found".
    """
    now = utcnow()
    expired = list(db.session.scalars(
        select(ExportJob).where(ExportJob.expires_at <= now, ExportJob.stored_name.is_not(None))
    ))
    for job in expired:
        forget_file(job)
    db.session.execute(delete(ExportJob).where(ExportJob.expires_at <= now - FORGET_JOBS_AFTER))
    db.session.commit()
    return len(expired)


# --- Command line ------------------------------------------------------------------------

exports_command = AppGroup("exports", help="Background exports.")


@exports_command.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run the background exports queued on Redis (REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(_("Set REDIS_URL to run background exports on a queue."))
    from redis import Redis
    from rq import Worker

    # Each job runs in a forked process: it must open its own database connections, not share the parent's.
    db.engine.dispose()
    Worker([QUEUE_NAME], connection=Redis.from_url(url)).work(burst=burst)


@exports_command.command("purge")
def purge_command() -> None:
    """Delete expired background exports and their files."""
    click.echo(_("Files of %(count)s expired exports removed.", count=purge_expired()))
