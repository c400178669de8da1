"""Campaign detection: identical and near-identical free-text answers and comments, grouped.

A mass campaign sends one text, lightly edited, from many hands. Each text is normalised (Unicode NFKC, casefolded,
punctuation stripped, whitespace collapsed), cut into 3-word shingles and summarised by a MinHash (datasketch,
128 permutations, a fixed seed: the same data always gives the same groups). A MinHashLSH index at threshold 0.8
proposes candidates; a pair is joined when the estimated Jaccard similarity of the two shingle sets is at least
0.8, and the groups are the connected components (union-find). Texts identical once normalised are joined
directly, without relying on the index. Texts of fewer than five words are left out: forty people writing
"I agree." is agreement, not a campaign.

The index weights false negatives over false positives (weights 0.1/0.9): at the default weights only ~40% of the
pairs exactly at the threshold become candidates, and a campaign of slightly edited copies split into pieces. The
extra candidates cost one comparison each and are all confirmed against the 0.8 threshold.

What is read: short and long text answers of submitted responses, and the comment bodies that count as
contributions (everything but withdrawn and rejected comments, as in the participation panel). Answers and
comments are grouped separately. Grouping only annotates: every response and comment still counts wherever it
is counted.

Texts stream from the database (yield_per). What stays in memory is, per text, its id, its stakeholder type and
the number of its distinct text; per distinct text, one signature of 128 32-bit values and its place in the
index. The representative texts are read back at the end, for the groups returned only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH
from sqlalchemy import func, select

from consult.comments.models import Comment, CommentStatus
from consult.consultations.models import Consultation
from consult.directory.models import Organization
from consult.extensions import db
from consult.surveys.models import (
    Answer,
    Question,
    QuestionType,
    Response,
    ResponseStatus,
    Survey,
    SurveyTally,
    SurveyTallyState,
)
from consult.surveys.tallies import ANSWERED

NUM_PERM = 128
SEED = 20_260_501  # fixed: the permutations, hence the groups, are the same on every run
THRESHOLD = 0.8
SHINGLE_WORDS = 3
MIN_WORDS = 5
INDEXED_PER_GROUP = 16  # texts of one group kept in the similarity index (see _Grouper._new_text)
LSH_WEIGHTS = (0.1, 0.9)  # (false positives, false negatives): see the module docstring
BATCH = 1000

ANSWER = "answer"
COMMENT = "comment"
TEXT_QUESTION_TYPES = (QuestionType.SHORT_TEXT.value, QuestionType.LONG_TEXT.value)
# Comments that count as contributions (see consult/comments/sections.py comments_by_organization).
LEFT_OUT_COMMENT_STATUSES = (CommentStatus.WITHDRAWN.value, CommentStatus.REJECTED.value)

_NOT_A_WORD = re.compile(r"[^\w\s]|_")


@dataclass(frozen=True)
class CampaignGroup:
    """Texts close enough to be one campaign. `number` is its place in the list, largest first (1-based)."""

    number: int
    kind: str  # ANSWER or COMMENT
    size: int
    representative: str  # the most common exact text of the group, or the first one written
    member_ids: tuple[int, ...]  # answer ids or comment ids, in the order they were written
    stakeholder_types: tuple[tuple[str, int], ...]  # (type code, or "" without organization; count), largest first
    representative_language: str = ""  # the language its author wrote the representative text in


def normalise(text: str) -> list[str]:
    """The words of `text` as compared: casefolded, without punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_A_WORD.sub(" ", folded).split()


