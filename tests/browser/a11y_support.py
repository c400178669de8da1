"""Support for the accessibility tests: axe-core run in the page, and the pages every person can reach.

The pages come from the application's url_map: every rule answering GET is checked, except the ones in
`NOT_A_PAGE` (downloads, JSON, redirects), each with its reason. Which person opens a page is read from the
authorization table (tests/security/test_authorization_matrix.py), so a new route is checked as soon as
that table says who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe

from tests.security.matrix_support import SKIPPED_ENDPOINTS
from tests.security.test_authorization_matrix import EXPECTED, POST_ONLY

LANGUAGES = ("en", "fr", "es")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# GET routes that never answer with an HTML page of their own.
NOT_A_PAGE = {
    "site.healthz": "a plain-text health check for the load balancer",
    "consultations.document_original": "downloads the uploaded source file of a document version",
    "directory.import_template": "downloads the CSV template for the participant import",
    "exports.export_comments": "downloads the comments as CSV / XLSX / JSON",
    "exports.export_responses": "downloads the survey responses as CSV / XLSX / JSON",
    "exports.export_job_download": "downloads the file a background export produced",
    "exports.report_workbook": "downloads the summary report as a workbook",
    "exports.compilation_export": "downloads the compilation of comments with responses (DOCX)",
    "surveys.download_file": "downloads a file attached to one's own response",
    "surveys.response_file": "downloads a file attached to a response (managers)",
    "surveys.nonrespondents_csv": "downloads the contact list of non-respondents as CSV",
    "surveys.builder_definition": "downloads the survey definition as JSON",
    "comments.show": "only redirects to the comment inside its thread",
}

# Reading order of the people who may open a page: the first one the table lets in opens it, once as a
# reader and once more as a manager when the page has one (managers see more controls).
READERS_FIRST = ("anonymous", "participant_audience")
MANAGERS_FIRST = ("moderator_this_group", "staff", "admin")


@dataclass(frozen=True)
class Target:
    """A page to check: the route, who opens it and, when it is a state rather than a route, its name."""

    endpoint: str
    persona: str
    state: str = ""

    @property
    def label(self) -> str:
        return f"{self.endpoint}{' (' + self.state + ')' if self.state else ''} as {self.persona}"


def page_rules(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules()
         if "GET" in rule.methods and rule.endpoint not in SKIPPED_ENDPOINTS and rule.endpoint not in NOT_A_PAGE),
        key=lambda rule: rule.rule,
    )


def personas_for(endpoint: str) -> list[str]:
    """Who opens the page: the first reader and the first manager who get a 200 in the authorization table."""
    expected = EXPECTED.get(endpoint)
    assert expected is not None and expected != POST_ONLY, (
        f"{endpoint} answers GET but the authorization table has no row for it")
    chosen = []
    for order in (READERS_FIRST, MANAGERS_FIRST):
        found = next((persona for persona in order if expected[persona] == 200), None)
        if found is not None:
            chosen.append(found)
    return chosen


def run_axe(page) -> list[dict]:
    return Axe().run(page, options=AXE_OPTIONS).response["violations"]


def describe(violations: list[dict], where: str) -> list[str]:
    """One readable line per failing element: rule, impact, selector, the URL and the page it is."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"[{violation['id']}] ({violation['impact']}) {where}: target={node['target']} "
                         f"— {violation['help']}. {summary[:300]}")
    return lines


# Text of the test world written in English only. On a French or Spanish page, a block that shows it must say
# so with lang="en" (WCAG 3.1.2 Language of Parts), or a screen reader reads English with French sounds.
# Checked: elements whose text is that content alone (a paragraph, a comment, a question label, a table cell).
# Not checked: a title quoted inside a translated sentence, and form controls (a textarea holds what the person
# types; screen readers ignore lang on the options of a native select).
ENGLISH_ONLY_CONTENT = (
    r"First paragraph\.|Second paragraph\.|A summary\.|The background of the consultation\.|A comment\.|"
    r"Your view\?|Agree\?|Evidence|Please answer for your administration\.|"
    r"We ask that the notification period be extended to thirty days\.|Which customs procedures apply\?|"
    r"Anything else\?|Published with the results\.|Document \d+|Consultation \d+"
)

_UNMARKED_ENGLISH = r"""(pattern) => {
  const found = [];
  const anywhere = new RegExp(pattern);
  const everywhere = new RegExp(pattern, "g");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const describe = (element) => {
    let path = element.tagName.toLowerCase();
    if (element.id) path += "#" + element.id;
    else if (element.classList.length) path += "." + Array.from(element.classList).join(".");
    return path;
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    const text = node.textContent;
    if (!anywhere.test(text) || /\p{L}{3,}/u.test(text.replace(everywhere, ""))) continue;
    if (element.closest("script, style, textarea, select, [hidden], [aria-hidden=true]")) continue;
    const lang = (element.closest("[lang]").getAttribute("lang") || "").toLowerCase();
    if (!lang.startsWith("en")) found.push(describe(element) + ": " + text.trim().slice(0, 80));
  }
  return found;
}"""


def unmarked_english(page) -> list[str]:
    """Elements showing English-only content, and nothing else, inside a part of the page in another language."""
    return page.evaluate(_UNMARKED_ENGLISH, ENGLISH_ONLY_CONTENT)
