"""Campaign detection: a planted campaign is found as one group, varied texts are not grouped."""

from __future__ import annotations

import random

import pytest

from consult.consultations.models import Consultation
from consult.exports.campaigns import ANSWER, COMMENT, campaign_groups, normalise
from consult.extensions import db
from tests.exports.test_public_support import add_respondents, add_response, answer_ids, build_scene
from tests.factories import create_comment, create_consultation
from tests.surveys.factories import create_survey

LETTER = (
    "As a small online retailer we are deeply worried by the proposal to inspect every low value parcel at the "
    "border. Our customers expect delivery within two days and a manual check of each declaration would add weeks "
    "of delay and costs that small firms cannot carry. We fully support the fight against counterfeit goods but "
    "the measures must be proportionate, based on risk and agreed with the industry. We therefore ask the "
    "secretariat to withdraw paragraph twelve and to consult online sellers, couriers and payment providers again "
    "before a new draft is prepared for the next meeting of the working group."
)
SWAPS = ["really", "strongly", "truly", "kindly", "urgently", "simply", "Lyon", "Porto", "family", "local"]
VOCABULARY = [
    "customs", "parcel", "risk", "border", "trade", "goods", "seizure", "brand", "rights", "platform", "courier",
    "declaration", "data", "label", "tariff", "origin", "health", "toys", "medicines", "perfume", "watches",
    "software", "piracy", "training", "officer", "port", "airport", "container", "sample", "laboratory", "test",
    "fine", "penalty", "notice", "owner", "licence", "agreement", "contract", "market", "seller", "buyer",
    "consumer", "warning", "website", "domain", "payment", "bank", "card", "account", "refund", "return",
    "shipment", "warehouse", "storage", "destruction", "evidence", "court", "judge", "appeal", "report",
    "statistics", "survey", "cooperation", "network", "exchange", "partner", "capacity", "budget", "staff", "shift",
    "team", "manager", "region", "province", "city", "harbour", "rail", "road", "truck", "vessel", "flight",
    "manifest", "invoice", "value", "weight", "volume", "quantity", "batch", "lot", "serial", "code", "scanner",
    "image", "camera", "system", "software", "update", "delay", "cost", "time",
]


def near_copies(count: int, seed: int = 5) -> list[str]:
    """The letter, each copy with one or two words changed (a name, a town, an adverb)."""
    words = LETTER.split()
    copies = []
    for index in range(count):
        chooser = random.Random(seed * 1000 + index)
        copy = list(words)
        for _ in range(chooser.randint(1, 2)):
            copy[chooser.randrange(len(copy))] = chooser.choice(SWAPS)
        copies.append(" ".join(copy))
    return copies


def varied_texts(count: int, seed: int = 11) -> list[str]:
    chooser = random.Random(seed)
    return [" ".join(chooser.choice(VOCABULARY) for _ in range(chooser.randint(8, 60))) for _ in range(count)]


def groups_of(app, consultation_id: int, limit=None):
    with app.app_context():
        return campaign_groups(db.session.get(Consultation, consultation_id), limit=limit)


@pytest.fixture
def scene(app, client_as):
    return build_scene(app, client_as)


def test_a_planted_campaign_of_fifty_near_identical_answers_is_one_group(app, scene):
    planted = add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(50)],
                              stakeholder_type="intermediary")
    chooser = random.Random(3)
    varied = varied_texts(200)
    mixed_in = add_respondents(app, scene.survey.id, [{"Q6": text, "Q1": chooser.choice("abc")} for text in varied],
                               stakeholder_type="rights_holder")
    assert len(set(varied)) == 200

    groups = groups_of(app, scene.consultation.id)

    assert len(groups) == 1, [g.size for g in groups]
    group = groups[0]
    assert group.kind == ANSWER
    assert 48 <= group.size <= 50
    assert set(group.member_ids) <= answer_ids(app, planted)
    assert not set(group.member_ids) & answer_ids(app, mixed_in)
    assert group.representative in near_copies(50)
    assert group.stakeholder_types == (("intermediary", group.size),)
    assert group.number == 1


