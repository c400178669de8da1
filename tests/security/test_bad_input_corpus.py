"""The bad-input corpus (tests/security/payloads.py) pushed through every form field and every upload.

Forms are found, not listed: every page of the url_map is opened as the admin (who moderates the consultation's
group), as a participant and anonymously, and every `<form method=post>` on it is read with lxml (action, text
inputs, textareas, selects, checkboxes, radios, hidden fields, files, named submit buttons). A new form enters
the test without any edit here.

Each form is then posted with a valid CSRF token and valid values everywhere, except:
  * each text payload once, in all its text fields at once (text, email, password, textarea);
  * each of a handful of the nastiest payloads in each field on its own, hidden fields, selects, radios,
    checkboxes, numbers and dates included;
  * each file payload (path-traversal names, NUL, 300 characters, markup in the name, SVG with script, HTML
    named .pdf, zero bytes, wrong magic numbers...) in each file field.
Invalid UTF-8 goes into the request body as raw bytes, urlencoded or multipart, as a broken client would send it.

Every answer must be below 500. A refusal (a 4xx, a page shown again with errors, or a redirect with an error
message) leaves the number of rows of every table as it was. An accepted text is stored whole: the exact text, or
the product's clean version of it (surrounding spaces and NUL removed, line ends normalised), never cut short.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import urllib.parse
import uuid
from dataclasses import dataclass, field, replace

import lxml.html
import pytest
from sqlalchemy import LargeBinary, event, func, literal, select, union_all, update
from werkzeug.exceptions import NotFound
from werkzeug.routing import RequestRedirect

from consult.directory.models import User
from consult.extensions import db, limiter
from tests.conftest import DEFAULT_PASSWORD
from tests.helpers import login
from tests.security.payloads import FILE_PAYLOADS, NASTIEST, PAYLOADS, FilePayload, Payload
from tests.security.route_world import concrete_urls, people

TEXT_TYPES = {"text", "email", "password", "search", "url", "tel", None}
# Forms that sign someone in or out or change the session's language: each request gets its own browser.
FRESH_BROWSER = {"auth.login", "auth.logout", "auth.accept_invitation", "auth.reset_password",
                 "auth.request_password_reset", "site.set_language"}
ERROR_MARKERS = ("is-invalid", "invalid-feedback", "alert-danger")
# Refusals that legitimately write: (endpoint, status) -> tables. A failed sign-in is itself recorded (audit action
# login_failed); a comment sent after comments closed is kept as the person's draft (409), so nothing is lost.
REFUSALS_THAT_WRITE = {("auth.login", 401): {"audit_event"}, ("comments.post", 409): {"comment_draft"}}
# Forms that end what the others need (comments close with the consultation): tried after all the others.
LAST = ("consultations.change_state", "moderation.act", "auth.change_password")
_unique = itertools.count(1)


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, hidden, select, checkbox, radio, number, date, file, ...
    default: list[str] = field(default_factory=list)  # values sent when the field is left alone


@dataclass
class Form:
    persona: str
    page: str
    action: str
    endpoint: str
    multipart: bool
    fields: list[Field]
    button: tuple[str, str] | None = None

    @property
    def key(self) -> tuple:
        return (self.endpoint, tuple(f.name for f in self.fields), self.button)

    @property
    def label(self) -> str:
        button = f" [{self.button[0]}={self.button[1]}]" if self.button else ""
        return f"{self.endpoint} {self.action}{button} as {self.persona}"

    def text_fields(self) -> list[Field]:
        return [f for f in self.fields if f.kind in ("text", "email", "password", "textarea")]

    def file_fields(self) -> list[Field]:
        return [f for f in self.fields if f.kind == "file"]

    def other_fields(self) -> list[Field]:
        return [f for f in self.fields if f.kind not in ("file",) and not f.name.endswith("csrf_token")]


# -- reading forms ------------------------------------------------------------------------------------------------
def _kind(element) -> str:
    if element.tag == "textarea":
        return "textarea"
    if element.tag == "select":
        return "select"
    kind = (element.get("type") or "text").lower()
    return "text" if kind in TEXT_TYPES else kind


def _generated(name: str, kind: str) -> str:
    """A valid value for an empty field, unique where the product wants unique values."""
    number = next(_unique)
    if kind == "email" or "email" in name:
        return f"corpus{number}@example.org"
    if kind == "password" or name.endswith(("password", "confirm")):
        return "a long and valid corpus password 2026"
    if kind == "number":
        return "10"
    if kind == "date":
        return "2031-01-15"
    if kind == "datetime-local":
        return "2031-01-15T10:00"
    if name == "slug":
        return f"corpus-{number}"
    if name == "code":
        return f"C{number}"
    return f"Plain text {number}"


def _fields(form_element) -> list[Field]:
    fields: dict[str, Field] = {}
    first_radio: dict[str, str] = {}
    for element in form_element.xpath(".//input|.//textarea|.//select"):
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        kind = _kind(element)
        if kind in ("submit", "button", "reset", "image"):
            continue
        entry = fields.setdefault(name, Field(name, kind))
        if kind in ("checkbox", "radio"):
            if element.get("checked") is not None:
                entry.default.append(element.get("value") or "on")
            elif kind == "radio":
                first_radio.setdefault(name, element.get("value") or "on")
        elif kind == "select":
            options = element.xpath(".//option")
            chosen = [o.get("value", o.text or "") for o in options if o.get("selected") is not None]
            filled = [o.get("value", o.text or "") for o in options if o.get("value", o.text or "")]
            entry.default = chosen or filled[:1]
        elif kind == "textarea":
            entry.default = [element.text or ""] if (element.text or "").strip() else [_generated(name, kind)]
        elif kind == "file":
            entry.default = []
        else:
            value = element.get("value")
            if kind == "hidden":
                entry.default = [value or ""]
            else:
                entry.default = [value] if value else [_generated(name, kind)]
    for entry in fields.values():
        if entry.kind == "radio" and not entry.default:
            entry.default = [first_radio[entry.name]]
    return list(fields.values())


def _endpoint(app, action: str) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urllib.parse.urlsplit(action).path, method="POST")
    except (NotFound, RequestRedirect):
        return "?"
    except Exception:
        return "?"
    return endpoint


def read_forms(app, html: bytes, page: str, persona: str) -> list[Form]:
    document = lxml.html.fromstring(html)
    forms = []
    for element in document.xpath("//form"):
        if (element.get("method") or "get").lower() != "post":
            continue
        action = element.get("action") or page
        fields = _fields(element)
        buttons = [(b.get("name"), b.get("value") or "", b.get("formaction"))
                   for b in element.xpath(".//button[@name]|.//input[@type='submit'][@name]")]
        base = Form(persona, page, action, _endpoint(app, action), element.get("enctype") == "multipart/form-data",
                    fields)
        forms.append(base)  # the default submit button (Enter in a text field)
        for name, value, formaction in buttons:
            target = formaction or action
            forms.append(replace(base, action=target, endpoint=_endpoint(app, target), button=(name, value),
                                 fields=[replace(f, default=list(f.default)) for f in fields]))
    return forms


def discover(app, clients: dict, urls) -> list[Form]:
    found: dict[tuple, Form] = {}
    for persona, client in clients.items():
        for _endpoint_name, path in urls:
            response = client.get(path)
            if response.status_code != 200 or "html" not in (response.content_type or ""):
                response.close()
                continue
            for form in read_forms(app, response.get_data(), path, persona):
                found.setdefault(form.key, form)
    return list(found.values())


# -- sending ------------------------------------------------------------------------------------------------------
def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def encode_form(items: list[tuple[str, str | bytes]], files: list[tuple[str, FilePayload]],
                multipart: bool) -> tuple[bytes, str]:
    """The request body a browser (or a broken client) sends: invalid UTF-8 stays raw bytes."""
    if not multipart and not files:
        body = "&".join(
            urllib.parse.quote_from_bytes(_bytes(name), safe="") + "=" + urllib.parse.quote_from_bytes(_bytes(value),
                                                                                                       safe="")
            for name, value in items
        )
        return body.encode("ascii"), "application/x-www-form-urlencoded"
    boundary = "----corpus" + uuid.uuid4().hex
    parts = []
    for name, value in items:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + _bytes(value) + b"\r\n")
    for name, upload in files:
        # Escaped as browsers do, so a name cannot break out of its header.
        filename = _bytes(upload.filename).replace(b'"', b"%22").replace(b"\r", b"%0D").replace(b"\n", b"%0A")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
                     + filename + f'"\r\nContent-Type: {upload.content_type}\r\n\r\n'.encode()
                     + upload.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


_COUNTS: list = []


def row_counts() -> dict[str, int]:
    """Rows of every table, in one query (built once: building it costs more than running it)."""
    if not _COUNTS:
        _COUNTS.append(union_all(*(select(literal(t.name).label("name"), func.count().label("rows")).select_from(t)
                                   for t in db.metadata.sorted_tables)))
    with db.engine.connect() as connection:
        return dict(connection.execute(_COUNTS[0]).all())


def _collect(value, texts: set[str]) -> None:
    if isinstance(value, str):
        texts.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(key, texts)
            _collect(item, texts)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, texts)


def stored_texts(names: set[str] | None = None, newest: dict[str, int] | None = None) -> dict[str, set[str]]:
    """The texts each table holds, JSON values included: of `names` only, of the `newest` rows only if given."""
    held: dict[str, set[str]] = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if names is not None and table.name not in names:
                continue
            columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
            query = select(*columns)
            added = (newest or {}).get(table.name, 0)
            if added > 0 and "id" in table.c:
                query = query.order_by(table.c.id.desc()).limit(added)
            texts: set[str] = set()
            for row in connection.execute(query):
                _collect(tuple(row), texts)
            held[table.name] = texts
    return held


def acceptable_forms(value: str) -> set[str]:
    """The text itself, or the product's clean version of it: never a shortened one."""
    variants = {value}
    for step in (lambda v: v.replace("\x00", ""), lambda v: v.replace("\r\n", "\n"), lambda v: v.replace("\r", "\n"),
                 str.strip, lambda v: unicodedata.normalize("NFC", v), str.lower, lambda v: " ".join(v.split())):
        variants |= {step(v) for v in variants}
    return {v for v in variants if v}


