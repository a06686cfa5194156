"""Fixtures shared by the integration and end-to-end tests: migrated databases on SQLite
and PostgreSQL, the demo county loaded, and a signed-in actor per demo login."""

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from lowincome_portal.db import migrations
from lowincome_portal.db.engine import engine_for

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_problem() -> str | None:
    try:
        with sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3}).connect() as c:
            c.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}"
    return None


_PG_PROBLEM = _postgres_problem()


def _fresh_postgres_url() -> tuple[str, str]:
    """A URL whose search_path is a new, empty schema (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with sa.create_engine(POSTGRES_URL).begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    with sa.create_engine(POSTGRES_URL).begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path):
    """An empty database on each backend; PostgreSQL tests skip (with the reason) when no server answers."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    url, schema = _fresh_postgres_url()
    try:
        yield url
    finally:
        engine_for(url).dispose()
        _drop_schema(schema)


@pytest.fixture
def db_url(empty_db_url, monkeypatch):
    """A migrated database with the demo county (areas, logins, policy series; no households,
    so each test starts from an empty registry), set as the app's DATABASE_URL."""
    from lowincome_portal.db.uow import unit_of_work
    from lowincome_portal.demo.seed import seed_demo

    migrations.upgrade(empty_db_url)
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    with unit_of_work(engine_for(empty_db_url)) as session:
        seed_demo(session, households=False)
    return empty_db_url


@pytest.fixture
def engine(db_url):
    return engine_for(db_url)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def actor_of(engine):
    """actor_of("xinmin") -> the Actor of a demo login, read from the database."""
    from sqlmodel import select

    from lowincome_portal.db.tables import User
    from lowincome_portal.services.auth import actor_for

    def get(username: str):
        with Session(engine) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            return actor_for(s, user)

    return get


# ---- a handler called but never run ---------------------------------------------------------
# Page-state handlers are coroutines (their work runs in a thread: state/base.py); a test that
# calls one without tests/page_states.settle() runs nothing and checks nothing, and Python only
# warns. Such a run fails here.
_NEVER_RUN: list[str] = []


def pytest_warning_recorded(warning_message, when, nodeid, location):
    if "was never awaited" in str(warning_message.message):
        _NEVER_RUN.append(nodeid or f"{location[0]}:{location[1]}")


def pytest_sessionfinish(session, exitstatus):
    if _NEVER_RUN:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"FAILED: a coroutine (a page-state handler?) was never run in: "
                                f"{', '.join(sorted(set(_NEVER_RUN)))}", red=True)
