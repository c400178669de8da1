"""Extension points of the consultation pages.

Packages above `consultations` (comments, surveys, procedures) add what they
own to its pages by registering here; `consultations` never imports them.
Each loader receives the consultation (or document version) and the viewer,
and must apply the viewer's permissions itself, through the objects' own
`visible_to` / `visible_filter` methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    """A block of a page: `load` returns the template's context, or None to show nothing."""

    name: str
    template: str
    order: int
    load: Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class RenderedSection:
    name: str
    template: str
    context: dict[str, Any]


_consultation_sections: dict[str, Section] = {}
_document_sections: dict[str, Section] = {}
_participation_sources: dict[str, Callable[..., dict[int, int]]] = {}


def consultation_section(name: str, template: str, order: int = 50):
    """Register `load(consultation, user)` as a section of the consultation page."""

    def register(load):
        _consultation_sections[name] = Section(name, template, order, load)
        return load

    return register


def document_section(name: str, template: str, order: int = 50):
    """Register `load(document, version, user, request_args)` as a section of the document page.

    The comments package uses it to give every paragraph its thread.
    """

    def register(load):
        _document_sections[name] = Section(name, template, order, load)
        return load

    return register


def participation_source(name: str):
    """Register `count(consultation) -> {organization_id: contributions}` for the participation panel."""

    def register(count):
        _participation_sources[name] = count
        return count

    return register


def render_sections(registry: dict[str, Section], *args) -> list[RenderedSection]:
    rendered = []
    for section in sorted(registry.values(), key=lambda s: (s.order, s.name)):
        context = section.load(*args)
        if context is not None:
            rendered.append(RenderedSection(section.name, section.template, context))
    return rendered


def consultation_sections(consultation, user) -> list[RenderedSection]:
    return render_sections(_consultation_sections, consultation, user)


def document_sections(document, version, user, request_args) -> dict[str, RenderedSection]:
    return {s.name: s for s in render_sections(_document_sections, document, version, user, request_args)}


def participation_counts(consultation) -> dict[str, dict[int, int]]:
    return {name: count(consultation) for name, count in sorted(_participation_sources.items())}
