"""`lowincome-portal backup` and `lowincome-portal restore`: the operator's side of ops/backup.py -
file names, the confirmation, a safety copy before a restore, messages and the audit trail."""

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ..db.engine import PROJECT_ROOT, database_url, engine_for
from . import BackupRefused
from .backup import KIND_LABELS, BackupCheck, backup, check_backup, default_file_name, restore

# Beside data/ (the default SQLite file); ignored by git.
BACKUP_DIR = PROJECT_ROOT / "backups"
YES_WORDS = {"yes", "y", "是"}


def default_backup_path(url: str, label: str = "") -> Path:
    path = BACKUP_DIR / default_file_name(url, label=label)
    n = 2
    while path.exists():  # two backups within one second
        path = BACKUP_DIR / default_file_name(url, label=f"{label}-{n}")
        n += 1
    return path


def run_backup(out: str | None, url: str | None = None) -> int:
    url = url or database_url()
    try:
        info = backup(url, Path(out) if out else default_backup_path(url))
    except BackupRefused as exc:
        print(exc.message, file=sys.stderr)
        return 2
    _audit(url, "backup", info.path, {"revision": info.revision, "sha256": info.sha256,
                                      "size_bytes": info.size_bytes, "total_rows": info.total_rows,
                                      "row_counts": info.row_counts},
           note=f"命令行备份数据库到 {info.path.name}")
    print(f"已备份到 {info.path}（{_size(info.size_bytes)}，数据库版本 {info.revision}，"
          f"{len(info.row_counts)} 张表共 {info.total_rows} 行）")
    print(f"说明文件：{info.sidecar}（恢复时请与备份文件放在一起）")
    return 0


def run_restore(file: str, yes: bool = False, url: str | None = None,
                ask: Callable[[str], str] | None = None) -> int:
    url = url or database_url()
    try:
        check = check_backup(url, file)
    except BackupRefused as exc:
        print(exc.message, file=sys.stderr)
        return 2
    _describe(url, check)
    if not yes:
        try:
            answer = (ask or input)("恢复将用备份覆盖当前数据库中的全部数据。确认恢复请输入 yes：")
        except EOFError:  # no terminal (a script): never a yes
            print()
            answer = ""
        if answer.strip().lower() not in YES_WORDS:
            print("已取消，数据库未做任何修改")
            return 1
    safety = _safety_copy(url)
    try:
        info = restore(url, file)
    except BackupRefused as exc:
        print(exc.message, file=sys.stderr)
        return 2
    engine_for(url).dispose()  # pooled connections of this process must not outlive the old tables
    _audit(url, "restore", info.path, {"revision": info.revision, "backup_created_at": check.created_at,
                                       "total_rows": info.total_rows, "row_counts": info.row_counts,
                                       "safety_copy": safety.name if safety else ""},
           note=f"命令行从 {info.path.name} 恢复数据库")
    print(f"已从 {info.path} 恢复（数据库版本 {info.revision}，{len(info.row_counts)} 张表共 {info.total_rows} 行）")
    if info.needs_migration:
        print(f"备份来自较早的版本 {info.revision}，当前程序需要版本 {info.code_revision}："
              "请先运行 lowincome-portal migrate，再启动平台")
    print("请重启平台的后端进程，让它们重新连接恢复后的数据库")
    return 0


def _describe(url: str, check: BackupCheck) -> None:
    where = make_url(url).render_as_string(hide_password=True)
    print(f"备份文件：{check.path}（{KIND_LABELS[check.kind]}，数据库版本 {check.revision}）")
    if check.created_at:
        print(f"备份时间：{check.created_at}，{len(check.row_counts)} 张表共 {sum(check.row_counts.values())} 行")
    else:
        print("未找到说明文件（.json），备份时间与行数未知")
    print(f"恢复到：{where}")


def _safety_copy(url: str) -> Path | None:
    """The current database, backed up before it is overwritten (a wrong file can be undone)."""
    try:
        info = backup(url, default_backup_path(url, label="-before-restore"))
    except BackupRefused as exc:
        print(f"恢复前未备份当前数据库：{exc.message}", file=sys.stderr)
        return None
    print(f"恢复前已把当前数据库备份到 {info.path}")
    return info.path


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return os.environ.get("USER", "") or str(os.getuid())


def _audit(url: str, action: str, path: Path, values: dict, note: str) -> None:
    """One audit entry by "system" in the database named by `url` (for a restore: the restored one).

    Inserted through the table as it is in that database: a restored older backup may lack
    columns the code's model has until `migrate` runs, and its trail must still get the entry.
    """
    from ..services import audit

    values = {"file": str(path.resolve()), "os_user": _os_user(), **values}
    engine = engine_for(url)
    with Session(engine) as session:
        entry = audit.record(session, actor=None, action=action, entity="database", entity_id=path.name[:64],
                             new=values, note=f"{note}（操作系统用户 {values['os_user']}）", username="system")
        session.expunge(entry)
        row = entry.model_dump(exclude={"id"})
        table = sa.Table("audit_entry", sa.MetaData(), autoload_with=session.connection())
        session.connection().execute(table.insert().values({k: v for k, v in row.items() if k in table.c}))
        session.commit()


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
