"""200 participants at once on two app instances, a moderator editing meanwhile, and a worker killed mid-load.

The load runs once (module fixture); each test then checks one promise against the database:
whatever the servers acknowledged with 2xx/3xx is stored exactly once, an organization has one
response, a double click stores one thing, and killing a worker loses nothing that was acknowledged.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import text

from tests.concurrency import live

pytestmark = pytest.mark.postgres

CLIENT_THREADS = 40
DOUBLE_CLICK_EVERY = live.SOLO_EVERY  # participants 0, 10, 20 ... click twice; nobody else writes their response
KILL_AFTER = 60  # participants finished before a worker of instance A is killed


class Run:
    """Shared state of one load run."""

    def __init__(self, world, instances):
        self.world = world
        self.instances = instances
        self.ledger = live.Ledger()
        self.finished = 0
        self.finished_lock = threading.Lock()
        self.done = threading.Event()
        self.kill_now = threading.Event()
        self.killed_pid: int | None = None
        self.killed_at: float | None = None
        self.errors: list[str] = []
        self.browsers: dict[int, live.Browser] = {}

    def participant_done(self) -> None:
        with self.finished_lock:
            self.finished += 1
            if self.finished == KILL_AFTER:
                self.kill_now.set()


def _send(run: Run, browser: live.Browser, instance: int, path: str, data, kind: str, entry: dict,
          retry: bool = True):
    """POST once; on a lost connection (a killed worker), send the very same form once more elsewhere."""
    for attempt in range(2 if retry else 1):
        try:
            return browser.post(instance + attempt, path, data)
        except httpx.TransportError as error:
            run.ledger.add("unanswered", {**entry, "kind": kind, "error": repr(error)})
    return None


def _together(run: Run, browser: live.Browser, path: str, data) -> list[httpx.Response | None]:
    """The same form sent twice at the same moment, once to each instance: a double click."""
    barrier = threading.Barrier(2)
    answers: list[httpx.Response | None] = [None, None]

    def send(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = browser.post(index, path, data)
        except httpx.TransportError as error:
            run.ledger.add("unanswered", {"kind": "double", "path": path, "error": repr(error)})

    threads = [threading.Thread(target=send, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _answers(world, marker: str) -> dict[str, str]:
    q = world.question_ids
    return {f"q{q['NAME']}": marker, f"q{q['VIEW']}": f"{marker} view"}


def _get(browser: live.Browser, instance: int, path: str) -> httpx.Response | None:
    for attempt in range(3):
        try:
            return browser.get(instance + attempt, path)
        except httpx.TransportError:
            continue
    return None


def participant(run: Run, index: int) -> None:
    try:
        _participant(run, index)
    except Exception as error:
        run.errors.append(f"participant {index}: {error!r}")
    finally:
        run.participant_done()


def _participant(run: Run, index: int) -> None:
    world, ledger = run.world, run.ledger
    person = world.participants[index]
    organization = person["organization_id"]
    double = index % DOUBLE_CLICK_EVERY == 0
    browser = live.Browser(run.instances)
    run.browsers[index] = browser
    side = index % 2  # every step goes to the other instance than the step before
    try:
        signed_in = browser.login(side, person["email"])
    except httpx.TransportError:
        signed_in = browser.login(side + 1, person["email"])
    if signed_in.status_code != 302:
        ledger.add("refused", (f"login {index}", signed_in.status_code))
        return

    # A comment on a paragraph.
    paragraph = world.paragraph_ids[index % len(world.paragraph_ids)]
    page = _get(browser, side + 1, f"/consultations/{world.slug}/comments/new?paragraph={paragraph}")
    form = live.form_with(page.text, "submission_key")
    marker = f"comment {index} {uuid.uuid4().hex}"
    data = live.with_values(form.fields, body=marker)
    entry = {"marker": marker, "participant": index, "organization": organization}
    if double:
        answers = _together(run, browser, form.action, data)
        ledger.add("double_comments", {**entry, "answers": [(a.status_code, a.headers.get("location"))
                                                            if a is not None else None for a in answers]})
        for answer in answers:
            if answer is not None and live.is_acknowledged(answer):
                ledger.add("comments", entry)
    else:
        answer = _send(run, browser, side, form.action, data, "comment", entry)
        if answer is not None and live.is_acknowledged(answer):
            ledger.add("comments", entry)
        elif answer is not None:
            ledger.add("refused", (f"comment {index}", answer.status_code))

    # A survey draft, then the final response: colleagues of one organization share one response.
    survey_url = f"/consultations/{world.slug}/surveys/{world.survey_id}"
    page = _get(browser, side, survey_url)
    csrf, version = live.CSRF.search(page.text).group(1), live.VERSION.search(page.text).group(1)
    marker = f"draft {index} {uuid.uuid4().hex}"
    data = {"csrf_token": csrf, "version": version, "action": "save", **_answers(world, marker)}
    entry = {"marker": marker, "participant": index, "organization": organization}
    answer = _send(run, browser, side + 1, survey_url, data, "draft", entry)
    version = None  # the version the next form would carry, as a browser would have it on screen
    if answer is not None and answer.status_code == 303 and "/receipt" not in answer.headers["location"]:
        ledger.add("drafts", entry)  # 409 (a colleague saved first) and 200 (already submitted) wrote nothing
        version = str(int(data["version"]) + 1)
    elif answer is not None:
        version = _version_on(answer)  # the conflict page, or the review page of a submitted response

    for attempt in range(4):
        if version is None:
            version = _version_on(_get(browser, side + attempt, survey_url))
        marker = f"final {index}.{attempt} {uuid.uuid4().hex}"
        data = {"csrf_token": csrf, "version": version, "consent": "named", **_answers(world, marker)}
        entry = {"marker": marker, "participant": index, "organization": organization}
        if double and attempt == 0:
            answers = _together(run, browser, survey_url + "/submit", data)
            ledger.add("double_submissions", {**entry, "answers": [(a.status_code, a.headers.get("location"))
                                                                   if a is not None else None for a in answers]})
            acknowledged = [a for a in answers if a is not None and live.is_acknowledged(a)]
            answer = acknowledged[0] if acknowledged else None
        else:
            answer = _send(run, browser, side + attempt + 1, survey_url + "/submit", data, "submission", entry)
        if answer is not None and answer.status_code == 303 and answer.headers["location"].endswith("/receipt"):
            ledger.add("submissions", entry)
            return
        if answer is not None and answer.status_code != 409:  # 409: a colleague submitted first; try again
            ledger.add("refused", (f"submission {index}", answer.status_code))
            return
        version = _version_on(answer) if answer is not None else None


def _version_on(page: httpx.Response | None) -> str | None:
    found = live.VERSION.search(page.text) if page is not None else None
    return found.group(1) if found else None


def moderator(run: Run) -> None:
    world, ledger = run.world, run.ledger
    browser = live.Browser(run.instances)
    try:
        assert browser.login(0, world.moderator).status_code == 302
        edit = f"/consultations/{world.slug}/edit"
        number = 0
        while not run.done.is_set():
            number += 1
            page = _get(browser, number, edit)
            form = live.form_with(page.text, "meeting_name")
            name = f"Meeting {number} {uuid.uuid4().hex[:8]}"
            entry = {"marker": name, "number": number}
            answer = _send(run, browser, number + 1, edit, live.with_values(form.fields, meeting_name=name),
                           "edit", entry, retry=False)
            if answer is not None and answer.status_code == 302:
                ledger.add("edits", entry)
            elif answer is not None:
                ledger.add("refused", (f"edit {number}", answer.status_code))
            time.sleep(0.5)
    except Exception as error:
        run.errors.append(f"moderator: {error!r}")
    finally:
        browser.close()


def killer(run: Run) -> None:
    """SIGKILL one worker of instance A while the load runs."""
    if run.kill_now.wait(timeout=300) and not run.done.is_set():
        run.killed_pid = live.kill_worker(run.instances[0])
        run.killed_at = time.monotonic()


@pytest.fixture(scope="module")
def load(live_world, start_pair):
    with start_pair("100000 per minute", "load") as instances:
        for instance in instances:
            live.wait_for_workers(instance, 2)
        run = Run(live_world, instances)
        started = time.monotonic()
        side_threads = [threading.Thread(target=moderator, args=(run,)), threading.Thread(target=killer, args=(run,))]
        for thread in side_threads:
            thread.start()
        with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
            list(pool.map(lambda index: participant(run, index), range(len(live_world.participants))))
        run.done.set()
        run.kill_now.set()
        for thread in side_threads:
            thread.join()
        run.seconds = time.monotonic() - started
        ledger = run.ledger
        print(f"\nload: {len(live_world.participants)} participants in {run.seconds:.0f}s; acknowledged "  # -s
              f"{len(ledger.comments)} comments, {len(ledger.drafts)} drafts, {len(ledger.submissions)} "
              f"submissions, {len(ledger.edits)} edits; worker {run.killed_pid} killed, "
              f"{len(ledger.unanswered)} requests unanswered")
        run.after = _after_the_kill(run)
        for browser in run.browsers.values():
            browser.close()
        yield run


def _after_the_kill(run: Run) -> SimpleNamespace:
    """Instance A once the load is over: its workers, /healthz, and signed-in pages."""
    instance = run.instances[0]
    workers = live.wait_for_workers(instance, 2)
    health = [httpx.get(instance.base_url + "/healthz", timeout=10).status_code for _ in range(8)]
    browser = run.browsers[1]
    page = f"/consultations/{run.world.slug}/surveys/{run.world.survey_id}"
    signed_in = [browser.client.get(instance.base_url + page) for _ in range(8)]
    return SimpleNamespace(workers=workers, health=health,
                           signed_in=[(r.status_code, "Participant 001" in r.text) for r in signed_in])


def _rows(world, sql: str, **params):
    with world.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


# --- The checks ------------------------------------------------------------------------------------------


def test_the_load_ran_everywhere_without_errors(load):
    assert load.errors == []
    ledger = load.ledger
    assert len({entry["participant"] for entry in ledger.comments}) >= len(load.world.participants) - 10
    assert len(ledger.edits) >= 3, "the moderator edited the consultation during the load"
    assert [refusal for refusal in ledger.refused if not refusal[0].startswith("submission")] == []


def test_every_acknowledged_comment_is_stored_exactly_once(load):
    stored = Counter(body for (body,) in _rows(load.world, "SELECT body FROM comment"))
    acknowledged = {entry["marker"] for entry in load.ledger.comments}
    assert acknowledged and all(stored[marker] == 1 for marker in acknowledged), [
        (marker, stored[marker]) for marker in acknowledged if stored[marker] != 1
    ]
    # Nothing is stored twice, not even a comment whose answer was lost with the killed worker.
    assert [body for body, times in stored.items() if times > 1] == []
    authors = dict(_rows(load.world, "SELECT body, author_id FROM comment"))
    for entry in load.ledger.comments:
        assert authors[entry["marker"]] == load.world.participants[entry["participant"]]["id"]


def test_a_double_clicked_comment_is_stored_once_and_both_clicks_land_on_it(load):
    doubles = load.ledger.double_comments
    assert len(doubles) == len(load.world.participants) // DOUBLE_CLICK_EVERY
    stored = Counter(body for (body,) in _rows(load.world, "SELECT body FROM comment"))
    for double in doubles:
        assert stored[double["marker"]] == 1, double
        answered = [answer for answer in double["answers"] if answer is not None]
        assert answered and all(status == 302 for status, _location in answered), double
        assert len({location for _status, location in answered}) == 1, double


def _responses(world) -> dict[int, SimpleNamespace]:
    rows = _rows(world, """
        SELECT r.id, r.organization_id, r.owner_key, r.status, r.version, r.receipt_number, r.submitted_at,
               r.consent, r.last_edited_by_id, q.code, a.value
        FROM survey_response r LEFT JOIN survey_answer a ON a.response_id = r.id
        LEFT JOIN survey_question q ON q.id = a.question_id
        WHERE r.survey_id = :survey""", survey=world.survey_id)
    responses: dict[int, SimpleNamespace] = {}
    for row in rows:
        response = responses.setdefault(row.id, SimpleNamespace(
            id=row.id, organization_id=row.organization_id, owner_key=row.owner_key, status=row.status,
            version=row.version, receipt_number=row.receipt_number, submitted_at=row.submitted_at,
            consent=row.consent, last_edited_by_id=row.last_edited_by_id, answers={}, revisions=[]))
        if row.code is not None:
            response.answers[row.code] = row.value
    for response_id, answers in _rows(world, "SELECT response_id, answers FROM survey_response_revision"):
        if response_id in responses:
            responses[response_id].revisions.append(answers)
    return responses


def test_one_response_per_organization_and_none_half_written(load):
    responses = _responses(load.world)
    organizations = [response.organization_id for response in responses.values()]
    assert len(organizations) == len(set(organizations)), "two responses for one organization"
    assert all(r.owner_key == f"organization:{r.organization_id}" for r in responses.values())
    for response in responses.values():
        answers = response.answers
        assert set(answers) == {"NAME", "VIEW"}, response
        assert answers["VIEW"] == f"{answers['NAME']} view", f"answers from two different saves: {response}"
        if response.status == "submitted":
            assert answers["NAME"].startswith("final ")
            assert response.receipt_number and response.submitted_at and response.consent == "named", response
        else:
            assert response.status == "draft" and answers["NAME"].startswith("draft "), response
        for revision in response.revisions:
            assert revision["VIEW"] == f"{revision['NAME']} view" and revision["NAME"].startswith("final ")


def test_every_acknowledged_survey_write_is_kept(load):
    """Each acknowledged submission is the response or one of its kept revisions, exactly once; each
    acknowledged save moved the response's version by one."""
    responses = {r.organization_id: r for r in _responses(load.world).values()}
    ledger = load.ledger
    acknowledged: dict[int, set[str]] = defaultdict(set)
    submitted: dict[int, set[str]] = defaultdict(set)
    for entry in ledger.drafts + ledger.submissions:
        acknowledged[entry["organization"]].add(entry["marker"])
    for entry in ledger.submissions:
        submitted[entry["organization"]].add(entry["marker"])
    unanswered: dict[int, set[str]] = defaultdict(set)
    for entry in ledger.unanswered:
        if entry["kind"] in {"draft", "submission"}:
            unanswered[entry["organization"]].add(entry["marker"])
    assert len(submitted) >= len(responses) - 2, "nearly every organization got its response submitted"
    assert sum(len(markers) > 1 for markers in submitted.values()) >= 10, "colleagues submitted one response in turn"
    for organization, markers in submitted.items():
        response = responses[organization]
        assert response.status == "submitted", response
        kept = Counter([response.answers["NAME"]] + [revision["NAME"] for revision in response.revisions])
        assert all(kept[marker] == 1 for marker in markers), (markers, kept)
        assert set(kept) <= markers | unanswered[organization], "a submission nobody sent"
    for organization, response in responses.items():
        writes, maybe = acknowledged[organization], unanswered[organization] - acknowledged[organization]
        assert len(writes) <= response.version <= len(writes) + len(maybe), (organization, response.version, writes)
        if organization not in submitted and not maybe:
            assert response.status == "draft"


