"""A PostgreSQL server of the test's own (initdb in a temporary directory, its own port), so a
fault test can restart or stop it without touching the machine's shared server."""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load.server import free_port

# As root the server must run as the postgres account (it refuses root).
_AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL server program {name} not found (Debian package postgresql)")
    return path


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   # a backend whose client died notices within a second, even while it waits on a lock
                   "-c client_connection_check_interval=1000")
        subprocess.run([*_AS_POSTGRES, _bin("pg_ctl"), "-D", str(self.directory / "data"), "-l",
                        str(self.directory / "server.log"), "-o", options, "-w", "-t", "60", *args],
                       check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        """`fast` ends every session and rolls back their open transactions, as a service restart does."""
        self._ctl("-m", mode, "restart")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    directory = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    if _AS_POSTGRES:
        shutil.chown(directory, "postgres")
    subprocess.run([*_AS_POSTGRES, _bin("initdb"), "-D", str(directory / "data"), "-A", "trust", "-U",
                    "postgres", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    server = PrivatePostgres(directory, free_port())
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
