"""Faults in production: the portal as scripts/prod.sh runs it (two granian workers, Reflex state
in Redis, PostgreSQL), driven over its real websocket, while a backend worker is killed in the
middle of a workflow step, PostgreSQL restarts and Redis restarts.

What each test shows: the user's tab reconnects and goes on; a step cut off half-way left
nothing behind (no status change, no step event, no audit entry) and, done again, happens
exactly once; no audit entry is lost, and every seal still verifies.

The step is 我来核查 on a warning (待核查 → 核查中: the warning row, a step event and an audit
entry in one transaction). To stop it half-way the test locks the audit table from its own
connection: the worker has updated the warning and written the event inside its transaction
and waits at the audit insert - the middle of the step - when the fault strikes.

PostgreSQL and Redis here are the test's own servers (tests/faults/private_postgres.py,
benchmarks/load/server.py), so restarting them touches nothing else on the machine.
"""

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.load.portal_client import PortalTab, run_sync, until_redirect_or
from benchmarks.load.server import free_port, prepare_database, private_redis, production_portal, work_copy
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.domain.monitoring import PENDING, VERIFYING
from lowincome_portal.services import audit_seal

from .private_postgres import private_postgres

pytestmark = pytest.mark.fault

ROOT = Path(__file__).resolve().parents[2]
SESSION = "reflex___state____state.lowincome_portal___state___base____session_state"
XINMIN_TOWNSHIP = "500231100000"
SECRET = "fault-tests-secret-key-" + "k" * 24


def _names():
    from reflex_base.utils import format

    from lowincome_portal.pages.login import LoginState
    from lowincome_portal.pages.warnings.detail import WarningState

    return {"login": format.format_event_handler(LoginState.event_handlers["login"]),
            "assign_me": format.format_event_handler(WarningState.event_handlers["assign_me"]),
            "warning_state": WarningState.get_full_name()}


NAMES = _names()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """The production setup on private PostgreSQL and Redis, with the demo county."""
    work = work_copy(tmp_path_factory.mktemp("fault-portal"))
    with pytest.MonkeyPatch.context() as mp, private_postgres() as pg, private_redis() as redis:
        mp.setenv("PORTAL_SECRET_KEY", SECRET)  # the seeding commands seal their entries as the portal will
        prepare_database(work, pg.url)
        env = {"PORTAL_SECRET_KEY": SECRET}
        with production_portal(work, pg.url, redis.url, free_port(), workers=2, env=env,
                               frontend="none") as server:
            engine = sa.create_engine(pg.url, pool_pre_ping=True)
            yield {"server": server, "pg": pg, "redis": redis, "engine": engine}
            engine.dispose()


@pytest.fixture
def secret(monkeypatch):
    # this process checks the seals the portal wrote: the same key
    monkeypatch.setenv("PORTAL_SECRET_KEY", SECRET)


def run(coro):
    # not asyncio.run: with the browser tests in the same session, Playwright runs a loop here
    return run_sync(coro)


async def signed_in_tab(url: str, username: str = "xinmin") -> PortalTab:
    tab = PortalTab(url, timeout=60, label=username)
    await tab.connect("/login")
    step = await tab.call(NAMES["login"], {"form_data": {"username": username, "password": DEMO_PASSWORD}},
                          kind="login", until=until_redirect_or(SESSION, "error"))
    assert step.ok and step.redirect == "/", (step, tab.problems)
    assert (await tab.navigate("/")).ok
    return tab


def pending_warning(engine) -> int:
    """A 待核查 warning of 新民镇 (each test takes one: the earlier ones are 核查中 by then)."""
    with engine.connect() as c:
        return c.execute(sa.text(
            "SELECT id FROM risk_warning WHERE status = :s AND area_code LIKE :a ORDER BY id LIMIT 1"),
            {"s": PENDING, "a": XINMIN_TOWNSHIP[:9] + "%"}).scalar_one()


def step_record(engine, warning_id: int) -> dict:
    with engine.connect() as c:
        status, version = c.execute(sa.text("SELECT status, version FROM risk_warning WHERE id = :i"),
                                    {"i": warning_id}).one()
        events = c.execute(sa.text("SELECT count(*) FROM risk_warning_event WHERE warning_id = :i "
                                   "AND action = 'assign'"), {"i": warning_id}).scalar_one()
        audits = c.execute(sa.text("SELECT count(*) FROM audit_entry WHERE entity = 'risk_warning' "
                                   "AND entity_id = :i AND action = 'assign'"), {"i": str(warning_id)}).scalar_one()
    return {"status": status, "version": version, "events": events, "audits": audits}


