"""The township and village pickers of the application forms.

The names and codes of the county's townships and villages are public (they are printed on
every notice board), so listing them needs no sign-in: the online application page calls
these with no actor. The station form passes the clerk's area as `within`, so a township
clerk picks only villages of their own township; the service that saves the application
checks the area again.
"""

from sqlmodel import Session, col, select

from ..db.tables import Area
from ..domain.areas import TOWNSHIP, VILLAGE, contains, is_valid_code


def _options(rows) -> list[dict[str, str]]:
    return [{"value": code, "label": name} for code, name in rows]


def townships(session: Session, *, within: str | None = None) -> list[dict[str, str]]:
    """[{"value": township code, "label": name}] in code order. With `within` (an area code),
    only the townships that lie inside it or hold it (a village clerk sees their township)."""
    rows = session.exec(select(Area.code, Area.name).where(Area.level == TOWNSHIP).order_by(col(Area.code))).all()
    if within:
        rows = [(c, n) for c, n in rows if contains(within, c) or contains(c, within)]
    return _options(rows)


def villages(session: Session, *, township_code: str, within: str | None = None) -> list[dict[str, str]]:
    """[{"value": village code, "label": name}] of one township in code order ([] for a code
    that is not a township); with `within`, only the villages inside that area."""
    code = (township_code or "").strip()
    if not is_valid_code(code):
        return []
    rows = session.exec(select(Area.code, Area.name).where(
        Area.parent_code == code, Area.level == VILLAGE).order_by(col(Area.code))).all()
    if within:
        rows = [(c, n) for c, n in rows if contains(within, c)]
    return _options(rows)
