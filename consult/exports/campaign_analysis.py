"""Campaign groups kept between requests, and worked out in the background when a consultation is large.

Grouping reads every free-text answer and comment (consult/exports/campaigns.py): a few seconds for tens of
thousands of texts, minutes for hundreds of thousands, far too long for a page. So the groups are kept in the
database with the fingerprint of the texts they were read from, and worked out again only when a text is added,
edited, withdrawn or moderated:

- up to INLINE_TEXTS texts, or without Redis, at once, by the request that finds them out of date;
- above that, by a job on the RQ queue "exports" (`flask exports worker`); meanwhile pages show the groups
  found last, said to be from that time, with a note that newer ones are on their way.

Every page that shows groups (report, campaign list, one campaign) goes through `current_campaigns`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.consultations.models import Consultation
from consult.exports.campaigns import (
    CampaignGroup,
    campaign_groups,
    group_from_json,
    group_to_json,
    texts_fingerprint,
)
from consult.exports.models import CampaignAnalysis
from consult.extensions import db
from consult.i18n import utcnow

INLINE_TEXTS = 5_000
# A job not finished by then is taken as lost (a worker restarted) and asked for again.
JOB_PATIENCE = timedelta(hours=1)
JOB_TIMEOUT_SECONDS = 2 * 60 * 60

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Campaigns:
    groups: list[CampaignGroup] | None  # None: not worked out yet
    computed_at: datetime | None
    pending: bool  # the texts changed since `computed_at`: newer groups are being worked out

    def first(self, limit: int) -> list[CampaignGroup] | None:
        return None if self.groups is None else self.groups[:limit]


def current_campaigns(consultation: Consultation) -> Campaigns:
    fingerprint, texts = texts_fingerprint(consultation)
    analysis = db.session.scalar(select(CampaignAnalysis).where(CampaignAnalysis.consultation_id == consultation.id))
    if analysis is not None and analysis.fingerprint == fingerprint:
        return Campaigns(_groups(analysis), analysis.computed_at, pending=False)
    if texts <= INLINE_TEXTS or not current_app.config.get("REDIS_URL"):
        analysis = _store(consultation.id, fingerprint, campaign_groups(consultation))
        return Campaigns(_groups(analysis), analysis.computed_at, pending=False)
    if not _asked_for(analysis, fingerprint):
        analysis = _ask_for(consultation.id, fingerprint)
    return Campaigns(_groups(analysis), analysis.computed_at, pending=True)


def _groups(analysis: CampaignAnalysis) -> list[CampaignGroup] | None:
    return None if analysis.groups is None else [group_from_json(data) for data in analysis.groups]


def _row(consultation_id: int) -> CampaignAnalysis:
    """The consultation's row, created if need be (two requests may race to create it: one wins)."""
    analysis = db.session.scalar(select(CampaignAnalysis).where(CampaignAnalysis.consultation_id == consultation_id))
    if analysis is not None:
        return analysis
    try:
        with db.session.begin_nested():
            analysis = CampaignAnalysis(consultation_id=consultation_id)
            db.session.add(analysis)
    except IntegrityError:
        analysis = db.session.scalar(
            select(CampaignAnalysis).where(CampaignAnalysis.consultation_id == consultation_id)
        )
    return analysis


def _store(consultation_id: int, fingerprint: str, groups: list[CampaignGroup]) -> CampaignAnalysis:
    analysis = _row(consultation_id)
    analysis.fingerprint = fingerprint
    analysis.groups = [group_to_json(group) for group in groups]
    analysis.computed_at = utcnow()
    if analysis.pending_fingerprint == fingerprint:
        analysis.pending_fingerprint = None
    db.session.commit()
    return analysis


def _asked_for(analysis: CampaignAnalysis | None, fingerprint: str) -> bool:
    return (
        analysis is not None
        and analysis.pending_fingerprint == fingerprint
        and analysis.requested_at is not None
        and utcnow() - analysis.requested_at < JOB_PATIENCE
    )


def _ask_for(consultation_id: int, fingerprint: str) -> CampaignAnalysis:
    from redis.exceptions import RedisError

    from consult.exports.jobs import export_queue

    analysis = _row(consultation_id)
    analysis.pending_fingerprint = fingerprint
    analysis.requested_at = utcnow()
    db.session.commit()
    try:
        export_queue().enqueue_call(run_analysis, args=(consultation_id,), timeout=JOB_TIMEOUT_SECONDS, result_ttl=0)
    except (RedisError, OSError):
        log.exception("Could not queue the campaign analysis of consultation %s", consultation_id)
        analysis.pending_fingerprint = None  # asked again by the next page view
        db.session.commit()
    return analysis


def run_analysis(consultation_id: int) -> None:
    """The queue's entry point: group the consultation's texts as they are now, and keep the result."""
    if has_app_context():
        _run(consultation_id)
        return
    from consult import create_app

    with create_app().app_context():
        _run(consultation_id)


def _run(consultation_id: int) -> None:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return
    # The fingerprint read before the texts: a text that arrives meanwhile makes the result out of date at once.
    fingerprint, _texts = texts_fingerprint(consultation)
    _store(consultation_id, fingerprint, campaign_groups(consultation))
