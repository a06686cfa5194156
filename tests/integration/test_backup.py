"""Backup and restore (ops/backup.py, `lowincome-portal backup|restore`) on SQLite and PostgreSQL:
a round trip gives back every row of every table as it was at the backup, the portal works on
the restored database, and a restore that must not happen changes nothing."""

import json
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from contextlib import closing
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, delete, select

from lowincome_portal.cli import main as cli
from lowincome_portal.db import migrations
from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import AuditEntry, Household, Visit
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD, seed_demo
from lowincome_portal.ops import BackupRefused, commands, pg_tools
from lowincome_portal.ops.backup import backup, kind_of, restore, sidecar_of
from lowincome_portal.services import auth, households
from lowincome_portal.services import resources as listing
from lowincome_portal.services.audit_seal import verify
from tests.idnumbers import make_id

FENGHUANG = "500231100200"  # 新民镇凤凰村


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()


@pytest.fixture
def db_url(db_url):
    """The conftest database, skipped on PostgreSQL when its client tools are not installed."""
    if kind_of(db_url) == "postgresql" and not all(shutil.which(t) for t in ("pg_dump", "pg_restore", "psql")):
        pytest.skip("pg_dump/pg_restore/psql not installed (apt-get install postgresql-client)")
    return db_url


@pytest.fixture
def demo(engine):
    """The demo county with its households, applications, meetings, referrals and warnings."""
    with unit_of_work(engine) as s:
        seed_demo(s)
    return engine


def contents(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    out = {}
    with engine.connect() as c:
        tables = sa.MetaData()
        tables.reflect(bind=c)
        for name, table in sorted(tables.tables.items()):
            order = list(table.primary_key.columns) or list(table.columns)
            out[name] = [tuple(row) for row in c.execute(sa.select(table).order_by(*order))]
    return out


def new_household(engine, actor, seq: int, name: str = "周新") -> int:
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor, household={"area_code": FENGHUANG, "address": "凤凰村5组8号"},
            head={"id_number": make_id(birth=date(1988, 4, 2), seq=seq), "name": name, "employment": "farming"})


def change_everything(engine, actor_of) -> int:
    """After a backup: add a household, change one, delete a visit, write audit entries."""
    xinmin = actor_of("xinmin")
    added = new_household(engine, xinmin, seq=901)
    with unit_of_work(engine) as s:
        first = s.exec(select(Household).where(Household.area_code == FENGHUANG).order_by(Household.id)).first()
        households.update_household(s, actor=xinmin, household_id=first.id, changes={"address": "凤凰村9组1号（新址）"})
        s.exec(delete(Visit).where(Visit.id == s.exec(select(Visit.id).order_by(Visit.id)).first()))
        assert auth.login(s, "fenghuang", DEMO_PASSWORD).actor is not None
        assert auth.login(s, "fenghuang", "wrong-password").actor is None
    return added


def xinmin_households(engine) -> listing.ListPage:
    """Sign in as 新民镇 staff and list their households, as the registry page does."""
    with unit_of_work(engine) as s:
        signed_in = auth.login(s, "xinmin", DEMO_PASSWORD)
        assert signed_in.actor is not None, signed_in.message
        return listing.list_page(s, actor=signed_in.actor, name="households",
                                 query=listing.ListQuery(page_size=100))


# ---- the round trip ------------------------------------------------------------------------

def test_round_trip_gives_back_every_row_and_the_portal_works(db_url, demo, actor_of, tmp_path):
    listed_before = xinmin_households(demo)
    before = contents(demo)
    assert len(before["household"]) >= 15 and before["audit_entry"]

    info = backup(db_url, tmp_path / "portal.backup")
    assert info.row_counts == {name: len(rows) for name, rows in before.items()}
    side = json.loads(sidecar_of(info.path).read_text("utf-8"))
    assert (side["revision"], side["kind"], side["row_counts"], side["sha256"]) == \
        (_head(), kind_of(db_url), info.row_counts, info.sha256)

    added = change_everything(demo, actor_of)
    changed = contents(demo)
    for name in ("household", "member", "visit", "audit_entry", "user_session", "portal_user"):
        assert changed[name] != before[name], name

    done = restore(db_url, info.path)
    assert contents(demo) == before
    assert done.row_counts == info.row_counts and not done.needs_migration

    page = xinmin_households(demo)
    assert page.total == listed_before.total and page.rows == listed_before.rows
    with Session(demo) as s:
        assert s.get(Household, added) is None
    # the sequences came back too: new rows get fresh ids, and the trail's seals still verify
    again = new_household(demo, actor_of("xinmin"), seq=902, name="吴再")
    assert again > max(row[0] for row in before["household"])
    with Session(demo) as s:
        report = verify(s)
        assert report.intact and report.checked == len(s.exec(select(AuditEntry.id)).all())