def test_detection_is_deterministic(app, scene):
    add_respondents(app, scene.survey.id, [{"Q6": text} for text in near_copies(30) + varied_texts(40)])

    first = groups_of(app, scene.consultation.id)
    second = groups_of(app, scene.consultation.id)

    assert first == second
    assert len(first) == 1 and 28 <= first[0].size <= 30


def test_identical_texts_group_whatever_their_case_spacing_and_punctuation(app, scene):
    text = "We ask the secretariat to delete paragraph twelve of the draft."
    versions = [text, text, text.upper(), "  we ask the secretariat, to delete paragraph twelve of the draft!!  ",
                text.replace(" ", "\n")]
    add_respondents(app, scene.survey.id, [{"Q6": v} for v in versions], stakeholder_type="customs")
    add_respondents(app, scene.survey.id, [{"Q6": text}], stakeholder_type="rights_holder")

    groups = groups_of(app, scene.consultation.id)

    assert [(g.kind, g.size) for g in groups] == [(ANSWER, 6)]
    assert groups[0].representative == text  # the most common exact text
    assert groups[0].stakeholder_types == (("customs", 5), ("rights_holder", 1))


def test_short_texts_are_never_grouped_even_when_identical(app, scene):
    add_respondents(app, scene.survey.id, [{"Q6": "I fully agree here."} for _ in range(12)])
    add_respondents(app, scene.survey.id, [{"Q6": "Yes."} for _ in range(12)])

    assert groups_of(app, scene.consultation.id) == []


def test_comments_are_grouped_apart_from_answers_and_only_those_that_count(app, scene):
    text = "Please keep postal parcels outside the scope of these guidelines until the pilot ends."
    add_respondents(app, scene.survey.id, [{"Q6": text}, {"Q6": text}])
    with app.app_context():
        counted = [create_comment(scene.consultation.id, scene.camille.id, body=text, status=status)
                   for status in ("published", "pending", "hidden")]
        counted.append(create_comment(scene.consultation.id, scene.john.id, body=f"**{text}**",
                                      visibility="confidential"))
        for status in ("withdrawn", "rejected"):
            create_comment(scene.consultation.id, scene.ana.id, body=text, status=status)

    groups = groups_of(app, scene.consultation.id)

    assert [(g.kind, g.size) for g in groups] == [(COMMENT, 4), (ANSWER, 2)]
    assert list(groups[0].member_ids) == counted
    assert [g.number for g in groups] == [1, 2]
    assert [g.size for g in groups_of(app, scene.consultation.id, limit=1)] == [4]


def test_drafts_and_other_consultations_are_not_read(app, scene):
    text = "The threshold of one hundred and fifty euros should apply to every postal operator."
    add_respondents(app, scene.survey.id, [{"Q6": text}])
    add_response(app, scene.survey.id, scene.drafter.id, {"Q6": text}, consent=None, status="draft")
    with app.app_context():
        other = create_consultation(group_id=scene.group.id, state="closed")
        other_survey = create_survey(other.id, questions=[{"type": "long_text", "code": "Q6"}])
    add_respondents(app, other_survey.id, [{"Q6": text}])

    assert groups_of(app, scene.consultation.id) == []


def test_normalise_keeps_letters_of_every_script():
    assert normalise("L'Accord — «très» URGENT!  ÉTÉ 2026") == ["l", "accord", "très", "urgent", "été", "2026"]
    assert normalise("Ваш ответ, 谢谢 🙂") == ["ваш", "ответ", "谢谢"]


def test_a_campaign_of_thousands_of_copies_is_grouped_in_linear_work(app):
    """A group keeps a few texts in the similarity index: each new copy meets a handful of candidates."""
    from consult.exports.campaigns import _Grouper

    grouper = _Grouper()
    for number, text in enumerate(near_copies(3000) + varied_texts(500)):
        grouper.add(number, text, "intermediary")
    groups = list(grouper.groups())

    assert len(grouper._index.keys) < 600
    assert max(len(positions) for positions, _rep, _types in groups) >= 2900
