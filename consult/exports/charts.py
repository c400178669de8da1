"""Horizontal bar charts as inline SVG, each followed by the same figures as a table.

No script and no inline style (the Content-Security-Policy forbids both): the
SVG uses presentation attributes and classes from report.css, and prints as it
shows. The chart is an image named by its <title>; the table beside it is what
a screen reader, a keyboard user or a copy-paste reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 230
BAR_START = 240
BAR_SPACE = 300  # the longest bar; the value is written after it
ROW_HEIGHT = 26
BAR_HEIGHT = 18
PADDING = 8
MAX_LABEL_CHARACTERS = 34
MAX_NOTE_CHARACTERS = 12  # a longer note stays in the table: beside a long bar it would run off the image
BAR_COLOUR = "#0b3d91"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | float | Decimal
    shown: str  # the value as the reader sees it ("1,204")
    note: str = ""  # a second figure, such as the share ("42%")


def _short(label: str) -> str:
    label = " ".join(label.split())
    if len(label) <= MAX_LABEL_CHARACTERS:
        return label
    return label[: MAX_LABEL_CHARACTERS - 1].rstrip() + "…"


def _lang(title_lang: str) -> Markup:
    """A lang attribute for a title written in another language than the page (a question's label)."""
    return Markup(' lang="{}"').format(title_lang) if title_lang else Markup("")


def chart_svg(chart_id: str, title: str, bars: list[Bar], description: str = "", title_lang: str = "") -> Markup:
    """The SVG alone: role="img", labelled by its <title> (and <desc>)."""
    height = PADDING * 2 + ROW_HEIGHT * max(len(bars), 1)
    largest = max((float(b.value) for b in bars), default=0.0) or 1.0
    labelled_by = f"{chart_id}-title" + (f" {chart_id}-desc" if description else "")
    parts = [Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart-svg" role="img" aria-labelledby="{by}" '
        'viewBox="0 0 {width} {height}" width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title"{lang}>{title}</title>'
    ).format(by=labelled_by, width=WIDTH, height=height, id=chart_id, title=title, lang=_lang(title_lang))]
    if description:
        parts.append(Markup('<desc id="{id}-desc">{text}</desc>').format(id=chart_id, text=description))
    for index, bar in enumerate(bars):
        top = PADDING + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        length = round(BAR_SPACE * max(float(bar.value), 0.0) / largest, 1)
        short_note = bar.note and len(bar.note) <= MAX_NOTE_CHARACTERS
        figure = bar.shown + (f" ({bar.note})" if short_note else "")
        parts.append(Markup(
            '<g class="report-chart-row">'
            '<text class="report-chart-label" x="{label_x}" y="{middle}" text-anchor="end" dominant-baseline="middle">'
            '<title>{full}</title>{label}</text>'
            '<rect class="report-chart-bar" x="{start}" y="{bar_top}" width="{length}" height="{bar_height}" '
            'fill="{colour}"/>'
            '<text class="report-chart-value" x="{value_x}" y="{middle}" dominant-baseline="middle">{figure}</text>'
            "</g>"
        ).format(
            label_x=LABEL_WIDTH, middle=middle, full=bar.label, label=_short(bar.label), start=BAR_START,
            bar_top=top + (ROW_HEIGHT - BAR_HEIGHT) / 2, length=length, bar_height=BAR_HEIGHT, colour=BAR_COLOUR,
            value_x=BAR_START + length + 6, figure=figure,
        ))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def chart_table(title: str, bars: list[Bar], label_header: str, value_header: str, note_header: str = "",
                title_lang: str = "") -> Markup:
    """The chart's figures as a table with a caption and column headers."""
    rows = []
    for bar in bars:
        note = Markup('<td class="text-end">{}</td>').format(bar.note) if note_header else Markup("")
        rows.append(Markup('<tr><th scope="row">{label}</th><td class="text-end">{shown}</td>{note}</tr>').format(
            label=bar.label, shown=bar.shown, note=note))
    note_head = Markup('<th scope="col" class="text-end">{}</th>').format(note_header) if note_header else Markup("")
    return Markup(
        '<table class="table table-sm report-chart-data"><caption{lang}>{title}</caption>'
        '<thead><tr><th scope="col">{label}</th><th scope="col" class="text-end">{value}</th>{note}</tr></thead>'
        "<tbody>{rows}</tbody></table>"
    ).format(title=title, label=label_header, value=value_header, note=note_head, rows=Markup("").join(rows),
             lang=_lang(title_lang))


def bar_chart(chart_id: str, title: str, bars: list[Bar], label_header: str, value_header: str,
              note_header: str = "", description: str = "", title_lang: str = "") -> Markup:
    """A <figure> holding the chart and its table; `title_lang` when the title is content in its own language."""
    return Markup('<figure class="report-chart" id="{id}">{svg}{table}</figure>').format(
        id=chart_id,
        svg=chart_svg(chart_id + "-chart", title, bars, description, title_lang),
        table=chart_table(title, bars, label_header, value_header, note_header, title_lang),
    )