def test_a_double_clicked_submission_is_stored_once_and_both_clicks_get_the_receipt(load):
    doubles = load.ledger.double_submissions
    assert len(doubles) == len(load.world.participants) // DOUBLE_CLICK_EVERY
    responses = {r.organization_id: r for r in _responses(load.world).values()}
    for double in doubles:
        response = responses[double["organization"]]
        kept = [response.answers["NAME"]] + [revision["NAME"] for revision in response.revisions]
        assert kept.count(double["marker"]) <= 1, double
        answered = [answer for answer in double["answers"] if answer is not None]
        if any(status == 303 for status, _location in answered):
            assert kept.count(double["marker"]) == 1, double
            # The second click lands on the same receipt, not on an error or a conflict page.
            assert all(status == 303 and location.endswith("/receipt") for status, location in answered), double


def test_the_moderator_edits_are_kept(load):
    sql = "SELECT meeting_name, summary_texts FROM consultation WHERE slug = :slug"
    ((meeting_name, summary),) = _rows(load.world, sql, slug=load.world.slug)
    edits = load.ledger.edits
    later = {entry["marker"] for entry in load.ledger.unanswered
             if entry["kind"] == "edit" and entry["number"] > edits[-1]["number"]}
    assert meeting_name in {edits[-1]["marker"]} | later
    assert summary == {"en": "A summary."}, "editing kept the rest of the consultation as it was"


def test_a_killed_worker_is_replaced_and_the_instance_keeps_serving(load):
    assert load.killed_pid is not None, "a worker was killed during the load"
    assert load.finished == len(load.world.participants)
    assert load.killed_pid not in load.after.workers and len(load.after.workers) == 2
    assert load.after.health == [200] * 8
    assert load.after.signed_in == [(200, True)] * 8
    # Only requests in flight around the kill may have gone unanswered.
    assert len(load.ledger.unanswered) <= 3 * 4 * 2, load.ledger.unanswered
