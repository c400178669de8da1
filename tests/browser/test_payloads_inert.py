"""Script payloads stored everywhere a person's text is shown stay text in Chromium: no dialog, no
`window.__pwned`, no console error (a blocked inline script or a loaded `src=x` would log one).

Every script payload of the corpus (tests/security/payloads.py) is written into display names, organization
names, group names, consultation, document and survey titles, paragraphs, comment bodies and proposed wording,
secretariat responses, flag notes, survey answers and uploaded file names, and the audit log; then the pages that
show them are opened as the admin (who sees everything) and, for the public results, anonymously.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import url_for

from consult import audit
from consult.comments.models import CommentFlag, SecretariatResponse
from consult.consultations.models import Consultation
from consult.directory.models import Group, Organization, User
from consult.extensions import db
from consult.i18n import LocalizedText, utcnow
from tests.browser.conftest import sign_in
from tests.factories import create_comment, create_consultation, create_document, create_group
from tests.helpers import create_organization, create_user
from tests.security.payloads import XSS_PAYLOADS
from tests.surveys.factories import create_survey
from tests.surveys.test_responses_support import add_file, add_response

PASSWORD = "correct horse battery staple"
QUESTIONS = [
    {"type": "short_text", "code": "Q1", "label": "Your view?"},
    {"type": "long_text", "code": "Q2", "label": "Why?"},
    {"type": "file", "code": "Q3", "label": "Evidence"},
]
# As the product would store them: it removes NUL from every form field (PostgreSQL refuses it in text).
STORED = [p for p in XSS_PAYLOADS if "\x00" not in p.value]
SHORT = [p.value for p in STORED if len(p.value) <= 190]


def _cycle(values):
    return itertools.cycle(values)


def _store_everywhere(app) -> SimpleNamespace:
    short = _cycle(SHORT)
    with app.app_context():
        admin = create_user(role="admin", password=PASSWORD, display_name=next(short))
        staff = create_user(role="staff", password=PASSWORD, display_name=next(short))
        authors = []
        for number in range(6):
            name = f"{next(short)} {number}"
            organization = create_organization(name=name, stakeholder_type="rights_holder")
            authors.append(create_user(password=PASSWORD, organization_id=organization.id,
                                       display_name=next(short)))
        group = create_group(next(short), organization_ids=[a.organization_id for a in authors],
                             moderator_ids=[admin.id])
        db.session.get(Group, group.id).description = LocalizedText({"en": next(short)}, "en")
        db.session.commit()

        consultations = []
        for state in ("open", "closed"):
            consultation = create_consultation(group.id, state=state, title={"en": next(short)})
            row = db.session.get(Consultation, consultation.id)
            row.summary = LocalizedText({"en": next(short)}, "en")
            row.body = LocalizedText({"en": "\n\n".join(SHORT[:20])}, "en")
            row.meeting_name, row.meeting_place = next(short), next(short)
            if state == "closed":
                row.results_published_at = utcnow() - timedelta(hours=1)
            document = create_document(consultation.id, paragraphs=SHORT[:10], title=next(short))
            survey = create_survey(consultation.id, questions=QUESTIONS, title=next(short))
            everything = _cycle([p.value for p in STORED])
            comment_ids = []
            for index, payload in enumerate(STORED):
                author = authors[index % len(authors)]
                status = "pending" if index % 5 == 0 and state == "open" else "published"
                comment_ids.append(create_comment(
                    consultation.id, author.id, body=payload.value, proposed_wording=next(everything),
                    paragraph_id=document.paragraph_ids[index % 2] if index % 3 else None, status=status,
                ))
            for comment_id in comment_ids[1::4]:
                db.session.add(SecretariatResponse(comment_id=comment_id, outcome="noted", text=next(everything),
                                                   author_id=staff.id))
                db.session.add(CommentFlag(comment_id=comment_id, user_id=authors[0].id, reason="other",
                                           note=next(everything)))
            response_ids = []
            for author in authors:
                response_id = add_response(survey.id, author.id, status="submitted", consent="named",
                                           answers={"Q1": next(short), "Q2": next(everything)})
                add_file(response_id, survey.question_ids["Q3"], filename=next(short))
                response_ids.append(response_id)
            db.session.commit()
            consultations.append(SimpleNamespace(slug=consultation.slug, document_id=document.id,
                                                 thread_key=document.thread_keys[0], survey_id=survey.id,
                                                 response_id=response_ids[0], comment_id=comment_ids[1]))

        actor = db.session.get(User, admin.id)
        for payload in STORED[:30]:
            audit.record(actor, "user_created", db.session.get(Organization, authors[0].organization_id),
                         note=payload.value, name=payload.value)
        db.session.commit()
    return SimpleNamespace(admin=admin, open=consultations[0], closed=consultations[1], group_id=group.id)


def _pages(app, world) -> list[str]:
    with app.test_request_context():
        pages = []
        for place in (world.open, world.closed):
            pages += [
                url_for("consultations.consultation", slug=place.slug),
                url_for("consultations.document", slug=place.slug, document_id=place.document_id),
                url_for("comments.thread", slug=place.slug, document_id=place.document_id,
                        thread_key=place.thread_key),
                url_for("surveys.responses", slug=place.slug, survey_id=place.survey_id),
                url_for("surveys.response", slug=place.slug, survey_id=place.survey_id,
                        response_id=place.response_id),
                url_for("responses.compilation", slug=place.slug),
                url_for("responses.consultation_comment_response", slug=place.slug, comment_id=place.comment_id),
                url_for("exports.report", slug=place.slug),
            ]
        pages += [
            url_for("moderation.queue"),
            url_for("moderation.comment", comment_id=world.open.comment_id),
            url_for("directory.users"),
            url_for("directory.organizations"),
            url_for("directory.groups"),
            url_for("directory.group", group_id=world.group_id),
            url_for("admin.audit_log"),
            url_for("consultations.index"),
        ]
        public = [
            url_for("exports.results", slug=world.closed.slug),
            url_for("exports.results_comments", slug=world.closed.slug),
        ]
    return pages, public


def _assert_inert(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    page.wait_for_load_state("load")
    pwned = page.evaluate("() => typeof window.__pwned")
    assert pwned == "undefined", f"{url}: a payload ran"
    assert not page.dialogs, f"{url}: dialogs {page.dialogs}"
    assert not page.console_errors, f"{url}: console errors {page.console_errors[:5]}"


@pytest.fixture
def world(app):
    return _store_everywhere(app)


def test_stored_payloads_never_run_on_the_pages_that_show_them(app, live_server, page, world):
    pages, public = _pages(app, world)
    sign_in(page, live_server, world.admin.email, PASSWORD)
    # The stored text really is on the pages (escaped or sanitised), not left out.
    page.goto(live_server + pages[1])
    assert "alert(1)" in page.content()
    for path in pages:
        _assert_inert(page, live_server + path)
    page.context.clear_cookies()
    for path in public:
        _assert_inert(page, live_server + path)


def test_hovering_and_focusing_stored_text_runs_nothing(app, live_server, page, world):
    sign_in(page, live_server, world.admin.email, PASSWORD)
    with app.test_request_context():
        path = url_for("consultations.document", slug=world.open.slug, document_id=world.open.document_id)
    page.goto(live_server + path)
    for link in page.locator("main a[href^='javascript'], main a[href^='data:']").all():
        pytest.fail(f"a stored link kept a script address: {link.get_attribute('href')}")
    # Every event an injected handler could wait for, sent to every element of the page.
    fired = page.evaluate("""() => {
        let count = 0;
        for (const element of document.querySelectorAll("main *")) {
            for (const type of ["mouseover", "mouseenter", "focus", "focusin", "toggle", "animationstart",
                                "load", "error", "begin"]) {
                element.dispatchEvent(new Event(type, {bubbles: true}));
                count += 1;
            }
        }
        return count;
    }""")
    assert fired > 1000
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert not page.dialogs and not page.console_errors, (page.dialogs, page.console_errors[:5])