def shingles(words: list[str]) -> list[bytes]:
    return [" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)]


class _Grouper:
    """Groups the texts of one kind as they stream past."""

    def __init__(self) -> None:
        self._blank = MinHash(num_perm=NUM_PERM, seed=SEED)
        self._index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, weights=LSH_WEIGHTS)
        self._distinct: dict[bytes, int] = {}  # digest of the normalised text -> its number
        # One signature per distinct text, row n for text n; grown by doubling so rows are compared in one go.
        self._signatures = np.empty((1024, NUM_PERM), dtype=np.uint32)
        self._parent: list[int] = []
        self._indexed: dict[int, int] = {}  # group (its root) -> how many of its texts are in the index
        self.item_ids: list[int] = []
        self.item_texts: list[int] = []  # the distinct text of each item
        self.item_types: list[str] = []

    def add(self, item_id: int, text: str, stakeholder_type: str | None) -> None:
        words = normalise(text)
        if len(words) < MIN_WORDS:
            return
        key = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).digest()
        number = self._distinct.get(key)
        if number is None:
            number = self._new_text(key, words)
        self.item_ids.append(item_id)
        self.item_texts.append(number)
        self.item_types.append(stakeholder_type or "")

    def _new_text(self, key: bytes, words: list[str]) -> int:
        number = len(self._parent)
        signature = self._blank.copy()
        signature.update_batch(shingles(words))
        self._parent.append(number)
        candidates = np.fromiter(self._index.query(signature), dtype=np.int64)
        if candidates.size:
            # Every candidate compared at once: a large campaign makes thousands of them.
            agreeing = np.count_nonzero(self._signatures[candidates] == signature.hashvalues, axis=1)
            for candidate in candidates[agreeing >= THRESHOLD * NUM_PERM].tolist():
                self._union(number, candidate)
        root = self._find(number)
        if self._indexed.get(root, 0) < INDEXED_PER_GROUP:
            self._index.insert(number, signature, check_duplication=False)
            self._indexed[root] = self._indexed.get(root, 0) + 1
        # Else the group has enough texts in the index to be found by whatever comes close to it; indexing every
        # copy of a campaign of thousands would make every query return thousands of candidates.
        return self._remember(number, key, signature)

    def _remember(self, number: int, key: bytes, signature: MinHash) -> int:
        if number == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.empty_like(self._signatures)])
        self._signatures[number] = signature.hashvalues
        self._distinct[key] = number
        return number

    def _find(self, number: int) -> int:
        parent = self._parent
        while parent[number] != number:
            parent[number] = parent[parent[number]]
            number = parent[number]
        return number

    def _union(self, a: int, b: int) -> None:
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            kept, merged = min(root_a, root_b), max(root_a, root_b)
            self._parent[merged] = kept
            if merged in self._indexed:
                self._indexed[kept] = self._indexed.get(kept, 0) + self._indexed.pop(merged)

    def groups(self) -> Iterator[tuple[list[int], int, Counter]]:
        """(member positions, position of the representative, stakeholder types) for each group of two or more."""
        members: dict[int, list[int]] = {}
        for position, number in enumerate(self.item_texts):
            members.setdefault(self._find(number), []).append(position)
        for positions in members.values():
            if len(positions) < 2:
                continue
            copies = Counter(self.item_texts[p] for p in positions)
            first_of = {}
            for p in positions:
                first_of.setdefault(self.item_texts[p], p)
            # The most common exact text; among equals, the one written first.
            representative = min(copies, key=lambda n: (-copies[n], self.item_ids[first_of[n]]))
            yield positions, first_of[representative], Counter(self.item_types[p] for p in positions)


def _answer_rows(consultation: Consultation) -> Iterable[tuple[int, object, str | None]]:
    query = (
        select(Answer.id, Answer.value, Organization.stakeholder_type)
        .join(Response, Answer.response_id == Response.id)
        .join(Survey, Response.survey_id == Survey.id)
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(Organization, Response.organization_id == Organization.id)
        .where(
            Survey.consultation_id == consultation.id,
            Response.status == ResponseStatus.SUBMITTED.value,
            Question.question_type.in_(TEXT_QUESTION_TYPES),
        )
        .order_by(Answer.id)
    )
    return db.session.execute(query.execution_options(yield_per=BATCH))


def _comment_rows(consultation: Consultation) -> Iterable[tuple[int, object, str | None]]:
    query = (
        select(Comment.id, Comment.body, Organization.stakeholder_type)
        .outerjoin(Organization, Comment.organization_id == Organization.id)
        .where(Comment.consultation_id == consultation.id, Comment.status.not_in(LEFT_OUT_COMMENT_STATUSES))
        .order_by(Comment.id)
    )
    return db.session.execute(query.execution_options(yield_per=BATCH))


def _grouped(rows: Iterable[tuple[int, object, str | None]]) -> _Grouper:
    grouper = _Grouper()
    for item_id, text, stakeholder_type in rows:
        if isinstance(text, str):
            grouper.add(item_id, text, stakeholder_type)
    return grouper


def _texts(kind: str, ids: set[int]) -> dict[int, tuple[str, str]]:
    """(text, the language it was written in) of each answer or comment."""
    if not ids:
        return {}
    if kind == ANSWER:
        query = select(Answer.id, Answer.value, Response.language).join(Response, Answer.response_id == Response.id)
        query = query.where(Answer.id.in_(ids))
    else:
        query = select(Comment.id, Comment.body, Comment.language).where(Comment.id.in_(ids))
    return {row_id: (str(text), language) for row_id, text, language in db.session.execute(query)}


