"""A new version of a working document: threads that follow unchanged paragraphs, and the diff between versions."""

from __future__ import annotations

import difflib
import re
import uuid
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from consult.consultations.models import Paragraph, ParagraphKind
from consult.consultations.parsing import HEADING, Block, normalise
from consult.i18n import LocalizedText

# --- Building a version's paragraphs -------------------------------------


def build_paragraphs(blocks: Sequence[Block], locale: str, previous: Sequence[Paragraph] = ()) -> list[Paragraph]:
    """Paragraph rows for `blocks` written in `locale`.

    A block whose text (in `locale`, whitespace aside) is the same as a block of
    the previous version takes over its thread key and its translations, so the
    thread and the translators' work follow the unchanged paragraph. Each
    earlier block is taken over at most once, in document order.
    """
    unchanged: dict[tuple[str, str], deque[Paragraph]] = defaultdict(deque)
    for paragraph in previous:
        unchanged[(paragraph.kind, normalise(paragraph.text.get(locale)))].append(paragraph)

    paragraphs = []
    number = 0
    for position, block in enumerate(blocks, start=1):
        is_heading = block.kind == HEADING
        if not is_heading:
            number += 1
        kind = ParagraphKind.HEADING.value if is_heading else ParagraphKind.PARAGRAPH.value
        earlier = unchanged.get((kind, normalise(block.text)))
        match = earlier.popleft() if earlier else None
        texts = dict(match.text.texts) if match else {}
        texts[locale] = block.text
        paragraphs.append(
            Paragraph(
                position=position,
                number=None if is_heading else number,
                kind=kind,
                level=block.level if is_heading else 0,
                thread_key=match.thread_key if match else uuid.uuid4().hex,
                text=LocalizedText(texts, locale),
            )
        )
    return paragraphs


# --- The diff between two versions --------------------------------------

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
UNCHANGED = "unchanged"

_WORDS = re.compile(r"(\s+)")
_WORD_CHARACTERS = re.compile(r"\w+")
SIMILAR = 0.5  # share of words two blocks have in common to count as one paragraph reworded
MAX_PAIRINGS = 10_000  # beyond this many comparisons, a rewritten stretch is shown as removed and added


@dataclass
class DiffEntry:
    status: str  # ADDED, REMOVED, CHANGED or UNCHANGED
    old: Paragraph | None
    new: Paragraph | None
    html: Markup  # the text, with word-level <ins>/<del> inside a changed block

    @property
    def label(self) -> str:
        return {
            ADDED: _("Added"),
            REMOVED: _("Removed"),
            CHANGED: _("Changed"),
            UNCHANGED: _("Unchanged"),
        }[self.status]


def diff_versions(old: Sequence[Paragraph], new: Sequence[Paragraph], locale: str) -> list[DiffEntry]:
    """Block by block, what changed from `old` to `new`, compared in `locale` (the new version's language)."""
    old_texts = [_source(p, locale) for p in old]
    new_texts = [_source(p, locale) for p in new]
    matcher = difflib.SequenceMatcher(
        None,
        [(p.kind, normalise(t)) for p, t in zip(old, old_texts, strict=True)],
        [(p.kind, normalise(t)) for p, t in zip(new, new_texts, strict=True)],
        autojunk=False,
    )
    entries: list[DiffEntry] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            entries += [
                DiffEntry(UNCHANGED, old[i], new[j], _plain(new_texts[j]))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        for i, j in _pair_similar(old, old_texts, range(i1, i2), new, new_texts, range(j1, j2)):
            if j is None:
                entries.append(DiffEntry(REMOVED, old[i], None, _plain(old_texts[i])))
            elif i is None:
                entries.append(DiffEntry(ADDED, None, new[j], _plain(new_texts[j])))
            else:
                entries.append(DiffEntry(CHANGED, old[i], new[j], word_diff(old_texts[i], new_texts[j])))
    return entries


def _pair_similar(old, old_texts, old_range, new, new_texts, new_range):
    """In a stretch that differs, pair each old block with the next new one that is a rewording of it.

    Yields (i, j) for a changed block, (i, None) for a removed one, (None, j) for an added one, in reading order.
    Blocks too different to be the same paragraph reworded are shown as removed and added.
    """
    if len(old_range) * len(new_range) > MAX_PAIRINGS:
        yield from ((i, None) for i in old_range)
        yield from ((None, j) for j in new_range)
        return
    words = {j: _word_list(new_texts[j]) for j in new_range}
    next_new = new_range.start
    for i in old_range:
        old_words = _word_list(old_texts[i])
        candidates = range(next_new, new_range.stop)
        match = next((j for j in candidates if new[j].kind == old[i].kind and _similar(old_words, words[j])), None)
        if match is None:
            yield i, None
            continue
        yield from ((None, j) for j in range(next_new, match))
        yield i, match
        next_new = match + 1
    yield from ((None, j) for j in range(next_new, new_range.stop))


def _word_list(text: str) -> list[str]:
    return _WORD_CHARACTERS.findall(text.casefold())


def _similar(a: list[str], b: list[str]) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR


def word_diff(before: str, after: str) -> Markup:
    """`after`, with the words taken out of `before` in <del> and the words put in as <ins>.

    Compared word by word on plain text; every piece is escaped before it is
    wrapped, so nothing a writer typed can become markup. Each change also says
    in words what happened, for screen readers that do not announce ins/del.
    """
    old_words, new_words = _WORDS.split(before), _WORDS.split(after)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    removed = Markup('<del><span class="visually-hidden">{}</span>{}</del>')
    added = Markup('<ins><span class="visually-hidden">{}</span>{}</ins>')
    html = Markup("")
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            html += _plain("".join(new_words[j1:j2]))
            continue
        gone, came = "".join(old_words[i1:i2]), "".join(new_words[j1:j2])
        if gone.strip():  # spacing that went away leaves nothing to show
            html += removed.format(_("removed:") + " ", _plain(gone))
        if came.strip():
            html += added.format(_("added:") + " ", _plain(came))
        elif came:
            html += _plain(came)
    return html


def _source(paragraph: Paragraph, locale: str) -> str:
    return paragraph.text.get(locale) or paragraph.text.render(locale).text


def _plain(text: str) -> Markup:
    """Escaped text with its line breaks kept."""
    return Markup("<br>").join(escape(line) for line in text.split("\n"))
