"""One load run from start to end: data, server, simulated users, reconciliation (一次负载测试).

`run_load(...)` returns a JSON-able dict; benchmarks/load_test.py writes it as the report and
tests/load/test_load_smoke.py asserts on it.
"""

import asyncio
import contextlib
import os
import re
import secrets
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from .portal_client import PortalTab, run_sync
from .scenario import LoadAccounts, create_accounts, households_in_townships, reconcile, run_caseworkers, utcnow
from .server import postgres_schema, prepare_database, private_redis, production_portal, work_copy
from .stats import LoadSampler, latency_ms, loadavg

DEFAULT_WORK_DIR = Path(tempfile.gettempdir()) / "lowincome-portal-load"
TARGET_P95_MS = 300.0
STEADY_AFTER_RAMP = 20.0  # seconds after the ramp-up from which latency counts as "steady"
_LOG_PROBLEM = re.compile(r"Traceback \(most recent call last\)|\bERROR\b|\[Reflex Backend Exception\]|"
                          r"Error processing|Unable to connect")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _log_text(path: Path, start_offset: int = 0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(start_offset)
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def server_log_problems(path: Path, start_offset: int = 0) -> list[str]:
    """Lines of the portal's log (from `start_offset` bytes) that tell of an error."""
    return [line.strip()[:300] for line in _log_text(path, start_offset).splitlines() if _LOG_PROBLEM.search(line)]


def lock_warnings(path: Path, start_offset: int = 0) -> int:
    """How often Reflex warned that a state lock was held too long (an event waited, not an error)."""
    return _log_text(path, start_offset).count("was held too long")


@contextlib.contextmanager
def _one_secret_key():
    """One PORTAL_SECRET_KEY for this process, the seeding commands and the portal, so every
    session token and audit seal of the run is made with the key the portal checks them with."""
    before = os.environ.get("PORTAL_SECRET_KEY")
    os.environ["PORTAL_SECRET_KEY"] = before or secrets.token_urlsafe(48)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PORTAL_SECRET_KEY", None)


def _setup_data(url: str, *, users: int, households: int, seed: int) -> tuple[LoadAccounts, dict]:
    from lowincome_portal.db.engine import engine_for
    from lowincome_portal.demo.synthetic import SyntheticDataExists, generate_county

    engine = engine_for(url)
    info: dict = {}
    if households:
        started = time.perf_counter()
        try:
            county = generate_county(engine, households=households, seed=seed)
            info["generated_households"] = county["households"]
        except SyntheticDataExists as exc:
            info["generated_households"] = f"skipped: {exc}"
        info["generate_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    accounts = create_accounts(engine, users)
    info["accounts_seconds"] = round(time.perf_counter() - started, 1)
    info["households_in_load_townships"] = households_in_townships(engine)
    return accounts, info


async def _drive(url: str, accounts: LoadAccounts, *, server, redis_pid, users: int, duration: float,
                 ramp: float, run_id: str, seed: int, think, logout_chance: float, baseline_samples: int,
                 timeout: float) -> dict:
    probe = PortalTab(url, label="probe", timeout=timeout)
    await probe.connect("/login")
    for _ in range(baseline_samples):  # the idle baseline, before anyone else is on
        await probe.noop()
    idle_until = time.time()
    sampler = LoadSampler(server, redis_pid)
    sampling = asyncio.ensure_future(sampler.run())

    async def probe_under_load():
        await asyncio.sleep(ramp)
        while True:
            await probe.noop()
            await asyncio.sleep(1.0)

    started = time.time()
    try:
        workers = await run_caseworkers(url, accounts, users=users, duration=duration, ramp=ramp, run_id=run_id,
                                        seed=seed, think=think, logout_chance=logout_chance, timeout=timeout,
                                        during=probe_under_load)
    finally:
        sampling.cancel()
        await asyncio.gather(sampling, return_exceptions=True)
        await probe.close()
    finished = time.time()
    noops = [s for s in probe.steps if s.kind == "noop"]
    return {"workers": workers, "probe": probe, "started": started, "finished": finished, "ramp": ramp,
            "noop_idle": [s for s in noops if s.started <= idle_until],
            "noop_load": [s for s in noops if s.started > idle_until],
            "load": sampler.summary()}


def _summarise(driven: dict) -> dict:
    workers = driven["workers"]
    tabs = [w.tab for w in workers if w.tab is not None]
    steps = [s for t in tabs for s in t.steps]
    ok = [s for s in steps if s.ok and s.seconds is not None]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for s in ok:
        by_kind[s.kind].append(s.seconds)
    failed = [f"{t.label} {s.kind}: {s.error}" for t in tabs for s in t.steps if not s.ok]
    semantic = [f"{w.username} {f}" for w in workers for f in w.failures]
    protocol = [f"{t.label} {p}" for t in tabs for p in t.problems if p.startswith(("unexpected", "server"))]
    overall = latency_ms([s.seconds for s in ok])
    # after everyone has connected and signed in, and the backlog of that burst has drained
    steady_from = driven["started"] + driven["ramp"] + STEADY_AFTER_RAMP
    steady = latency_ms([s.seconds for s in ok if s.started >= steady_from])
    noop_load = latency_ms([s.seconds for s in driven["noop_load"] if s.ok])
    noop_idle = latency_ms([s.seconds for s in driven["noop_idle"] if s.ok])
    elapsed = driven["finished"] - driven["started"]
    errors = failed + semantic
    return {
        "users_started": len(workers),
        "elapsed_seconds": round(elapsed, 1),
        "steps": len(steps),
        "events_sent": sum(t.emitted for t in tabs),
        "events_per_second": round(sum(t.emitted for t in tabs) / elapsed, 1) if elapsed else None,
        "loops": sum(w.loops for w in workers),
        "latency_ms": {"all": overall, "by_kind": {k: latency_ms(v) for k, v in sorted(by_kind.items())},
                       "steady": steady, "steady_from_seconds": round(steady_from - driven["started"], 1)},
        "errors": len(errors) + len(protocol),
        "failed_steps": len(failed),
        "other_failures": len(semantic),
        "protocol_problems": len(protocol),
        "error_samples": (errors + protocol)[:30],
        "reconnects": sum(t.reconnects for t in tabs),
        "disconnects": sum(t.disconnects for t in tabs),
        "new_tokens": sum(t.new_tokens for t in tabs),
        "baseline_ms": {"idle": noop_idle, "under_load": noop_load,
                        "what": "one no-op event (OnLoadInternalState.set_is_hydrated) through the same "
                                "socket, event queue, state lock and Redis; a probe tab sends one a second"},
        "ratio_p95": (overall["p95"] / noop_load["p95"]) if noop_load.get("n") and overall.get("n") else None,
        "load": driven["load"],
    }


def run_load(*, users: int, duration: float, workers: int = 2, ramp: float = 20.0, households: int = 3000,
             postgres: str = "", url: str = "", database_url: str = "", frontend: str = "auto",
             work_dir: Path | None = None, seed: int = 20251128, think: tuple[float, float] = (1.0, 3.0),
             logout_chance: float = 0.1, keep_schema: bool = False, baseline_samples: int = 30,
             timeout: float = 60.0, port: int | None = None) -> dict:
    """A whole load run. Either start everything (`postgres`: the server to make a fresh schema
    on; a private Redis; the portal from a work copy with `workers` workers), or use a running
    portal at `url` whose database is `database_url`."""
    from lowincome_portal.db.engine import engine_for

    from .server import free_port

    if not url and not postgres:
        raise ValueError("give postgres (to start a portal) or url and database_url (a running one)")
    if url and not database_url:
        raise ValueError("with url, give database_url: the portal's database, for the accounts and the reconciliation")
    run_id = uuid.uuid4().hex[:8]
    result: dict = {"run_id": run_id, "users": users, "duration_seconds": duration, "ramp_seconds": ramp,
                    "workers": workers, "think_seconds": list(think), "logout_chance": logout_chance,
                    "target_p95_ms": TARGET_P95_MS, "setup": {}}
    with contextlib.ExitStack() as stack:
        if not url:
            stack.enter_context(_one_secret_key())
        server = None
        redis_pid = None
        if not url:
            root = work_copy(work_dir or DEFAULT_WORK_DIR)
            _say(f"work copy: {root}")
            redis = stack.enter_context(private_redis(log_path=root / "redis.log"))
            redis_pid = redis.pid
            schema = stack.enter_context(postgres_schema(postgres, keep=keep_schema))
            database_url = schema.url
            result["setup"]["schema"] = schema.name
            _say(f"schema {schema.name}: migrate and seed the demo county")
            result["setup"]["migrate_seed_seconds"] = round(prepare_database(root, database_url), 1)
        _say(f"load data: {households} synthetic households, {users} accounts")
        accounts, info = _setup_data(database_url, users=users, households=households, seed=seed)
        result["setup"].update(info)
        if not url:
            port = port or free_port()
            _say(f"starting the portal: {workers} workers on port {port}, frontend {frontend}")
            server = stack.enter_context(production_portal(root, database_url, redis.url, port, workers,
                                                           frontend=frontend))
            url = server.url
            result["setup"].update({"frontend": server.frontend, "startup_seconds": round(server.startup_seconds, 1),
                                    "build_seconds": server.build_seconds and round(server.build_seconds, 1),
                                    "worker_pids": server.worker_pids(), "log": str(server.log_path)})
            _say(f"portal up in {server.startup_seconds:.1f} s ({server.frontend}); workers {server.worker_pids()}")
        log_offset = server.log_path.stat().st_size if server else 0
        window_start = utcnow() - timedelta(seconds=2)
        result["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        result["load_average_at_start"] = loadavg()
        _say(f"run {run_id}: {users} users for {duration:.0f} s (ramp {ramp:.0f} s)")
        # run_sync: also from a process whose main thread already runs a loop (pytest with Playwright)
        driven = run_sync(_drive(url, accounts, server=server, redis_pid=redis_pid, users=users,
                                    duration=duration, ramp=ramp, run_id=run_id, seed=seed, think=think,
                                    logout_chance=logout_chance, baseline_samples=baseline_samples,
                                    timeout=timeout))
        time.sleep(1.0)  # the last commits of handlers whose answer arrived are visible by now
        window_end = utcnow() + timedelta(seconds=2)
        result["result"] = _summarise(driven)
        rec = reconcile(engine_for(database_url), driven["workers"], accounts, run_id, (window_start, window_end))
        result["reconcile"] = {**rec.__dict__, "ok": rec.ok, "exact": rec.exact}
        if server:
            problems = server_log_problems(server.log_path, log_offset)
            result["server_log_problems"] = {"count": len(problems), "samples": problems[:20]}
            result["lock_held_too_long_warnings"] = lock_warnings(server.log_path, log_offset)
            result["workers_alive_at_end"] = server.worker_pids()
        engine_for(database_url).dispose()
    r = result["result"]
    result["pass"] = bool(r["errors"] == 0 and result["reconcile"]["exact"]
                          and not result.get("server_log_problems", {}).get("count")
                          and r["latency_ms"]["all"].get("p95", float("inf")) <= TARGET_P95_MS)
    return result


if __name__ == "__main__":  # a quick manual run: python -m benchmarks.load.runner
    import json

    print(json.dumps(run_load(users=int(os.environ.get("USERS", "5")), duration=float(os.environ.get("DURATION", "15")),
                              ramp=5, households=500, frontend="none",
                              postgres=os.environ.get("TEST_POSTGRES_URL",
                                                      "postgresql+psycopg://postgres@127.0.0.1:5432/test")),
                     ensure_ascii=False, indent=1, default=str))
