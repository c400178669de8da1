"""Serve the app with gunicorn as production does: CONSULT_ENV=production, workers = 2 × cores + 1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from common import ROOT, production_environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


class Server:
    def __init__(self, url: str, log_path: Path, port: int | None = None, extra: list[str] | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers()
        gunicorn = str(Path(ROOT / ".venv" / "bin" / "gunicorn")) if (ROOT / ".venv/bin/gunicorn").exists() \
            else "gunicorn"
        self.command = [gunicorn, "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                        "--backlog", "2048", "--log-level", "warning", *(extra or []), "wsgi:app"]
        self.log = log_path.open("w")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=production_environment(url),
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        # every worker imports the app before serving: give the others a moment
                        time.sleep(2)
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def worker_timeouts(self) -> int:
        """How many times gunicorn has killed a worker stuck on one request (its `timeout`, 30 s) so far."""
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace").count("WORKER TIMEOUT")

    def drain(self, timeout: float = 300) -> float:
        """Wait until every worker is free again (requests wrk left behind are finished); seconds waited.

        One /healthz per worker at once: when they all come back quickly, no worker is still busy
        with a request of the previous route, which would otherwise slow the next one down.
        """
        from concurrent.futures import ThreadPoolExecutor

        def probe(_) -> float:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=timeout) as answer:
                    answer.read()
            except OSError:
                time.sleep(0.5)
                return float("inf")
            return time.monotonic() - started

        started = time.monotonic()
        with ThreadPoolExecutor(self.workers) as pool:
            while time.monotonic() - started < timeout:
                if max(pool.map(probe, range(self.workers))) < 0.5:
                    break
                time.sleep(0.2)
        return time.monotonic() - started

    def warm_up(self, requests: list[tuple[str, str]]) -> None:
        """Each (path, cookie) once per worker, concurrently, so every worker has rendered every page."""
        from concurrent.futures import ThreadPoolExecutor

        def fetch(item: tuple[str, str]) -> int:
            path, cookie = item
            request = urllib.request.Request(self.base + path, headers={"Cookie": f"session={cookie}"})
            try:
                with urllib.request.urlopen(request, timeout=300) as answer:
                    answer.read()
                    return answer.status
            except OSError:  # a worker timed out: the measured run will show it
                return 0

        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(fetch, [item for item in requests for _ in range(self.workers)]))

    def lone_request_ms(self, path: str, cookie: str, times: int = 3) -> float:
        """Median time of one request with nothing else in flight (what one reader waits on an idle server)."""
        spent = []
        for _ in range(times):
            request = urllib.request.Request(self.base + path, headers={"Cookie": f"session={cookie}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=300) as answer:
                answer.read()
            spent.append((time.perf_counter() - started) * 1000)
        return round(sorted(spent)[len(spent) // 2], 1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
