"""Live servers for the concurrency tests: a PostgreSQL database of their own, gunicorn instances, HTTP clients.

Everything here talks to real processes over real sockets: two gunicorn
instances share one PostgreSQL database and one Redis, as in production.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "correct horse battery staple"
SECRET_KEY = "concurrency-tests-secret-key-0123456789abcdef"  # >= 32 characters, as production demands

PARTICIPANTS = 200
PER_ORGANIZATION = 4
SOLO_EVERY = 10  # participants 0, 10, 20 ... have an organization to themselves (they double-click)


# --- The database the live servers use ---------------------------------------------------------------


def live_database_url(test_database_url: str) -> str:
    """A database of its own next to TEST_DATABASE_URL's: `<name>_live`."""
    url = make_url(test_database_url)
    return url.set(database=f"{url.database}_live").render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- Gunicorn ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Instance:
    """One app instance: a gunicorn master and its workers on a port of its own."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        found = subprocess.run(["ps", "--ppid", str(self.process.pid), "-o", "pid="],
                               capture_output=True, text=True, check=False)
        return [int(pid) for pid in found.stdout.split()]

    def log_tail(self, lines: int = 40) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_instance(name: str, database_url: str, redis_url: str, login_rate_limit: str, log_dir: Path,
                   workers: int = 2, threads: int = 4) -> Instance:
    port = free_port()
    environment = {
        **os.environ,
        "CONSULT_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "SESSION_COOKIE_SECURE": "0",  # plain HTTP on the loopback, no TLS proxy in front
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOGIN_RATE_LIMIT": login_rate_limit,
        "PYTHONUNBUFFERED": "1",
    }
    environment.pop("TEST_DATABASE_URL", None)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5", "--no-control-socket",
         "wsgi:app"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    return Instance(name, port, process, log_path)


def wait_until_healthy(instance: Instance, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"{instance.name} exited ({instance.process.returncode}):\n{instance.log_tail()}")
        with suppress(httpx.HTTPError):
            if httpx.get(instance.base_url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{instance.name} did not answer /healthz in {timeout}s:\n{instance.log_tail()}")


def wait_for_workers(instance: Instance, count: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = instance.worker_pids()
        if len(pids) >= count:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"{instance.name} has {instance.worker_pids()} workers, expected {count}")


def kill_worker(instance: Instance) -> int:
    pid = instance.worker_pids()[0]
    os.kill(pid, signal.SIGKILL)
    return pid


# --- Reading forms as a browser does -------------------------------------------------------------------


class _Forms(HTMLParser):
    """Every <form> on a page with the values a browser would send for it (without a submit button)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[SimpleNamespace] = []
        self._form = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = SimpleNamespace(action=attributes.get("action") or "", fields=[])
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self._form.fields.append((name, attributes.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            if "selected" in attributes or self._select_value is None:  # the first option unless one is chosen
                self._select_value = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.fields.append((self._textarea, _without_first_newline("".join(self._text))))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if self._form is not None and self._select_value is not None:
                self._form.fields.append((self._select, self._select_value))
            self._select = None


def _without_first_newline(value: str) -> str:
    """A browser drops the newline right after <textarea>."""
    for newline in ("\r\n", "\n"):
        if value.startswith(newline):
            return value[len(newline):]
    return value


def form_with(page: str, field_name: str) -> SimpleNamespace:
    """The form on `page` that has a field called `field_name`: .action and .fields [(name, value)]."""
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        if any(name == field_name for name, _value in form.fields):
            return form
    raise AssertionError(f"no form with {field_name!r} on the page:\n{page[:2000]}")


def with_values(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The form's fields with some values replaced (or added)."""
    kept = [(name, value) for name, value in fields if name not in values]
    return kept + list(values.items())


VERSION = re.compile(r'name="version" value="(-?\d+)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- Clients ---------------------------------------------------------------------------------------------


class Browser:
    """One person's cookie jar, sending each request to the instance asked for."""

    def __init__(self, instances: list[Instance], timeout: float = 60):
        self.instances = instances
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def url(self, instance: int, path: str) -> str:
        return self.instances[instance % len(self.instances)].base_url + path

    def get(self, instance: int, path: str) -> httpx.Response:
        return self.client.get(self.url(instance, path))

    def post(self, instance: int, path: str, data) -> httpx.Response:
        if isinstance(data, list):  # form fields in order, a name possibly repeated
            grouped: dict[str, list[str]] = {}
            for name, value in data:
                grouped.setdefault(name, []).append(value)
            data = grouped
        return self.client.post(self.url(instance, path), data=data)

    def login(self, instance: int, email: str, password: str = PASSWORD) -> httpx.Response:
        page = self.get(instance, "/login")
        form = form_with(page.text, "email")
        return self.post(instance, "/login", with_values(form.fields, email=email, password=password))

    def close(self) -> None:
        self.client.close()


@dataclass
class Ledger:
    """What the servers acknowledged (2xx/3xx), and what was sent but never answered."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    comments: list[dict] = field(default_factory=list)
    drafts: list[dict] = field(default_factory=list)
    submissions: list[dict] = field(default_factory=list)
    edits: list[dict] = field(default_factory=list)
    unanswered: list[dict] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)
    double_comments: list[dict] = field(default_factory=list)
    double_submissions: list[dict] = field(default_factory=list)

    def add(self, kind: str, entry: dict) -> None:
        with self.lock:
            getattr(self, kind).append(entry)


def is_acknowledged(response: httpx.Response) -> bool:
    return 200 <= response.status_code < 400
