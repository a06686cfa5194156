"""Reading a large result set into a DataFrame quickly.

For hundreds of thousands of rows SQLAlchemy's Row objects and per-value type conversion cost
seconds that plain DBAPI tuples and one vectorised conversion afterwards do not. The query is
still SQLAlchemy's; it is compiled with literal constants, so callers pass only values the
service chose (dates, codes, numbers), never user text.
"""

import pandas as pd
from sqlmodel import Session


def read_frame(session: Session, query, columns: list[str]) -> pd.DataFrame:
    """The rows of `query` as a DataFrame with `columns`, read through the raw DBAPI cursor of
    the session's connection, so inside its transaction (pending changes are flushed first)."""
    session.flush()
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