@dataclass
class Run:
    app: object
    clients: dict
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    accepted: int = 0
    homes: dict = field(default_factory=dict)  # (form, field) -> the tables its texts were found in

    def client_for(self, form: Form):
        if form.endpoint in FRESH_BROWSER:
            fresh = self.app.test_client()
            fresh.get(form.page).close()
            return fresh
        return self.clients[form.persona]

    def send(self, form: Form, values: dict[str, str | bytes], files: dict[str, FilePayload], what: str,
             stored: list[str | bytes]) -> None:
        client = self.client_for(form)
        items: list[tuple[str, str | bytes]] = []
        for entry in form.fields:
            if entry.name.endswith("csrf_token"):
                items.append((entry.name, csrf_of(client, self.app)))
            elif entry.name in values:
                items.append((entry.name, values[entry.name]))
            elif entry.kind != "file":
                items.extend((entry.name, value) for value in entry.default)
        if form.button:
            items.append(form.button)
        body, content_type = encode_form(items, list(files.items()), form.multipart)
        with self.app.app_context():
            before = row_counts()
        response = client.post(form.action, data=body, content_type=content_type)
        status = response.status_code
        text = response.get_data(as_text=True) if status == 200 else ""
        response.close()
        self.requests += 1
        with self.app.app_context():
            after = row_counts()
            changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
        where = f"{form.label}, {what}"
        if status >= 500:
            self.failures.append(f"{where}: {status}")
            return
        flashed = self._flashed(client) if 300 <= status < 400 else set()
        refused = status >= 400 or any(marker in text for marker in ERROR_MARKERS) or flashed & {"error", "warning"}
        if refused:
            allowed = REFUSALS_THAT_WRITE.get((form.endpoint, status), set())
            if {name: rows for name, rows in changed.items() if name not in allowed}:
                self.failures.append(f"{where}: refused ({status}) but rows changed {changed}")
            return
        if (status == 200 and not changed) or flashed == {"info"}:
            return  # shown again without a word against it, or "nothing to do": nothing was written
        self.accepted += 1
        texts = [value for value in stored if isinstance(value, str) and value.replace("\x00", "").strip()]
        for value in texts:
            home_field = what.split("=")[0] if "=" in what else "*"
            if not self._stored_whole(form, home_field, value, changed):
                self.failures.append(f"{where}: accepted ({status}) but {value[:40]!r}... "
                                     f"(length {len(value)}) is not stored whole")
        if form.endpoint == "auth.change_password":
            restore_password(self.app, self.clients, form.persona)
        if any(entry.kind == "hidden" and not entry.name.endswith("csrf_token") for entry in form.fields):
            refresh_defaults(self.app, self.clients, form)

    def _stored_whole(self, form: Form, field_name: str, value: str, changed: dict) -> bool:
        """Look where this form's texts went last time (only the new rows of a growing table); else everywhere."""
        wanted = acceptable_forms(value)
        home_key = (form.key, field_name)
        with self.app.app_context():
            home = self.homes.get(home_key)
            if home:
                newest = {name: after - before for name, (before, after) in changed.items()}
                if any(wanted & texts for texts in stored_texts(home, newest).values()):
                    return True
            found = {name for name, texts in stored_texts().items() if wanted & texts}
        if found:
            self.homes[home_key] = found
        return bool(found)

    @staticmethod
    def _flashed(client) -> set[str]:
        """The categories of the messages waiting for the next page (taken, so they do not pile up)."""
        with client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        return {"error" if category == "danger" else category for category, _ in flashes}


