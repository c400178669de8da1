"""Fixtures for the concurrency tests: a live PostgreSQL database, Redis, and pairs of gunicorn instances.

These tests need PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL, default database 14 on the
local server); without them they are skipped, and `pytest -ra` says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import redis
from sqlalchemy import create_engine

from config import normalise_database_url
from tests.concurrency import live

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        pytest.skip("concurrency tests need PostgreSQL: set TEST_DATABASE_URL=postgresql://... to run them")
    return normalise_database_url(url)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    connection = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"concurrency tests need Redis at {url} (set TEST_REDIS_URL): {error}")
    finally:
        connection.close()
    return url


def flush(redis_url: str) -> None:
    """Empty our own Redis database only, so no earlier count leaks into a test."""
    connection = redis.Redis.from_url(redis_url)
    try:
        connection.flushdb()
    finally:
        connection.close()


@pytest.fixture(scope="session")
def live_world(postgres_url):
    """A database of its own for the live servers, migrated and seeded; dropped at the end."""
    url = live.live_database_url(postgres_url)
    live.recreate_database(url)
    built = subprocess.run(
        [sys.executable, "-m", "tests.concurrency.seed", url, str(live.PARTICIPANTS),
         str(live.PER_ORGANIZATION), str(live.SOLO_EVERY)],
        cwd=live.ROOT, capture_output=True, text=True, check=False, timeout=180,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    world = json.loads(built.stdout.strip().splitlines()[-1])
    engine = create_engine(url)
    yield SimpleNamespace(url=url, engine=engine, **world)
    engine.dispose()
    live.drop_database(url)


@pytest.fixture(scope="session")
def start_pair(live_world, redis_url, tmp_path_factory):
    """start_pair(login_rate_limit) -> context manager giving two instances on the live database."""

    @contextmanager
    def pair(login_rate_limit: str, name: str):
        flush(redis_url)
        log_dir = tmp_path_factory.mktemp(name)
        instances = []
        try:
            for letter in "ab":
                instances.append(live.start_instance(f"{name}-{letter}", live_world.url, redis_url,
                                                     login_rate_limit, log_dir))
            for instance in instances:
                live.wait_until_healthy(instance)
            yield instances
        finally:
            for instance in instances:
                instance.stop()
            flush(redis_url)

    return pair