def test_restoring_an_older_backup_leaves_the_migration_to_the_operator(empty_db_url, tmp_path):
    if kind_of(empty_db_url) == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    migrations.upgrade(empty_db_url, "0006")  # before the monitoring tables, which reference households
    engine = engine_for(empty_db_url)
    at_0006 = contents(engine)
    info = backup(empty_db_url, tmp_path / "old.backup")
    migrations.upgrade(empty_db_url)
    with unit_of_work(engine) as s:
        seed_demo(s, households=False)

    done = restore(empty_db_url, info.path)
    assert (done.revision, done.needs_migration, done.code_revision) == ("0006", True, _head())
    assert contents(engine) == at_0006  # the later tables are gone, not left to block `migrate`
    migrations.upgrade(empty_db_url)
    assert migrations.pending_differences(engine) == []
    with unit_of_work(engine) as s:
        seed_demo(s, households=False)


# ---- SQLite: a backup while the portal writes ----------------------------------------------

@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    migrations.upgrade(url)
    with unit_of_work(engine_for(url)) as s:
        seed_demo(s, households=False)
    return url


def test_sqlite_backup_beside_an_open_write_transaction_is_consistent(sqlite_url, tmp_path):
    engine = engine_for(sqlite_url)
    before = contents(engine)
    writer = sqlite3.connect(tmp_path / "live.db", isolation_level=None, timeout=1)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock, changes not committed
        writer.execute("UPDATE area SET name = name || '（未提交）'")
        writer.execute("DELETE FROM user_role")
        started = time.monotonic()
        info = backup(sqlite_url, tmp_path / "during.sqlite")
        assert time.monotonic() - started < 10  # not blocked by the writer
        copy = sa.create_engine(f"sqlite:///{info.path}", poolclass=sa.pool.NullPool)  # no WAL pragma
        assert contents(copy) == before
        writer.execute("COMMIT")
    finally:
        writer.close()
    with closing(sqlite3.connect(info.path)) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert c.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    assert contents(engine) != before
    restore(sqlite_url, info.path)
    assert contents(engine) == before


def test_sqlite_backups_taken_while_a_writer_commits_are_whole_transactions(sqlite_url, tmp_path):
    """Each write adds two audit rows in one transaction: a copy holding half of one is torn."""
    live = tmp_path / "live.db"
    with closing(sqlite3.connect(live)) as c:
        start = c.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
    stop, failures = threading.Event(), []

    def write() -> None:
        try:
            _write_pairs(live, stop)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        copies = [backup(sqlite_url, tmp_path / f"copy{n}.sqlite") for n in range(5)]
    finally:
        stop.set()
        thread.join()
    assert not failures
    for info in copies:
        added = info.row_counts["audit_entry"] - start
        assert added % 2 == 0, f"{info.path.name} holds half a transaction"
        with closing(sqlite3.connect(info.path)) as c:
            assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _write_pairs(live, stop) -> None:
    with closing(sqlite3.connect(live, isolation_level=None, timeout=10)) as c:
        for i in range(2000):
            if stop.is_set():
                return
            c.execute("BEGIN IMMEDIATE")
            for half in ("a", "b"):
                c.execute("INSERT INTO audit_entry (at, username, action, entity, entity_id, old_values, "
                          "new_values, note, seal) VALUES (datetime('now'), 'system', 'update', 'area', ?, "
                          "'', '', '', '')", (f"{i}{half}",))
            c.execute("COMMIT")


