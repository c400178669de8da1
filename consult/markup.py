"""User-written Markdown, rendered and then sanitised: the only way user text becomes HTML."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

# Raw HTML in the source is shown as text, never interpreted; headings are
# demoted so user content cannot outrank the page's own structure.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_markdown.enable("strikethrough")


def _demote_headings(html: str) -> str:
    for level in (2, 1):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return html


def render_markdown(source: str | None) -> Markup:
    """Markdown to safe HTML; links get rel="nofollow ugc noopener"."""
    if not source:
        return Markup("")
    return _remembered(source) if len(source) <= REMEMBERED_LENGTH else _rendered(source)


# The HTML depends on the source alone, and pages show the same comments again and again: a thread of many
# comments would otherwise parse and sanitise every one on every view. Only texts of ordinary length are kept,
# so that the cache stays a few megabytes per worker whatever people write.
REMEMBERED_LENGTH = 2_000


@lru_cache(maxsize=8192)
def _remembered(source: str) -> Markup:
    return _rendered(source)


def _rendered(source: str) -> Markup:
    html = _demote_headings(_markdown.render(source))
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704  (sanitised by nh3 just above)


def plain_text(source: str | None, limit: int = 200) -> str:
    """A one-line excerpt of Markdown for lists and notifications."""
    text = " ".join((source or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
