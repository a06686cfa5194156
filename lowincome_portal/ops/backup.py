"""Back up the portal's database to one file and restore it, on SQLite and PostgreSQL.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies every page in one step,
that is inside one read transaction, so the copy is one consistent moment even while the
portal writes (WAL mode lets it read beside a writer). Restore uses the same API the other
way, into the live file; it is one write transaction, safe while nobody else writes.

PostgreSQL: `pg_dump --format=custom --schema=<the URL's schema>` reading a snapshot that
this module exported and counted rows in; restore replaces the schema's tables in one
transaction (see pg_tools.restore), so a failed restore changes nothing.

Beside every backup FILE goes FILE.json: the kind, the alembic revision, the time, the row
count of every table and the file's SHA-256. Restore reads the revision from the backup
itself (the sidecar may be lost) and, when the sidecar is there, checks the checksum.

Restore refuses, before touching anything, a missing, damaged or foreign file, a database
that is not the portal's (no alembic_version), a backup of the other database kind, and a
backup taken by a newer version of the portal (a revision this code does not know). It runs
no migration: a restore gives back exactly what was backed up. When that is older than the
code, `RestoreInfo.needs_migration` says so and the operator runs `lowincome-portal migrate`
(the command line says so) - the operator may instead want to go back to the older program.
"""

import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ..db import migrations
from ..db.timeutil import CHINA
from . import BackupRefused, pg_tools

KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
EXTENSIONS = {"sqlite": ".sqlite", "postgresql": ".dump"}
_MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
SIDECAR_FORMAT = "lowincome-portal-backup/1"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    sidecar: Path
    kind: str
    revision: str
    created_at: str  # ISO 8601, Beijing time
    row_counts: dict[str, int]
    size_bytes: int
    sha256: str

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


@dataclass(frozen=True)
class BackupCheck:
    """What a backup file holds, read before restoring it."""

    path: Path
    kind: str
    revision: str
    code_revision: str
    created_at: str = ""  # from the sidecar, when there is one
    row_counts: dict[str, int] = field(default_factory=dict)  # likewise

    @property
    def needs_migration(self) -> bool:
        return self.revision != self.code_revision


@dataclass(frozen=True)
class RestoreInfo:
    path: Path
    kind: str
    revision: str
    code_revision: str
    row_counts: dict[str, int]  # counted in the restored database

    @property
    def needs_migration(self) -> bool:
        return self.revision != self.code_revision

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


def kind_of(url: str) -> str:
    kind = make_url(url).get_backend_name()
    if kind not in KIND_LABELS:
        raise BackupRefused(f"不支持备份此类数据库：{kind}（只支持 SQLite 与 PostgreSQL）")
    return kind


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def default_file_name(url: str, now: datetime | None = None, label: str = "") -> str:
    """portal-YYYYmmdd-HHMMSS.sqlite (or .dump), Beijing time."""
    now = now or datetime.now(CHINA)
    return f"portal-{now:%Y%m%d-%H%M%S}{label}{EXTENSIONS[kind_of(url)]}"


# ---- backup --------------------------------------------------------------------------------

