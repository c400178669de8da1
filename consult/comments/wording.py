"""Proposed wording shown as a word-by-word change against the paragraph it would replace."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import lru_cache

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from consult.i18n import LocalizedText
from consult.markup import render_markdown

_TAG = re.compile(r"<[^>]*>")


def plain_words(markdown: str | None) -> list[str]:
    """The words a reader sees in Markdown text, without its markup."""
    text = html.unescape(_TAG.sub(" ", str(render_markdown(markdown))))
    return text.split()


@dataclass(frozen=True)
class ProposedChange:
    html: Markup  # the paragraph with deletions and insertions marked
    changed: bool
    # The language of the paragraph text it was compared with, when not the comment's own.
    compared_in: str | None = None


def proposed_change(original: str | None, proposed: str | None) -> ProposedChange:
    """Mark, word by word, what `proposed` removes from and adds to `original` (both Markdown)."""
    old, new = plain_words(original), plain_words(proposed)
    deleted_label, inserted_label = _("deleted:"), _("inserted:")
    parts: list[Markup] = []
    changed = False
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            parts.append(escape(" ".join(old[old_start:old_end])))
            continue
        changed = True
        if old_end > old_start:
            parts.append(
                Markup('<del><span class="visually-hidden">{} </span>{}</del>').format(
                    deleted_label, " ".join(old[old_start:old_end])
                )
            )
        if new_end > new_start:
            parts.append(
                Markup('<ins><span class="visually-hidden">{} </span>{}</ins>').format(
                    inserted_label, " ".join(new[new_start:new_end])
                )
            )
    return ProposedChange(Markup(" ").join(parts), changed)


def proposed_change_to(paragraph, proposed: str | None, language: str) -> ProposedChange:
    """The change `proposed` makes to the paragraph, in the paragraph's language closest to the proposal.

    Delegates often propose wording in the document's original language while
    commenting in their own, so the comparison is made with whichever version
    of the paragraph the proposal resembles most (the comment's language first
    when several resemble it equally).
    """
    text = paragraph.text
    return _proposed_change_to(tuple(text.texts.items()), text.original, proposed, language, str(get_locale()))


# Pages show the same proposals again and again; the comparison depends only on these arguments
# (the interface locale labels the insertions and deletions).
@lru_cache(maxsize=4096)
def _proposed_change_to(texts: tuple[tuple[str, str], ...], original: str, proposed: str | None, language: str,
                        _interface_locale: str) -> ProposedChange:
    localized = LocalizedText(dict(texts), original)
    shown = localized.render(language)
    candidates = {shown.lang: shown.text, **{code: text for code, text in localized.texts.items() if text}}
    proposed_words = plain_words(proposed)

    def resemblance(code: str) -> float:
        return SequenceMatcher(a=plain_words(candidates[code]), b=proposed_words, autojunk=False).ratio()

    closest = max(candidates, key=lambda code: (resemblance(code), code == shown.lang))
    change = proposed_change(candidates[closest], proposed)
    return replace(change, compared_in=closest if closest != language else None)