def csrf_of(client, app) -> str:
    token = getattr(client, "corpus_csrf", None)
    if token is None:
        page = client.get("/password/reset").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.corpus_csrf = token
    return token


def refresh_defaults(app, clients, form: Form) -> None:
    """After an accepted post, hidden values (a draft's version, a submission key) are read again from the page."""
    if form.endpoint in FRESH_BROWSER:
        return
    response = clients[form.persona].get(form.page)
    if response.status_code == 200:
        for again in read_forms(app, response.get_data(), form.page, form.persona):
            if again.key == form.key:
                form.fields = again.fields
                break
    response.close()


def restore_password(app, clients, persona: str) -> None:
    with app.app_context():
        user_id = clients[persona].user.id
        user = db.session.get(User, user_id)
        user.set_password(DEFAULT_PASSWORD)
        db.session.execute(update(User).where(User.id == user_id).values(password_hash=user.password_hash))
        db.session.commit()
    if clients[persona].get("/account").status_code != 200:
        clients[persona].corpus_csrf = None
        login(clients[persona], clients[persona].user.email, DEFAULT_PASSWORD)


# -- the tests ----------------------------------------------------------------------------------------------------
@pytest.fixture
def run(app, client_as, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # export files and uploads
    monkeypatch.setattr(limiter, "enabled", False)  # hundreds of refused sign-ins are the point here
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        # Thousands of commits: durability on power loss is not what this test is about.
        event.listen(engine, "connect", _no_fsync)
        engine.dispose()
    scene = people(app, client_as)
    anonymous = app.test_client()
    # A form both see is sent by the participant (it is theirs: comments, answers); managers' forms by the admin.
    clients = {"participant": scene.participant, "admin": scene.admin, "anonymous": anonymous}
    forms = discover(app, clients, concrete_urls(app, scene.world, "GET"))
    corpus = Run(app, clients)
    corpus.forms = sorted(forms, key=lambda form: form.endpoint in LAST)
    yield corpus
    if event.contains(engine, "connect", _no_fsync):
        event.remove(engine, "connect", _no_fsync)
        engine.dispose()


def _no_fsync(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def _text(payload: Payload | str | bytes):
    return payload.value if isinstance(payload, Payload) else payload


def test_the_corpus_is_big_and_varied():
    assert len(PAYLOADS) >= 200
    assert len({p.category for p in PAYLOADS}) >= 12
    assert any(isinstance(p.value, bytes) for p in PAYLOADS)
    assert any(len(p.value) >= 1024 * 1024 for p in PAYLOADS)


def test_every_text_field_takes_every_payload_without_a_500_or_a_partial_write(run, app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the whole corpus runs on SQLite (make test); on PostgreSQL every field still gets the "
                        "nastiest payloads alone (NUL, invalid UTF-8, 1 MB) in the tests below")
    forms = [form for form in run.forms if form.text_fields()]
    assert len(forms) >= 30, [form.label for form in forms]  # the walk really found the application's forms
    assert {"comments.post", "surveys.save", "directory.new_user", "auth.login"} <= {f.endpoint for f in forms}, sorted(
        {f.endpoint for f in forms})
    for form in forms:
        for payload in PAYLOADS:
            values = {entry.name: payload.value for entry in form.text_fields()}
            stored = [] if all(f.kind == "password" for f in form.text_fields()) else [payload.value]
            run.send(form, values, {}, payload.id, stored)
    assert not run.failures, f"{len(run.failures)} failures in {run.requests} requests:\n" + "\n".join(run.failures)


def test_every_field_alone_takes_the_nastiest_payloads(run):
    forms = [form for form in run.forms if form.other_fields()]
    fields = 0
    for form in forms:
        for entry in form.other_fields():
            fields += 1
            for payload in NASTIEST:
                stored = [payload.value] if entry.kind in ("text", "email", "textarea") else []
                run.send(form, {entry.name: payload.value}, {}, f"{entry.name}={payload.id}", stored)
    assert fields >= 150
    assert run.accepted > 0  # valid values elsewhere: some nasty texts are legitimately kept
    assert not run.failures, f"{len(run.failures)} failures in {run.requests} requests:\n" + "\n".join(run.failures)


def test_every_upload_takes_every_file_payload(run):
    forms = [form for form in run.forms if form.file_fields()]
    assert {"directory.import_participants", "consultations.new_document", "surveys.save",
            "surveys.builder_import"} <= {f.endpoint for f in forms}
    for form in forms:
        for entry in form.file_fields():
            for upload in FILE_PAYLOADS:
                run.send(form, {}, {entry.name: upload}, f"{entry.name}: {upload.id}", [])
            for payload in NASTIEST:
                upload = FilePayload(payload.id, "notes.txt", _bytes(payload.value), "text/plain")
                run.send(form, {}, {entry.name: upload}, f"{entry.name}: content {payload.id}", [])
    assert not run.failures, f"{len(run.failures)} failures in {run.requests} requests:\n" + "\n".join(run.failures)


@pytest.mark.parametrize("locale", ["fr", "es"])
def test_a_refused_text_is_explained_in_the_persons_language(app, client_as, locale):
    person = client_as("admin", locale=locale)
    english = client_as("admin")
    refusals = {}
    for who, client in (("en", english), (locale, person)):
        page = client.get("/admin/organizations/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        body, content_type = encode_form([("csrf_token", token), ("name", "N" * 1001), ("country", "FR"),
                                          ("stakeholder_type", "customs")], [], multipart=False)
        response = client.post("/admin/organizations/new", data=body, content_type=content_type)
        assert response.status_code in (200, 400, 422)
        html = response.get_data(as_text=True)
        assert f'lang="{who}"' in html
        errors = lxml.html.fromstring(html).xpath("//*[contains(@class, 'invalid-feedback')]")
        assert errors, html[:3000]
        refusals[who] = errors[0].text_content().strip()
    assert refusals[locale] != refusals["en"], refusals  # the message went through the catalog
