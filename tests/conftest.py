"""Shared fixtures. gevent patches the standard library once, here, as in the
engine's entry point."""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callcenter import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
POSTGRES_URL = os.environ.get("CALLCENTER_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path):
    """An empty database of its own for each test: a SQLite file, or a fresh
    PostgreSQL database when CALLCENTER_TEST_DATABASE_URL is set (as in CI)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_engine(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine):
    return db.session_factory(db_engine)


@pytest.fixture
def write_config(tmp_path):
    """Write a YAML configuration file and return its path."""
    def write(text_: str, name: str = "callcenter.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text_)
        return path
    return write
