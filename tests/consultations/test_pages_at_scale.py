"""The consultation and document pages cost the same number of queries with 10 or 1,000 comments."""

from __future__ import annotations

import itertools

import pytest

from consult.comments.models import Comment
from consult.extensions import db
from tests.factories import create_consultation, create_document
from tests.helpers import counted_queries, create_organization, create_user, login


def _build(app, comments: int, paragraphs: int = 200):
    with app.app_context():
        organizations = [create_organization(stakeholder_type=kind).id
                         for kind in ("customs", "rights_holder", "intermediary")]
        authors = [create_user(organization_id=organizations[i % 3], password=None).id for i in range(12)]
        consultation = create_consultation()
        document = create_document(consultation.id, paragraphs=[f"Paragraph {n} of the draft." for n in
                                                                range(1, paragraphs + 1)])
        statuses = itertools.cycle(["published"] * 8 + ["hidden", "withdrawn"])
        visibility = itertools.cycle(["audience"] * 9 + ["confidential"])
        rows = []
        for number in range(comments):
            on_paragraph = number % 5 != 0
            paragraph_index = number % paragraphs
            rows.append(Comment(
                consultation_id=consultation.id,
                document_id=document.id if on_paragraph else None,
                paragraph_id=document.paragraph_ids[paragraph_index] if on_paragraph else None,
                thread_key=document.thread_keys[paragraph_index] if on_paragraph else None,
                author_id=authors[number % len(authors)],
                organization_id=organizations[number % 3],
                body=f"Comment {number}",
                status=next(statuses),
                visibility=next(visibility),
            ))
        db.session.add_all(rows)
        db.session.commit()
        viewer = create_user(organization_id=organizations[0], password="correct horse battery staple")
        return consultation.slug, document.id, viewer.email


def _queries(app, comments: int) -> dict[str, int]:
    slug, document_id, email = _build(app, comments)
    client = app.test_client()
    login(client, email, "correct horse battery staple")
    counts = {}
    for name, path in (("consultation", f"/consultations/{slug}"),
                       ("document", f"/consultations/{slug}/documents/{document_id}")):
        with counted_queries(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[name] = len(statements)
    return counts


@pytest.mark.parametrize("page", ["consultation", "document"])
def test_query_count_does_not_grow_with_comments(app, page):
    small = _queries(app, 10)
    large = _queries(app, 1000)
    assert large[page] == small[page], (small, large)
