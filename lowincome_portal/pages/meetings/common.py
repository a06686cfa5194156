"""What the meeting pages share: turning service dicts into the strings the browser shows,
the value of a month input, and the Excel of action items."""

from datetime import date

from ...db.uow import unit_of_work
from ...services import meeting_papers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def texts(d: dict | None) -> dict[str, str]:
    """A flat dict of strings for the browser: None becomes "", booleans "1"/"" (so a page
    can test `row["flag"] == "1"`), nested lists and dicts are left out."""
    out = {}
    for key, value in (d or {}).items():
        if isinstance(value, (dict, list, tuple, set)):
            continue
        if isinstance(value, bool):
            out[key] = "1" if value else ""
        else:
            out[key] = "" if value is None else str(value)
    return out


def month_value(day: date) -> str:
    """The value of an <input type="month">: "2026-11" (the services read it as a month)."""
    return f"{day.year:04d}-{day.month:02d}"


def form_text(form_data: dict, name: str) -> str:
    """One named input of a submitted form, as text (the services check and trim it)."""
    value = form_data.get(name)
    return "" if value is None else str(value)


def actions_workbook(actor, today: date, area_code: str | None = None) -> tuple[str, bytes]:
    """(filename, xlsx) of the action items of the user's area; the service checks the area
    and writes the export audit entry in this unit of work."""
    with unit_of_work() as session:
        return meeting_papers.actions_document(session, actor=actor, area_code=area_code, today=today)