def backup(url: str, out_path: str | Path) -> BackupInfo:
    """Copy the database named by `url` to `out_path` (never overwritten) and write its sidecar."""
    kind = kind_of(url)
    out = Path(out_path)
    if out.exists():
        raise BackupRefused(f"备份文件 {out} 已存在，请换一个文件名")
    out.parent.mkdir(parents=True, exist_ok=True)
    # written under another name first, so a half-written copy never looks like a backup
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    taken = datetime.now(CHINA)  # the moment the copy shows (its snapshot is taken right after)
    try:
        revision, counts = (_sqlite_backup if kind == "sqlite" else _postgres_backup)(url, partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    info = BackupInfo(path=out, sidecar=sidecar_of(out), kind=kind, revision=revision,
                      created_at=taken.isoformat(timespec="seconds"), row_counts=counts,
                      size_bytes=out.stat().st_size, sha256=_sha256(out))
    sidecar = {"format": SIDECAR_FORMAT, "kind": kind, "file": out.name, "created_at": info.created_at,
               "revision": revision, "database": make_url(url).render_as_string(hide_password=True),
               "size_bytes": info.size_bytes, "sha256": info.sha256, "row_counts": counts}
    info.sidecar.write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def _not_initialised(url: str) -> BackupRefused:
    where = make_url(url).render_as_string(hide_password=True)
    return BackupRefused(f"数据库 {where} 尚未初始化（没有 alembic_version 版本表），"
                         "请先运行 lowincome-portal migrate")


def _sqlite_backup(url: str, partial: Path) -> tuple[str, dict[str, int]]:
    live = _sqlite_file(url)
    if not live.is_file():
        raise BackupRefused(f"数据库文件 {live} 不存在")
    try:
        with closing(sqlite3.connect(live, timeout=30)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # pages=-1: every page in one step, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            revision, counts = _sqlite_revision(dst), _sqlite_counts(dst)
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"无法读取数据库 {live}：{exc}") from exc
    if revision is None:
        raise _not_initialised(url)
    return revision, counts


def _postgres_backup(url: str, partial: Path) -> tuple[str, dict[str, int]]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            # One REPEATABLE READ transaction: the counts and pg_dump (which imports the
            # exported snapshot) see the very same rows.
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                schema = _current_schema(conn, url)
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                counts = _counts(conn, schema)
                revision = _revision(conn, schema) if "alembic_version" in counts else None
                if revision is None:
                    raise _not_initialised(url)
                pg_tools.dump(url, partial, schema=schema, snapshot=snapshot)
    except sa.exc.OperationalError as exc:
        raise BackupRefused(f"无法连接数据库：{exc.orig}") from exc
    finally:
        engine.dispose()
    return revision, counts


# ---- restore -------------------------------------------------------------------------------

def check_backup(url: str, in_path: str | Path) -> BackupCheck:
    """Read a backup file and say what it holds; refuses (changing nothing) a file that must
    not be restored into the database named by `url`."""
    kind = kind_of(url)
    path = Path(in_path)
    if not path.is_file():
        raise BackupRefused(f"备份文件 {path} 不存在")
    with path.open("rb") as f:
        head = f.read(16)
    found = next((k for k, magic in _MAGIC.items() if head.startswith(magic)), None)
    if found is None:
        raise BackupRefused(f"文件 {path.name} 不是本平台的备份（既不是 SQLite 数据库，也不是 pg_dump 备份），"
                            "未做任何修改")
    if found != kind:
        raise BackupRefused(f"文件 {path.name} 是 {KIND_LABELS[found]} 备份，当前数据库是 {KIND_LABELS[kind]}，"
                            "不能直接恢复，未做任何修改")
    sidecar = _read_sidecar(path)
    if sidecar.get("sha256") and sidecar["sha256"] != _sha256(path):
        raise BackupRefused(f"备份文件 {path.name} 与说明文件 {sidecar_of(path).name} 的校验值不一致，"
                            "文件可能已损坏或被替换，未做任何修改")
    revision = _sqlite_check(path) if kind == "sqlite" else _postgres_check(path)
    return BackupCheck(path=path, kind=kind, revision=revision, code_revision=_known_revision(path, revision),
                       created_at=str(sidecar.get("created_at", "")),
                       row_counts=dict(sidecar.get("row_counts") or {}))


def restore(url: str, in_path: str | Path) -> RestoreInfo:
    """Replace the database named by `url` with the backup in `in_path` (checked first)."""
    check = check_backup(url, in_path)
    if check.kind == "sqlite":
        _sqlite_restore(url, check.path)
    else:
        _postgres_restore(url, check.path)
    return RestoreInfo(path=check.path, kind=check.kind, revision=check.revision,
                       code_revision=check.code_revision, row_counts=live_row_counts(url))


def _not_portal(path: Path) -> BackupRefused:
    return BackupRefused(f"文件 {path.name} 不是本平台的数据库备份（没有 alembic_version 版本表），"
                         "拒绝恢复，未做任何修改")


def _sqlite_check(path: Path) -> str:
    try:
        with closing(_read_only(path)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise BackupRefused(f"备份文件 {path.name} 已损坏（{'；'.join(problems[:3])}），未做任何修改")
            revision = _sqlite_revision(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"备份文件 {path.name} 已损坏或不是 SQLite 数据库（{exc}），未做任何修改") from exc
    if revision is None:
        raise _not_portal(path)
    return revision


def _postgres_check(path: Path) -> str:
    toc = pg_tools.archive_toc(path)
    if not any(table == "alembic_version" for _, table in pg_tools.archive_tables(toc)):
        raise _not_portal(path)
    revision = pg_tools.archive_revision(path)
    if revision is None:
        raise _not_portal(path)
    return revision


def _known_revision(path: Path, revision: str) -> str:
    """The code's head revision; refuses a backup whose revision the code does not know."""
    script = ScriptDirectory.from_config(migrations.alembic_config())
    head = script.get_current_head()
    try:
        known = script.get_revision(revision) is not None
    except CommandError:  # "Can't locate revision identified by ..."
        known = False
    if not known:
        raise BackupRefused(f"备份 {path.name} 来自更新版本的平台（数据库版本 {revision}），当前程序只认识到版本 {head}："
                            "请先把程序升级到不低于备份时的版本再恢复。未做任何修改")
    return head


def _sqlite_restore(url: str, path: Path) -> None:
    live = _sqlite_file(url)
    live.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(_read_only(path)) as src, closing(sqlite3.connect(live, timeout=30)) as dst:
            src.backup(dst)  # one write transaction on the live file: whole or not at all
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"恢复失败，数据库未做任何修改：{exc}") from exc


def _postgres_restore(url: str, path: Path) -> None:
    from sqlmodel import SQLModel

    import lowincome_portal.db.tables  # noqa: F401  (registers every table)

    toc = pg_tools.archive_toc(path)
    archived = pg_tools.archive_tables(toc)
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            schema = _current_schema(conn, url)
            live = set(sa.inspect(conn).get_table_names(schema=schema))
    except sa.exc.OperationalError as exc:
        raise BackupRefused(f"无法连接数据库：{exc.orig}") from exc
    finally:
        engine.dispose()
    from_schemas = {s for s, _ in archived}
    if from_schemas != {schema}:
        raise BackupRefused(f"备份 {path.name} 来自模式 {'、'.join(sorted(from_schemas))}，当前数据库连接的是模式 "
                            f"{schema}，不能恢复到不同的模式，未做任何修改")
    # the portal's tables the backup lacks (added by later migrations): dropped in the same transaction
    ours = set(SQLModel.metadata.tables) | {"alembic_version"}
    extra = sorted((live & ours) - {t for _, t in archived})
    pg_tools.restore(url, path, toc=toc, schema=schema, drop_first=extra)


# ---- reading databases ---------------------------------------------------------------------

def live_row_counts(url: str) -> dict[str, int]:
    """The row count of every table of the database named by `url`."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            schema = _current_schema(conn, url) if kind_of(url) == "postgresql" else None
            return _counts(conn, schema)
    finally:
        engine.dispose()


def _current_schema(conn, url: str) -> str:
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
    if not schema:
        raise BackupRefused(f"连接 {make_url(url).render_as_string(hide_password=True)} 的 search_path "
                            "指向的模式不存在")
    return schema


def _counts(conn, schema: str | None) -> dict[str, int]:
    names = sorted(sa.inspect(conn).get_table_names(schema=schema))
    return {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name, schema=schema))).scalar_one()
            for name in names}


def _revision(conn, schema: str | None) -> str | None:
    rows = conn.execute(sa.select(sa.column("version_num")).select_from(
        sa.table("alembic_version", schema=schema))).scalars().all()
    return ",".join(sorted(rows)) or None


def _sqlite_file(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupRefused("只能备份或恢复 SQLite 数据库文件（不支持内存数据库）")
    return Path(name)


def _read_only(path: Path) -> sqlite3.Connection:
    # immutable: a backup file is read as it lies - no lock, no -wal or -shm beside it made
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        rows = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version").fetchall()]
    except sqlite3.OperationalError:  # no such table
        return None
    return ",".join(sorted(rows)) or None


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
            for name in names}


def _read_sidecar(path: Path) -> dict:
    try:
        data = json.loads(sidecar_of(path).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == SIDECAR_FORMAT else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
