"""With REDIS_URL set, login limits live in Redis, so every app instance shares them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Each run is a separate process: a separate app instance with its own memory.
INSTANCE = textwrap.dedent(
    """
    import json, sys
    from config import TestConfig
    from consult import create_app
    from tests.helpers import submit

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = sys.argv[1]
        REDIS_URL = sys.argv[2]
        RATELIMIT_KEY_PREFIX = sys.argv[3]

    app = create_app(Config)
    with app.app_context():
        from consult.extensions import db
        db.create_all()
    client = app.test_client()
    codes = [submit(client, "/login", {"email": "x@example.org", "password": "wrong password"}).status_code
             for _ in range(int(sys.argv[4]))]
    print(json.dumps(codes))
    """
)


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


def _run_instance(tmp_path, prefix: str, attempts: int) -> list[int]:
    database = f"sqlite:///{tmp_path / 'limits.db'}"
    result = subprocess.run(
        [sys.executable, "-c", INSTANCE, database, REDIS_URL, prefix, str(attempts)],
        capture_output=True, text=True, check=True, timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_login_limit_is_shared_by_two_instances_through_redis(tmp_path):
    redis = _redis()
    prefix = f"consult-test-{uuid.uuid4().hex}"
    try:
        first = _run_instance(tmp_path, prefix, 3)
        second = _run_instance(tmp_path, prefix, 3)
        assert first == [401, 401, 401]
        # The second instance starts where the first stopped: 2 more attempts, then refused.
        assert second == [401, 401, 429]
        assert redis.keys(f"*{prefix}*")
    finally:
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
