"""Shared settings of the benchmark: databases, the secret, the app the bench process uses."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: the project root

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
ADMIN_URL = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
# The secret the served app signs sessions with; the load generator signs its sessions with it too.
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
SQLITE_DIR = Path("/tmp")
BENCH_DB = os.environ.get("BENCH_DB", "consult_bench")  # the seeded database (consult_bench* only)


def postgres_available() -> bool:
    try:
        engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def database_url(name: str, backend: str) -> str:
    if backend == "postgresql":
        return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    return f"sqlite:///{SQLITE_DIR / (name + '.db')}"


def libpq_url(url: str) -> str:
    """The same database for psql and bare psycopg."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(name: str, backend: str) -> str:
    """Drop and create the database `name` (consult_bench* only); its SQLAlchemy URL."""
    assert name.startswith("consult_bench"), name
    if backend == "postgresql":
        engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    else:
        for suffix in ("", "-wal", "-shm"):
            (SQLITE_DIR / f"{name}.db{suffix}").unlink(missing_ok=True)
    return database_url(name, backend)


def production_environment(url: str) -> dict[str, str]:
    """The environment the app is served with: the production config over plain http."""
    env = dict(os.environ)
    env.update({
        "CONSULT_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "SESSION_COOKIE_SECURE": "0",
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    })
    for name in ("MAIL_SERVER", "REDIS_URL", "FLASK_DEBUG"):
        env.pop(name, None)
    return env


def bench_app(url: str):
    """The app as production builds it, bound to the bench database (for seeding and sessions)."""
    from config import ProductionConfig
    from consult import create_app

    class BenchConfig(ProductionConfig):
        SECRET_KEY = globals()["SECRET_KEY"]
        SQLALCHEMY_DATABASE_URI = url
        SESSION_COOKIE_SECURE = False
        REMEMBER_COOKIE_SECURE = False
        REDIS_URL = None
        MAIL_SERVER = None
        PREFERRED_URL_SCHEME = "http"

    return create_app(BenchConfig)
