"""The answering pages need the same number of SQL queries for 5 questions as for 40."""

from __future__ import annotations

from tests.surveys.test_answer_support import (
    EVERY_TYPE,
    complete_answers,
    counted_queries,
    make_world,
    post_form,
    submit_from_review,
)


def _questions(count: int) -> list[dict]:
    """`count` questions cycling through every type, each after the first depending on the one before."""
    specs = []
    for number in range(count):
        spec = dict(EVERY_TYPE[number % len(EVERY_TYPE)])
        spec["code"] = f"Q{number}"
        spec["section"] = number % 3
        if number:
            spec["conditions"] = [(f"Q{number - 1}", "answered", "")]
        specs.append(spec)
    return specs


def _queries(app, client, path: str) -> int:
    client.get(path)  # warm up: the session and user are loaded the same way each time
    with counted_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return len(statements)


def _answered_world(app, client, count: int):
    world = make_world(app, questions=_questions(count), sections=3)
    fields = {f"q{world.q[f'Q{n}']}": "x" for n in range(count) if _questions(count)[n]["type"] == "short_text"}
    post_form(client, world.url, fields)
    return world


def test_the_answer_page_needs_a_bounded_number_of_queries(app, client_as):
    small_client, large_client = client_as("participant"), client_as("participant")
    small = _answered_world(app, small_client, 5)
    large = _answered_world(app, large_client, 40)
    small_count = _queries(app, small_client, small.url)
    large_count = _queries(app, large_client, large.url)
    assert small_count == large_count
    assert small_count <= 6  # the survey's structure comes from the worker's cache (it was 10 queries before)


def test_the_review_receipt_and_printable_pages_need_a_bounded_number_of_queries(app, client_as):
    counts = []
    for size in (1, 4):
        client = client_as("participant")
        world = make_world(app, questions=EVERY_TYPE * 1 if size == 1 else _every_type_times(size))
        post_form(client, world.url, _complete(world, size), action="review")
        counts.append([_queries(app, client, world.url + "/review")])
        submit_from_review(client, world)
        counts[-1] += [_queries(app, client, world.url + "/receipt"), _queries(app, client, world.url + "/print")]
    assert counts[0] == counts[1]


def _every_type_times(times: int) -> list[dict]:
    specs = []
    for copy in range(times):
        for spec in EVERY_TYPE:
            specs.append(dict(spec, code=spec["code"] if copy == 0 else f"{spec['code']}{copy}"))
    return specs


def _complete(world, times: int) -> dict:
    fields = {}
    for copy in range(times):
        suffix = "" if copy == 0 else str(copy)
        renamed = type("S", (), {"question_ids": {code: world.q[code + suffix] for code in
                                                  [s["code"] for s in EVERY_TYPE]}})
        fields.update(complete_answers(renamed))
    return fields