def audit_count(engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM audit_entry")).scalar_one()


def seals_intact(engine) -> bool:
    from sqlmodel import Session

    with Session(engine) as s:
        report = audit_seal.verify(s)
    return report.intact and report.unsealed == 0


class AuditLock:
    """Hold a lock that makes every audit insert wait (the step stops half-way)."""

    def __init__(self, engine):
        self.conn = engine.connect()
        self.tx = self.conn.begin()
        self.conn.execute(sa.text("LOCK TABLE audit_entry IN SHARE MODE"))

    def release(self):
        # after a PostgreSQL restart the lock went with the server: nothing left to roll back
        with contextlib.suppress(sa.exc.OperationalError):
            if self.tx.is_active:
                self.tx.rollback()
            self.conn.close()


def waiting_step(engine, timeout: float = 30.0) -> dict:
    """The database session of the worker whose step waits at the audit insert."""
    deadline = time.monotonic() + timeout
    with engine.connect() as c:
        while time.monotonic() < deadline:
            row = c.execute(sa.text(
                "SELECT pid, client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query ILIKE 'INSERT INTO audit_entry%'")).mappings().first()
            if row:
                return dict(row)
            c.commit()
            time.sleep(0.1)
    raise AssertionError("no step reached the audit insert")


def process_with_local_port(pids: list[int], port: int) -> int:
    """Which of `pids` owns the TCP connection whose local port is `port` (its database link)."""
    import psutil

    for pid in pids:
        try:
            if any(conn.laddr and conn.laddr.port == port for conn in psutil.Process(pid).net_connections("tcp")):
                return pid
        except psutil.NoSuchProcess:
            continue
    raise AssertionError(f"no worker holds the database connection from port {port}")


def gone(engine, backend_pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    with engine.connect() as c:
        while time.monotonic() < deadline:
            if not c.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": backend_pid}).first():
                return True
            c.commit()
            time.sleep(0.2)
    return False


async def assign_me(tab: PortalTab, warning_id: int):
    """Open the warning and take it (我来核查); returns the step."""
    assert (await tab.navigate(f"/warnings/{warning_id}")).ok, tab.problems
    return await tab.call(NAMES["assign_me"], kind="assign_me")


def test_a_worker_killed_mid_step_leaves_nothing_half_done(portal, secret):
    engine, server = portal["engine"], portal["server"]
    warning_id = pending_warning(engine)
    before = step_record(engine, warning_id)
    audits_before = audit_count(engine)

    async def scenario():
        tab = await signed_in_tab(server.url)
        assert (await tab.navigate(f"/warnings/{warning_id}")).ok
        lock = AuditLock(engine)
        try:
            pending = asyncio.create_task(tab.call(NAMES["assign_me"], kind="assign_me"))
            waiting = await asyncio.to_thread(waiting_step, engine)
            worker = process_with_local_port(server.worker_pids(), waiting["client_port"])
            os.kill(worker, signal.SIGKILL)  # the worker dies holding the step's open transaction
            cut = await pending
            # the database ends the dead worker's session and rolls its transaction back
            assert await asyncio.to_thread(gone, engine, waiting["pid"])
        finally:
            lock.release()
        middle = step_record(engine, warning_id)
        # The tab reconnects (to the surviving worker or the one granian starts in its place)
        # and the user does the step again.
        deadline = time.monotonic() + 60
        while not tab.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        again = await assign_me(tab, warning_id)
        await tab.close()
        return cut, middle, again, tab

    cut, middle, again, tab = run(scenario())
    assert not cut.ok  # the user saw the step fail (connection lost), not succeed
    assert middle == before, "a step cut off half-way must leave nothing behind"
    assert again.ok, (again, tab.problems)
    assert tab.reconnects >= 1
    after = step_record(engine, warning_id)
    assert after["status"] == VERIFYING and after["events"] == 1 and after["audits"] == 1
    assert after["version"] == before["version"] + 1
    assert audit_count(engine) == audits_before + 2  # the login and the one step: nothing lost, nothing doubled
    assert seals_intact(engine)
    assert len(server.worker_pids()) >= 1 and server.alive()


def test_postgresql_restart_mid_step_rolls_back_and_users_carry_on(portal, secret):
    engine, server, pg = portal["engine"], portal["server"], portal["pg"]
    warning_id = pending_warning(engine)
    before = step_record(engine, warning_id)
    audits_before = audit_count(engine)

    async def scenario():
        tab = await signed_in_tab(server.url)
        assert (await tab.navigate(f"/warnings/{warning_id}")).ok
        lock = AuditLock(engine)
        try:
            pending = asyncio.create_task(tab.call(NAMES["assign_me"], kind="assign_me", expect_ok=False))
            await asyncio.to_thread(waiting_step, engine)
            await asyncio.to_thread(pg.restart)  # ends every session, rolls back open transactions
            cut = await pending
        finally:
            lock.release()
        middle = step_record(engine, warning_id)
        error_shown = tab.value(SESSION, "error") or ""
        # Still signed in (the session lives in the database, which kept it): the page reloads
        # and the step is done again.
        again = await assign_me(tab, warning_id)
        await tab.close()
        return cut, middle, error_shown, again, tab

    cut, middle, error_shown, again, tab = run(scenario())
    assert cut.ok  # the worker answered: a message, not a crash or a lost connection
    assert error_shown.startswith("系统繁忙")
    assert middle == before
    assert again.ok, (again, tab.problems)
    after = step_record(engine, warning_id)
    assert after["status"] == VERIFYING and after["events"] == 1 and after["audits"] == 1
    assert audit_count(engine) == audits_before + 2
    assert seals_intact(engine)


def test_redis_restart_loses_no_work_and_users_carry_on(portal, secret):
    """Redis holds only the tabs' page state: a restart loses that, never data. The user's next
    click either
    - reloads the page (the tab is unknown to the server now); the page comes back signed in,
      or - when the browser's cookie does not make it back in time - asks for one sign-in; the
      user then does the step once; or
    - when the worker still held the tab's state in memory (Reflex's opportunistic lock, on in
      production: see production_server.py), is done - but its answer is lost with Redis'
      record of the tab's connection, so the page shows nothing; the user reloads and finds
      the step done.
    Either way nothing is lost, half done or doubled, and the user carries on."""
    engine, server, redis = portal["engine"], portal["server"], portal["redis"]
    warning_id = pending_warning(engine)
    audits_before = audit_count(engine)

    async def scenario():
        tab = await signed_in_tab(server.url)
        assert (await tab.navigate(f"/warnings/{warning_id}")).ok
        await asyncio.to_thread(redis.restart, kill=True)  # every tab's state is gone with it
        tab.timeout = 20  # longer than Reflex's lock expiry (10 s): no answer by then is none at all
        click = await tab.call(NAMES["assign_me"], kind="assign_me", expect_ok=False,
                               until=until_redirect_or(SESSION, "error"))
        done_unanswered = click.redirect is None and step_record(engine, warning_id)["events"] == 1
        tab.timeout = 60
        where = f"/warnings/{warning_id}" if done_unanswered else click.redirect
        signed_in_again = 0
        if where and where != "/login":
            reloaded = await tab.navigate(where)  # as the browser follows the redirect, or the user reloads
            where = reloaded.redirect
        if where == "/login":
            await tab.navigate("/login")
            step = await tab.call(NAMES["login"], {"form_data": {"username": "xinmin", "password": DEMO_PASSWORD}},
                                  kind="login", until=until_redirect_or(SESSION, "error"))
            assert step.ok and step.redirect == "/", (step, tab.problems)
            signed_in_again = 1
        if done_unanswered:  # the page, reloaded, shows the step done and the user as its checker
            shown = await tab.navigate(f"/warnings/{warning_id}")
            again = shown if shown.ok and tab.value(NAMES["warning_state"], "warning", {}).get("status") == VERIFYING else None
        else:
            again = await assign_me(tab, warning_id)
        await tab.close()
        return click, done_unanswered, signed_in_again, again, tab

    click, done_unanswered, signed_in_again, again, tab = run(scenario())
    assert click.redirect or done_unanswered, "a tab the server no longer knows is sent to reload or sign in, not left broken"
    assert again is not None and again.ok and not again.redirect, (again, tab.problems)
    after = step_record(engine, warning_id)
    assert after["status"] == VERIFYING and after["events"] == 1 and after["audits"] == 1
    # the first sign-in, a second one if it was asked for, the one step
    assert audit_count(engine) == audits_before + 2 + signed_in_again
    assert seals_intact(engine)