def texts_fingerprint(consultation: Consultation) -> tuple[str, int]:
    """(what changes whenever a text that grouping reads changes, how many texts there are), in a few queries.

    Text answers change only with their response (submitted again, withdrawn, deleted): the responses' count,
    last id and last times say when; how many texts there are comes from the survey tallies when every survey
    of the consultation has them (a few rows), else from the answers.
    """
    answers = [*_submitted_responses_state(consultation), _text_answer_count(consultation)]
    comments = db.session.execute(
        select(func.count(Comment.id), func.max(Comment.id), func.max(Comment.edited_at),
               func.max(Comment.moderated_at), func.max(Comment.withdrawn_at), func.max(Comment.created_at))
        .where(Comment.consultation_id == consultation.id, Comment.status.not_in(LEFT_OUT_COMMENT_STATUSES))
    ).one()
    parts = [*answers, *comments]
    key = "|".join("" if part is None else part.isoformat() if hasattr(part, "isoformat") else str(part)
                   for part in parts)
    return hashlib.blake2b(key.encode(), digest_size=20).hexdigest(), int(answers[-1]) + comments[0]


def _submitted_responses_state(consultation: Consultation):
    return db.session.execute(
        select(func.count(Response.id), func.max(Response.id), func.max(Response.last_edited_at),
               func.max(Response.submitted_at))
        .join(Survey, Response.survey_id == Survey.id)
        .where(Survey.consultation_id == consultation.id, Response.status == ResponseStatus.SUBMITTED.value)
    ).one()


def _text_answer_count(consultation: Consultation) -> int:
    surveys, tallied = db.session.execute(
        select(func.count(Survey.id), func.count(SurveyTallyState.survey_id))
        .outerjoin(SurveyTallyState, SurveyTallyState.survey_id == Survey.id)
        .where(Survey.consultation_id == consultation.id)
    ).one()
    if surveys == tallied:
        return db.session.scalar(
            select(func.coalesce(func.sum(SurveyTally.count), 0))
            .join(Survey, SurveyTally.survey_id == Survey.id)
            .join(Question, SurveyTally.question_id == Question.id)
            .where(Survey.consultation_id == consultation.id, SurveyTally.key == ANSWERED,
                   Question.question_type.in_(TEXT_QUESTION_TYPES))
        )
    return db.session.scalar(
        select(func.count(Answer.id))
        .join(Response, Answer.response_id == Response.id)
        .join(Survey, Response.survey_id == Survey.id)
        .join(Question, Answer.question_id == Question.id)
        .where(Survey.consultation_id == consultation.id, Response.status == ResponseStatus.SUBMITTED.value,
               Question.question_type.in_(TEXT_QUESTION_TYPES))
    )


def campaign_groups(consultation: Consultation, limit: int | None = None) -> list[CampaignGroup]:
    """The campaigns of `consultation`, largest first (then answers before comments, then oldest first).

    This reads every text; pages use consult/exports/campaign_analysis.py, which keeps the result.
    """
    found = []
    for kind, rows in ((ANSWER, _answer_rows), (COMMENT, _comment_rows)):
        grouper = _grouped(rows(consultation))  # one stream at a time
        for positions, representative, types in grouper.groups():
            member_ids = tuple(grouper.item_ids[p] for p in positions)
            found.append((kind, member_ids, grouper.item_ids[representative], types))
    found.sort(key=lambda g: (-len(g[1]), g[0] != ANSWER, g[1][0]))
    if limit is not None:
        found = found[:limit]
    texts = {kind: _texts(kind, {g[2] for g in found if g[0] == kind}) for kind in (ANSWER, COMMENT)}
    return [
        CampaignGroup(
            number=number,
            kind=kind,
            size=len(member_ids),
            representative=texts[kind].get(representative_id, ("", ""))[0],
            member_ids=member_ids,
            stakeholder_types=tuple(sorted(types.items(), key=lambda item: (-item[1], item[0]))),
            representative_language=texts[kind].get(representative_id, ("", ""))[1],
        )
        for number, (kind, member_ids, representative_id, types) in enumerate(found, start=1)
    ]


def group_to_json(group: CampaignGroup) -> dict:
    return {
        "number": group.number, "kind": group.kind, "size": group.size, "representative": group.representative,
        "member_ids": list(group.member_ids), "stakeholder_types": [list(pair) for pair in group.stakeholder_types],
        "representative_language": group.representative_language,
    }


def group_from_json(data: dict) -> CampaignGroup:
    return CampaignGroup(
        number=data["number"], kind=data["kind"], size=data["size"], representative=data["representative"],
        member_ids=tuple(data["member_ids"]),
        stakeholder_types=tuple((code, count) for code, count in data["stakeholder_types"]),
        representative_language=data.get("representative_language", ""),
    )
