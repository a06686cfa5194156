"""PostgreSQL's own client tools (pg_dump, pg_restore, psql) driven from a SQLAlchemy URL.

The connection reaches the tools through libpq's environment (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE ...), never the command line, where every user of the machine could
read the password in the process list.
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from . import BackupRefused

# libpq settings that may ride in the URL's query string (?sslmode=require, ?host=/run/postgresql).
_QUERY_ENV = {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
              "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT"}
# "216; 1259 18819 TABLE t_abc household postgres" in `pg_restore --list`
_TOC_TABLE = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(\S+)\s+(\S+)\s+\S+\s*$")
# the schema itself and its comment/ACL: the restore goes into the schema that exists, never drops it
_TOC_SCHEMA = re.compile(r"^\d+;\s+\d+\s+\d+\s+(SCHEMA\s|(COMMENT|ACL)\s+-\s+SCHEMA\s)")
_TAIL_LINES = 8


def libpq_env(url: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that points pg_dump/pg_restore/psql at the database of a SQLAlchemy URL."""
    u = make_url(url)
    env = dict(os.environ if base is None else base)
    for var, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password), ("PGDATABASE", u.database)):
        if value not in (None, ""):
            env[var] = str(value)
    for key, var in _QUERY_ENV.items():
        value = u.query.get(key)
        if value:
            env[var] = value if isinstance(value, str) else ",".join(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupRefused(f"未找到 {name}：请安装 PostgreSQL 客户端工具（Debian/Ubuntu：apt-get install "
                            "postgresql-client，版本不低于数据库服务器），未做任何修改")
    return path


def _tail(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join(text.strip().splitlines()[-_TAIL_LINES:])


def dump(url: str, out: Path, *, schema: str, snapshot: str) -> None:
    """pg_dump of one schema in custom format, reading the snapshot the caller exported (so
    the caller's row counts describe exactly the dumped rows)."""
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-password", f"--schema={schema}",
         f"--snapshot={snapshot}", f"--file={out}"],
        env=libpq_env(url), capture_output=True, text=True)
    if done.returncode:
        raise BackupRefused(f"pg_dump 备份失败：\n{_tail(done.stderr)}")


def archive_toc(path: Path) -> str:
    """`pg_restore --list` of an archive; refuses a file pg_restore cannot read."""
    done = subprocess.run([_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if done.returncode:
        raise BackupRefused(f"文件 {path.name} 已损坏或不是 pg_dump 备份，未做任何修改：\n{_tail(done.stderr)}")
    return done.stdout


def archive_tables(toc: str) -> set[tuple[str, str]]:
    """(schema, table) of every table in an archive's list."""
    return {(m.group(1), m.group(2)) for m in map(_TOC_TABLE.match, toc.splitlines()) if m}


def archive_revision(path: Path) -> str | None:
    """The alembic revision stored in an archive's alembic_version rows."""
    done = subprocess.run([_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
                          capture_output=True, text=True)
    if done.returncode:
        raise BackupRefused(f"文件 {path.name} 已损坏，读不出其中的数据库版本，未做任何修改：\n{_tail(done.stderr)}")
    rows, copying = [], False
    for line in done.stdout.splitlines():
        if line.startswith("COPY ") and ".alembic_version " in line:
            copying = True
        elif copying and line == "\\.":
            break
        elif copying and line:
            rows.append(line)
    return ",".join(sorted(rows)) or None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def restore(url: str, path: Path, *, toc: str, schema: str, drop_first: list[str]) -> None:
    """Replace the schema's portal tables by the archive's, all in one transaction.

    `pg_restore --single-transaction` cannot also drop the tables a backup does not have
    (restoring an older backup: later migrations' tables would block the drop of the tables
    they reference, and `migrate` would then find them already there). So pg_restore writes
    the script (--clean --if-exists --no-owner) to a file first - a damaged archive fails
    here, before the database is touched - and psql runs our DROPs and that script as one
    transaction with ON_ERROR_STOP: any error rolls everything back.
    """
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as tmp:
        listing = Path(tmp, "restore.list")
        listing.write_text("\n".join(line for line in toc.splitlines() if not _TOC_SCHEMA.match(line)) + "\n")
        prologue = Path(tmp, "drop_extra.sql")
        prologue.write_text("".join(f"DROP TABLE IF EXISTS {_quoted(schema)}.{_quoted(t)} CASCADE;\n"
                                    for t in drop_first) or "SELECT 1;\n")
        script = Path(tmp, "restore.sql")
        done = subprocess.run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", f"--use-list={listing}",
             f"--file={script}", str(path)], capture_output=True, text=True)
        if done.returncode:
            raise BackupRefused(f"文件 {path.name} 已损坏，无法读出全部数据，未做任何修改：\n{_tail(done.stderr)}")
        done = subprocess.run(
            [_tool("psql"), "--no-psqlrc", "--quiet", "--no-password", "--single-transaction",
             "--set=ON_ERROR_STOP=1", f"--file={prologue}", f"--file={script}"],
            env=libpq_env(url), capture_output=True, text=True)
        if done.returncode:
            raise BackupRefused(f"恢复失败，已全部回滚，数据库未做任何修改：\n{_tail(done.stderr)}")
