"""Markdown and .docx become headings and numbered paragraphs the way a reader expects."""

from __future__ import annotations

from docx.enum.style import WD_STYLE_TYPE

from consult.consultations.parsing import HEADING, PARAGRAPH, Block, parse_docx, parse_markdown
from consult.markup import render_markdown
from tests.consultations.document_support import docx_bytes

SAMPLE = """# Draft programme of work

The Group met in Brussels.
It agreed on three points.

## Priorities

- Online marketplaces
- Small consignments
  continued on a second line

1. first
2. second

| Member | Position |
|--------|----------|
| WCO    | Support  |

> The Chair recalled the mandate.

```
code stays one block
```

---

Setext heading
--------------

Last *paragraph* with <script>alert(1)</script>.
"""


def test_markdown_headings_keep_their_level_and_the_rest_is_one_block_each():
    blocks = parse_markdown(SAMPLE)
    assert [(b.kind, b.level) for b in blocks] == [
        (HEADING, 1),
        (PARAGRAPH, 0),
        (HEADING, 2),
        (PARAGRAPH, 0),  # the bullet list, both items
        (PARAGRAPH, 0),  # the ordered list
        (PARAGRAPH, 0),  # the table
        (PARAGRAPH, 0),  # the quotation
        (PARAGRAPH, 0),  # the code
        (HEADING, 2),
        (PARAGRAPH, 0),
    ]
    assert blocks[0].text == "Draft programme of work"
    assert blocks[1].text == "The Group met in Brussels.\nIt agreed on three points."
    assert blocks[3].text.startswith("- Online marketplaces") and "continued on a second line" in blocks[3].text
    assert blocks[5].text.splitlines()[0] == "| Member | Position |"
    assert blocks[8].text == "Setext heading"
    assert "<script>" in blocks[9].text  # kept as written; rendering escapes it


def test_every_block_renders_as_what_it_is():
    blocks = parse_markdown(SAMPLE)
    assert "<ul>" in render_markdown(blocks[3].text) and render_markdown(blocks[3].text).count("<li>") == 2
    assert "<table>" in render_markdown(blocks[5].text)
    assert "<blockquote>" in render_markdown(blocks[6].text)
    assert "<script>" not in render_markdown(blocks[9].text)


def test_windows_line_ends_and_blank_documents():
    assert parse_markdown("One\r\n\r\nTwo\r\n") == [Block(PARAGRAPH, "One"), Block(PARAGRAPH, "Two")]
    assert parse_markdown("   \n\n---\n\n") == []
    assert parse_markdown("#\n\n") == []


def _word_document(document):
    document.add_heading("Report of the meeting", level=1)
    intro = document.add_paragraph("The Group ")
    intro.add_run("agreed").bold = True
    intro.add_run(" to ")
    intro.add_run("continue").italic = True
    intro.add_run(" its work.")
    document.add_paragraph("")  # spacing only
    document.add_heading("Decisions", level=2)
    document.add_paragraph("Adopt the agenda", style="List Bullet")
    document.add_paragraph("Approve the report", style="List Bullet")
    document.add_paragraph("Sub-point", style="List Bullet 2")
    document.add_paragraph("1. Not a list, a typed number; and *stars*")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Member"
    table.cell(0, 1).text = "Comment"
    table.cell(1, 0).text = "WCO"
    table.cell(1, 1).text = "Yes | no"
    document.add_paragraph("First step", style="List Number")
    document.add_paragraph("Second step", style="List Number")


def test_docx_headings_lists_emphasis_and_tables():
    blocks = parse_docx(docx_bytes(_word_document))
    assert [(b.kind, b.level) for b in blocks] == [
        (HEADING, 1),
        (PARAGRAPH, 0),
        (HEADING, 2),
        (PARAGRAPH, 0),
        (PARAGRAPH, 0),
        (PARAGRAPH, 0),
        (PARAGRAPH, 0),
    ]
    assert blocks[0].text == "Report of the meeting"
    assert blocks[1].text == "The Group **agreed** to *continue* its work."
    assert blocks[3].text == "- Adopt the agenda\n- Approve the report\n    - Sub-point"
    assert blocks[4].text == "1\\. Not a list, a typed number; and \\*stars\\*"
    assert blocks[5].text == "| Member | Comment |\n|---|---|\n| WCO | Yes \\| no |"
    assert blocks[6].text == "1. First step\n1. Second step"

    html = render_markdown(blocks[1].text)
    assert "<strong>agreed</strong>" in html and "<em>continue</em>" in html
    assert render_markdown(blocks[3].text).count("<ul>") == 2
    assert "<ol>" not in render_markdown(blocks[4].text) and "*stars*" in render_markdown(blocks[4].text)
    table = render_markdown(blocks[5].text)
    assert "<table>" in table and "<th>Member</th>" in table and "Yes | no" in table
    assert render_markdown(blocks[6].text).count("<li>") == 2 and "<ol>" in render_markdown(blocks[6].text)


def test_docx_custom_styles_based_on_headings_are_headings():
    def build(document):
        style = document.styles.add_style("Chapter", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Heading 2"]
        document.add_paragraph("Annex", style="Chapter")
        document.add_paragraph("Text.")

    assert parse_docx(docx_bytes(build)) == [Block(HEADING, "Annex", 2), Block(PARAGRAPH, "Text.")]


def test_an_empty_docx_has_no_blocks():
    assert parse_docx(docx_bytes(lambda document: document.add_paragraph("   "))) == []
