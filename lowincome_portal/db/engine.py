"""The database engine: SQLite file by default, PostgreSQL when DATABASE_URL says so."""

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from ..domain.errors import ValidationError

MSG_NUL = "输入内容含有无效的空字符，请删除后重试"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE = PROJECT_ROOT / "data" / "portal.db"


def database_url() -> str:
    """DATABASE_URL from the environment, else the embedded SQLite file under data/."""
    url = os.environ.get("DATABASE_URL") or os.environ.get("REFLEX_DB_URL")
    if url:
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _refuse_nul_text)
    return engine


def get_engine() -> Engine:
    return engine_for(database_url())


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets page reads run beside a write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _refuse_nul_text(_conn, _cursor, _statement, parameters, _context, _executemany) -> None:
    """A NUL character in any text sent to the database is refused with a Chinese message.

    PostgreSQL cannot store one (psycopg raises DataError, a crash for the user), and SQLite
    cuts LIKE patterns at it, so a search for "\\0" matched every row. Checked here, once,
    rather than in each form and search box: a pasted or crafted NUL reaches no table and
    no query on either database."""
    # One row (a tuple or dict), or a list of them for executemany; a batch of
    # "insertmanyvalues" arrives as one row even when `executemany` is set.
    for row in parameters if isinstance(parameters, list) else (parameters,):
        values = row.values() if isinstance(row, dict) else row if isinstance(row, (tuple, list)) else (row,)
        for value in values:
            if type(value) is str and "\x00" in value:
                raise ValidationError(MSG_NUL)
