"""Campaign groups are kept between page views, worked out again when texts change, and in the background
(RQ on Redis) when a consultation has many texts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.comments.models import Comment
from consult.consultations.models import Consultation
from consult.exports import campaign_analysis, campaigns
from consult.exports.campaign_analysis import current_campaigns
from consult.exports.models import CampaignAnalysis
from consult.extensions import db
from consult.i18n import utcnow
from tests.exports.test_campaigns import near_copies
from tests.exports.test_public_support import add_respondents, build_scene
from tests.factories import create_comment

REDIS_URL = "redis://127.0.0.1:6379/14"
COMMENT = "Please keep postal parcels outside the scope of these guidelines until the pilot ends."


@pytest.fixture
def scene(app, client_as):
    return build_scene(app, client_as)


@pytest.fixture
def groupings(monkeypatch):
    """Counts how often the texts are actually read and grouped."""
    calls = []
    real = campaigns.campaign_groups

    def counting(consultation, limit=None):
        calls.append(consultation.id)
        return real(consultation, limit)

    monkeypatch.setattr(campaign_analysis, "campaign_groups", counting)
    return calls


def sizes(app, consultation_id):
    with app.app_context():
        found = current_campaigns(db.session.get(Consultation, consultation_id))
        assert not found.pending
        return [(g.kind, g.size) for g in found.groups]


def test_groups_are_kept_until_a_text_is_added_edited_or_moderated(app, scene, groupings):
    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(10)])
    assert sizes(app, scene.consultation.id) == [("answer", 10)]
    assert sizes(app, scene.consultation.id) == [("answer", 10)]
    assert len(groupings) == 1  # the second view read the kept groups

    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(5, seed=9)])
    assert sizes(app, scene.consultation.id) == [("answer", 15)]

    with app.app_context():
        first = create_comment(scene.consultation.id, scene.camille.id, body=COMMENT)
        create_comment(scene.consultation.id, scene.john.id, body=COMMENT)
    assert sizes(app, scene.consultation.id) == [("answer", 15), ("comment", 2)]

    with app.app_context():
        comment = db.session.get(Comment, first)
        comment.status, comment.moderated_at = "rejected", utcnow()
        db.session.commit()
    assert sizes(app, scene.consultation.id) == [("answer", 15)]
    assert len(groupings) == 4


def test_the_report_page_shows_kept_groups_without_grouping_again(app, scene, groupings):
    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(12)])
    staff = scene.moderator
    for _ in range(2):
        page = staff.get(f"/consultations/{scene.consultation.slug}/report").get_data(as_text=True)
        assert "Open campaign 1" in page
    assert len(groupings) == 1


@pytest.fixture
def redis_queue(app, monkeypatch):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setattr(campaign_analysis, "INLINE_TEXTS", 20)
    from consult.exports.jobs import export_queue

    with app.app_context():
        queue = export_queue()
    queue.empty()
    yield queue
    queue.empty()
    connection.close()


def work_the_queue(app, queue) -> None:
    """A worker runs the queued jobs in this process, against the test database."""
    from rq import SimpleWorker

    with app.app_context():
        assert SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_many_texts_are_grouped_in_the_background_and_pages_say_so(app, scene, redis_queue, groupings):
    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(30)])
    report = f"/consultations/{scene.consultation.slug}/report"
    listing = f"/consultations/{scene.consultation.slug}/campaigns"

    page = scene.moderator.get(report).get_data(as_text=True)
    assert "The texts are being compared to find campaigns. Reload this page in a few minutes." in page
    assert "No campaign was found." not in page
    assert "No group of identical" not in scene.moderator.get(listing).get_data(as_text=True)
    assert groupings == [] and redis_queue.count == 1  # asked for once, not again by the second page

    work_the_queue(app, redis_queue)
    assert len(groupings) == 1
    page = scene.moderator.get(report).get_data(as_text=True)
    assert "Open campaign 1" in page and "being compared" not in page

    # New texts: the groups found before stay on show, dated, while the newer ones are worked out.
    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(5, seed=9)])
    page = scene.moderator.get(report).get_data(as_text=True)
    assert "New texts are being compared. The campaigns shown were found on" in page
    assert "Open campaign 1" in page
    with app.app_context():
        analysis = db.session.scalars(select(CampaignAnalysis)).one()
        assert analysis.pending_fingerprint is not None and len(analysis.groups) == 1
        found_before = analysis.groups[0]["size"]
        assert 28 <= found_before <= 30  # near copies: an estimate of similarity may leave one or two out
    work_the_queue(app, redis_queue)
    ((kind, size),) = sizes(app, scene.consultation.id)
    assert kind == "answer" and found_before < size <= 35


def test_without_redis_many_texts_are_grouped_at_once(app, scene, monkeypatch, groupings):
    monkeypatch.setattr(campaign_analysis, "INLINE_TEXTS", 5)
    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(20)])
    assert sizes(app, scene.consultation.id) == [("answer", 20)]
    assert len(groupings) == 1
