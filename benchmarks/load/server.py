"""The portal as production runs it, started for load and fault tests (生产方式启动门户).

    work = work_copy(Path("/tmp/portal-work"))          # sources copied, an earlier .web/ kept
    with private_redis() as redis, postgres_schema(BASE_URL) as db:
        prepare_database(work, db.url)                   # migrate + seed-demo, from the copy
        with production_portal(work, db.url, redis.url, free_port(), workers=2) as portal:
            portal.url, portal.worker_pids(), portal.master_pid, redis.restart() ...

Give every process of a run the same PORTAL_SECRET_KEY (environment, or `env=`): session
tokens and audit seals made by one must check in another.

`production_portal` runs `reflex run --env prod` as scripts/prod.sh does (through
lowincome_portal.production_server, so granian replaces a worker that dies; GRANIAN_WORKERS
workers sharing their state through Redis; frontend and backend on one port) as its own process
group, waits
until the port answers and a websocket page loads, and ends the whole group on exit. Reflex
writes `.web/` in the directory it runs from, so `root` must be a private copy of the project
(`work_copy`), never a checkout that other people or tests use.

The frontend (`frontend=`):
- "build": the production command itself; compiles the app and builds the frontend every start.
- "reuse": serves the build a previous "build" left, through Reflex's own production backend
  (`reflex.utils.exec.run_backend_prod` with the frontend mounted) without compiling: a restart
  takes seconds. Only for the same port (the build has the backend's address compiled in) and
  unchanged sources.
- "auto" (default): "reuse" when that is possible, else "build".
- "none": `reflex run --env prod --backend-only`: the same production backend without any
  frontend - enough for websocket clients, and needs no bun.
"""

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVE_BUILT = Path(__file__).resolve().with_name("serve_built.py")
BUILD_STAMP = Path(".web") / "build" / "portal-build.json"
# What the app needs to run from another directory; everything else (.web, .venv, data, tests) stays.
COPIED = ("lowincome_portal", "rxconfig.py", "alembic", "alembic.ini", "assets", "reflex.lock", "pyproject.toml")
FRONTEND_MODES = ("auto", "build", "reuse", "none")


class ServerFailed(RuntimeError):
    """The portal did not start (or died); the message ends with the tail of its log."""


# ---- ports, Redis, PostgreSQL -------------------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_answers(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class PrivateRedis:
    """A redis-server of our own on 127.0.0.1 (no persistence), restartable on the same port."""

    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerFailed("redis-server not found (Debian package redis-server)")
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps writing to it
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"redis-server exited with {self.process.returncode}: {_tail(self.log_path)}")
            if _port_answers(self.port):
                return
            time.sleep(0.05)
        raise ServerFailed(f"redis-server did not answer on port {self.port}")

    def stop(self, *, kill: bool = False) -> None:
        """Stop it (kill=True: SIGKILL, as a crash would)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self, *, kill: bool = False, down_seconds: float = 0.0) -> None:
        self.stop(kill=kill)
        time.sleep(down_seconds)
        self.start()


@contextlib.contextmanager
def private_redis(port: int | None = None, log_path: Path | None = None) -> Iterator[PrivateRedis]:
    """A private redis-server for the block; its log goes to `log_path` (kept), or to a temporary
    file removed afterwards."""
    log = log_path or Path(tempfile.gettempdir()) / f"portal-redis-{uuid.uuid4().hex[:8]}.log"
    redis = PrivateRedis(port or free_port(), log)
    try:
        redis.start()
        yield redis
    finally:
        redis.stop()
        if log_path is None:
            log.unlink(missing_ok=True)


@dataclass(frozen=True)
class Schema:
    url: str       # the base URL with search_path set to the schema
    name: str
    base_url: str


def schema_url(base_url: str, schema: str) -> str:
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def postgres_schema(base_url: str, prefix: str = "load", *, keep: bool = False) -> Iterator[Schema]:
    """A new empty schema on the PostgreSQL server (dropped afterwards unless keep)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base_url)
    try:
        with engine.begin() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        yield Schema(schema_url(base_url, name), name, base_url)
    finally:
        if not keep:
            with engine.begin() as c:
                c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