# ---- refusals change nothing ----------------------------------------------------------------

def _foreign_backup(db_url, tmp_path):
    """A real database of the same kind that is not the portal's (no alembic_version)."""
    if kind_of(db_url) == "sqlite":
        path = tmp_path / "other.sqlite"
        with closing(sqlite3.connect(path)) as c:
            c.execute("CREATE TABLE household (id INTEGER PRIMARY KEY, name TEXT)")
            c.execute("INSERT INTO household VALUES (1, '别的系统')")
            c.commit()
        return path
    schema = f"o_{uuid.uuid4().hex[:10]}"
    path = tmp_path / "other.dump"
    with engine_for(db_url).begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".household (id int primary key)'))
    try:
        subprocess.run(["pg_dump", "--format=custom", f"--schema={schema}", f"--file={path}"],
                       env=pg_tools.libpq_env(db_url), check=True)
    finally:
        with engine_for(db_url).begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    return path


def _damaged_copy(info, tmp_path):
    """The backup cut short and scribbled over, without its sidecar (so only the file itself tells)."""
    data = bytearray(info.path.read_bytes())
    cut = data[: len(data) * 2 // 3]
    middle = len(cut) // 2
    cut[middle:middle + 8192] = b"\x5a" * 8192
    path = tmp_path / f"damaged{info.path.suffix}"
    path.write_bytes(bytes(cut))
    return path


def test_refused_restores_change_nothing(db_url, demo, actor_of, tmp_path):
    info = backup(db_url, tmp_path / f"good{'.sqlite' if kind_of(db_url) == 'sqlite' else '.dump'}")
    change_everything(demo, actor_of)
    now = contents(demo)

    text = tmp_path / "notes.txt"
    text.write_text("这不是备份\n", encoding="utf-8")
    other_kind = tmp_path / "other_kind.bin"
    other_kind.write_bytes(b"PGDMP\x01\x0e\x00" if kind_of(db_url) == "sqlite" else b"SQLite format 3\x00" + bytes(100))
    scribbled = tmp_path / f"scribbled{info.path.suffix}"
    scribbled.write_bytes(info.path.read_bytes()[:-100] + b"\x00" * 100)
    shutil.copy(sidecar_of(info.path), sidecar_of(scribbled))  # the sidecar's checksum no longer matches
    cases = [
        (tmp_path / "missing.sqlite", "不存在"),
        (text, "不是本平台的备份"),
        (other_kind, "不能直接恢复"),
        (_foreign_backup(db_url, tmp_path), "不是本平台的数据库备份"),
        (_damaged_copy(info, tmp_path), "已损坏"),
        (scribbled, "校验值不一致"),
    ]
    for path, message in cases:
        with pytest.raises(BackupRefused) as refused:
            restore(db_url, path)
        assert message in refused.value.message, (path.name, refused.value.message)
        assert "未做任何修改" in refused.value.message or "不存在" in message
        assert contents(demo) == now, path.name


def test_a_backup_from_a_newer_portal_is_refused(db_url, demo, tmp_path):
    with engine_for(db_url).begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    future = backup(db_url, tmp_path / "future.backup")
    with engine_for(db_url).begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": _head()})
    new_household(demo, _actor(demo, "xinmin"), seq=903)
    now = contents(demo)
    with pytest.raises(BackupRefused) as refused:
        restore(db_url, future.path)
    assert "更新版本" in refused.value.message and "9999" in refused.value.message
    assert contents(demo) == now


def _actor(engine, username):
    from lowincome_portal.db.tables import User

    with Session(engine) as s:
        return auth.actor_for(s, s.exec(select(User).where(User.username == username)).one())


# (SQLite needs no such test: its backup API writes the live file in one transaction by itself)
@pytest.mark.postgres
@pytest.mark.parametrize("empty_db_url", ["postgres"], indirect=True)
def test_postgres_restore_that_fails_half_way_rolls_back(db_url, demo, tmp_path):
    info = backup(db_url, tmp_path / "good.dump")
    new_household(demo, _actor(demo, "xinmin"), seq=904)
    # someone's view on the household table: dropping the table fails after other tables went
    with engine_for(db_url).begin() as c:
        c.execute(sa.text("CREATE VIEW household_names AS SELECT id, head_name FROM household"))
    now = contents(demo)
    with pytest.raises(BackupRefused) as refused:
        restore(db_url, info.path)
    assert "已全部回滚" in refused.value.message
    assert contents(demo) == now


# ---- the command line ----------------------------------------------------------------------

def test_cli_backup_and_restore_end_to_end(db_url, demo, actor_of, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(commands, "BACKUP_DIR", tmp_path / "backups")
    assert cli(["backup"]) == 0
    made = [p for p in (tmp_path / "backups").iterdir() if not p.name.endswith(".json")]
    assert len(made) == 1 and re.fullmatch(r"portal-\d{8}-\d{6}\.(sqlite|dump)", made[0].name)
    file = made[0]
    assert "已备份到" in capsys.readouterr().out
    with Session(demo) as s:
        entry = s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    recorded = json.loads(entry.new_values)
    assert (entry.action, entry.entity, entry.entity_id, entry.username) == ("backup", "database", file.name, "system")
    assert recorded["file"] == str(file.resolve()) and recorded["row_counts"]["household"] >= 15
    assert cli(["backup", "--out", str(file)]) == 2 and "已存在" in capsys.readouterr().err

    at_backup = contents(demo)  # the backup holds everything but its own audit entry
    at_backup["audit_entry"] = [row for row in at_backup["audit_entry"] if row[0] != entry.id]
    added = change_everything(demo, actor_of)

    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert cli(["restore", str(file)]) == 1
    assert "已取消" in capsys.readouterr().out
    with Session(demo) as s:
        assert s.get(Household, added) is not None

    assert cli(["restore", str(file), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "已从" in out and "恢复前已把当前数据库备份到" in out and "migrate" not in out
    restored = contents(demo)
    trail = restored.pop("audit_entry")
    assert restored == {k: v for k, v in at_backup.items() if k != "audit_entry"}
    assert trail[:-1] == at_backup["audit_entry"]  # plus one entry: the restore itself
    with Session(demo) as s:
        last = s.get(AuditEntry, trail[-1][0])
        assert s.get(Household, added) is None
        assert verify(s).intact
    assert (last.action, last.entity, last.entity_id, last.username) == ("restore", "database", file.name, "system")
    assert "操作系统用户" in last.note and json.loads(last.new_values)["total_rows"] > 0

    # the copy taken before the restore still holds what the restore replaced
    safety = [p for p in (tmp_path / "backups").iterdir() if "before-restore" in p.name and p.suffix != ".json"]
    assert len(safety) == 1
    assert cli(["restore", str(safety[0]), "--yes"]) == 0
    with Session(demo) as s:
        assert s.get(Household, added) is not None

    assert cli(["restore", str(tmp_path / "nope.dump"), "--yes"]) == 2
    assert "不存在" in capsys.readouterr().err


def test_postgres_tools_get_the_url_through_libpq_environment_never_argv(monkeypatch, tmp_path):
    url = ("postgresql+psycopg://portal:s3cret%40pw@db.example.internal:6543/county"
           "?options=-csearch_path%3Dportal&sslmode=require")
    env = pg_tools.libpq_env(url, base={"PATH": "/usr/bin"})
    assert {k: env[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE")} == {
        "PGHOST": "db.example.internal", "PGPORT": "6543", "PGUSER": "portal", "PGPASSWORD": "s3cret@pw",
        "PGDATABASE": "county", "PGSSLMODE": "require"}
    seen = []
    monkeypatch.setattr(pg_tools, "_tool", lambda name: name)
    monkeypatch.setattr(pg_tools.subprocess, "run", lambda argv, **kw: seen.append((argv, kw["env"]))
                        or subprocess.CompletedProcess(argv, 0, "", ""))
    pg_tools.dump(url, tmp_path / "x.dump", schema="portal", snapshot="00000003-1")
    argv, passed = seen[0]
    assert "--schema=portal" in argv and not any("s3cret" in a or "example" in a for a in argv)
    assert passed["PGPASSWORD"] == "s3cret@pw"