def prepare_database(root: Path, url: str, *, demo_households: bool = True,
                     env: Mapping[str, str] | None = None) -> float:
    """Migrate and seed the demo county with the project's own commands (run from `root`, so
    its code is the code the portal will run; give them the portal's PORTAL_SECRET_KEY through
    the environment or `env`, or the seeded audit entries are sealed with another key).
    Returns the seconds it took."""
    started = time.perf_counter()
    env = {**os.environ, **(env or {}), "DATABASE_URL": url}
    steps = [["migrate"], ["seed-demo"]] if demo_households else [["migrate"]]
    for args in steps:
        done = subprocess.run([sys.executable, "-m", "lowincome_portal.cli", *args], cwd=root, env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ServerFailed(f"lowincome-portal {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


# ---- the project copy ---------------------------------------------------------------------------

def work_copy(dest: Path, source: Path = PROJECT_ROOT) -> Path:
    """Copy what the portal needs to run into `dest` (created if missing), replacing the sources
    a previous copy left but keeping its `.web/` (so a frontend build can be reused)."""
    dest = dest.resolve()
    if dest == source.resolve():
        raise ValueError("the work copy must not be the project itself: Reflex writes .web/ there")
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in COPIED:
        src, out = source / name, dest / name
        if out.is_dir() and not out.is_symlink():
            shutil.rmtree(out)
        elif out.exists() or out.is_symlink():
            out.unlink()
        if src.is_dir():
            shutil.copytree(src, out, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, out)
    return dest


def sources_digest(root: Path) -> str:
    """A digest of the files the compiled frontend depends on (paths, sizes, contents)."""
    h = hashlib.sha256()
    files = sorted([*(root / "lowincome_portal").rglob("*.py"), root / "rxconfig.py",
                    *((root / "assets").rglob("*") if (root / "assets").is_dir() else [])])
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _build_reusable(root: Path, port: int) -> bool:
    try:
        stamp = json.loads((root / BUILD_STAMP).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("port") == port and stamp.get("sources") == sources_digest(root) and \
        (root / ".web" / "build" / "client" / "index.html").exists()


# ---- the portal ---------------------------------------------------------------------------------

@dataclass
class PortalServer:
    root: Path
    port: int
    workers: int
    frontend: str            # what was done: build, reuse or none
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    startup_seconds: float = 0.0
    build_seconds: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def master_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def worker_pids(self) -> list[int]:
        """The granian workers: the Python children of the master process."""
        import psutil  # with the test extras (reflex[testing])

        try:
            children = psutil.Process(self.master_pid).children(recursive=False)
        except psutil.NoSuchProcess:
            return []
        pids = []
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "python" in (child.name() + " ".join(child.cmdline())):
                    pids.append(child.pid)
            except psutil.NoSuchProcess:
                continue
        return sorted(pids)

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the whole process group, SIGKILL after `timeout` seconds."""
        if self.process is None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # workers may outlive the master for a moment: nothing of the group may stay
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# What a test run or an earlier Reflex command may have left in our environment that would change
# how the portal starts (pytest's and AppHarness's flags make Reflex think it runs under a test).
_NOT_INHERITED = {"PORTAL_DEPLOYMENT", "REFLEX_DB_URL", "REFLEX_ENV_MODE", "REFLEX_BACKEND_ONLY",
                  "REFLEX_FRONTEND_ONLY", "REFLEX_SKIP_COMPILE", "REFLEX_MOUNT_FRONTEND_COMPILED_APP",
                  "REFLEX_FRONTEND_PORT", "REFLEX_BACKEND_PORT", "PYTEST_CURRENT_TEST", "APP_HARNESS_FLAG"}


def server_env(db_url: str, redis_url: str | None, workers: int, env: Mapping[str, str | None] | None = None
               ) -> dict[str, str]:
    """The portal's environment: ours, minus anything that would pick another database or
    deployment, plus the database, Redis, the workers and one secret key for every worker."""
    out = {k: v for k, v in os.environ.items()
           if k not in _NOT_INHERITED and not k.startswith("GRANIAN_")}
    out.update({
        "DATABASE_URL": db_url,
        "GRANIAN_WORKERS": str(workers),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
        # every worker must seal session tokens and audit entries alike; set PORTAL_SECRET_KEY
        # (as run_load does) so that restarts and the seeding share it too
        "PORTAL_SECRET_KEY": os.environ.get("PORTAL_SECRET_KEY") or secrets.token_urlsafe(48),
    })
    if redis_url:
        out["REFLEX_REDIS_URL"] = redis_url
    else:
        out.pop("REFLEX_REDIS_URL", None)
    for key, value in (env or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    if out.get("PORTAL_DEPLOYMENT", "").lower() == "production" and not (env or {}).get("PORTAL_SECRET_KEY"):
        out["PORTAL_SECRET_KEY"] = secrets.token_urlsafe(48)
    return out


def _reflex(root: Path) -> list[str]:
    """`reflex` as scripts/prod.sh runs it: through lowincome_portal.production_server (granian
    replaces a dead worker) when the project has it, else Reflex's own command."""
    if (root / "lowincome_portal" / "production_server.py").exists():
        return [sys.executable, "-m", "lowincome_portal.production_server"]
    return [sys.executable, "-m", "reflex"]


def _command(mode: str, port: int, root: Path) -> list[str]:
    reflex = _reflex(root)
    if mode == "none":
        return [*reflex, "run", "--env", "prod", "--backend-only", "--backend-port", str(port),
                "--backend-host", "127.0.0.1"]
    if mode == "build":
        return [*reflex, "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port),
                "--backend-host", "127.0.0.1"]
    return [sys.executable, str(SERVE_BUILT), "--port", str(port), "--host", "127.0.0.1"]


def start_portal(root: Path, db_url: str, redis_url: str | None, port: int, *, workers: int = 2,
                 env: Mapping[str, str | None] | None = None, frontend: str = "auto",
                 log_path: Path | None = None, timeout: float = 600.0) -> PortalServer:
    """Start the portal and wait until it serves; see the module's docstring. The caller stops it."""
    if frontend not in FRONTEND_MODES:
        raise ValueError(f"frontend must be one of {FRONTEND_MODES}")
    if workers > 1 and not redis_url:
        raise ValueError("several workers share their state through Redis: give redis_url")
    root = Path(root).resolve()
    if root == PROJECT_ROOT.resolve():
        raise ValueError("run the portal from a work copy (work_copy): Reflex writes .web/ (and the portal data/) "
                         "where it runs, and the project's .web/ belongs to the developers' own runs")
    if _port_answers(port):
        raise ServerFailed(f"port {port} is already in use")
    mode = frontend
    if mode == "auto":
        mode = "reuse" if _build_reusable(root, port) else "build"
    elif mode == "reuse" and not _build_reusable(root, port):
        raise ServerFailed(f"no reusable frontend build in {root} for port {port} (start once with 'build')")
    log = log_path or root / f"portal-{port}.log"
    server = PortalServer(root=root, port=port, workers=workers, frontend=mode, log_path=log,
                          env=server_env(db_url, redis_url, workers, env))
    server.timings["started_at"] = time.time()
    started = time.perf_counter()
    with open(log, "ab") as out:
        server.process = subprocess.Popen(_command(mode, port, root), cwd=root, env=server.env, stdout=out,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
    try:
        _wait_ready(server, timeout, started)
    except BaseException:
        server.stop()
        raise
    server.startup_seconds = time.perf_counter() - started
    if mode == "build":
        server.build_seconds = server.startup_seconds
        (root / BUILD_STAMP).write_text(json.dumps({
            "port": port, "sources": sources_digest(root), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "seconds": round(server.startup_seconds, 1)}), "utf-8")
    return server


def _wait_ready(server: PortalServer, timeout: float, started: float) -> None:
    deadline = started + timeout
    probe = "/" if server.frontend != "none" else "/ping"
    while True:
        if not server.alive():
            raise ServerFailed(f"the portal exited with {server.process.returncode}:\n{server.log_tail()}")
        if time.perf_counter() > deadline:
            raise ServerFailed(f"the portal did not answer within {timeout:.0f} s:\n{server.log_tail()}")
        if _http_ok(f"{server.url}{probe}") and len(server.worker_pids()) >= server.workers:
            break
        time.sleep(0.25)
    server.timings["http_seconds"] = time.perf_counter() - started
    # a page over the websocket: the state manager (Redis) and the database answer too
    from .portal_client import PortalTab, run_sync

    last: Exception | None = None
    while time.perf_counter() < deadline:
        try:
            run_sync(PortalTab.smoke(server.url, "/login"))
            break
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
            time.sleep(0.5)
    else:
        raise ServerFailed(f"the websocket did not load a page: {last!r}\n{server.log_tail()}")
    server.timings["websocket_seconds"] = time.perf_counter() - started


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - our own loopback server
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextlib.contextmanager
def production_portal(root: Path, db_url: str, redis_url: str | None, port: int, workers: int = 2,
                      env: Mapping[str, str | None] | None = None, *, frontend: str = "auto",
                      log_path: Path | None = None, timeout: float = 600.0) -> Iterator[PortalServer]:
    """`start_portal` as a context manager: the whole process group is stopped on exit."""
    server = start_portal(root, db_url, redis_url, port, workers=workers, env=env, frontend=frontend,
                          log_path=log_path, timeout=timeout)
    try:
        yield server
    finally:
        server.stop()
