"""The work list (我的待办) and the county's overdue-by-township view.

`my_work` answers "what must I do next, and what is late?" for one caseworker: the open
applications in their area whose current step has a move for one of their roles (the
track's transition table decides, domain/intake.py), and the household tags in their
area whose review (复核) or renewal falls due soon. `overdue_by_township` is the county's
view of the same clocks, one row per township, counted by grouped SQL.

Deadlines are working days on the PRC calendar (domain/working_days.py): "due soon" means
at most `due_soon_working_days` working days left, so a deadline just after the National
Day holiday is already close on the last working day before it. Both lists are read-only:
no audit entry. Rows come out as plain dicts with the Chinese badge texts filled in, so a
page only draws them.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, false, func, or_
from sqlmodel import Session, col, select

from .. import routes
from ..db.tables import Application, Area, Household, HouseholdTag
from ..domain import areas as area_rules
from ..domain import intake
from ..domain import registry as codes
from ..domain.errors import PermissionDenied
from ..domain.permissions import Actor, require
from ..domain.roles import COUNTY_AGRI, COUNTY_CIVIL, TOWNSHIP_STAFF
from ..domain.working_days import add_working_days, is_estimated, working_days_between
from .parameters import value_on
from .resources import area_labels, area_range

DEFAULT_LIMIT = 200

OVERDUE = "overdue"
DUE_SOON = "due_soon"

KIND_LABELS = {"application": "申请办理", "review": "复核"}
ESTIMATED_TEXT = "（估算）"
STAFF_RELATIVE_TEXT = "近亲属备案"
GREEN_CHANNEL_TEXT = "绿色通道"
DUE_SOON_TEXT = "即将到期"
OVERDUE_TEXT = "已超期 {days} 个工作日"
# Past the deadline, but only days off have gone by since (a deadline the Friday before a weekend).
OVERDUE_NO_WORKDAY_TEXT = "已超期"

# Who reviews which tag (复核): civil affairs' categories go to township staff and county civil
# affairs; monitoring objects to township staff and county agriculture. Village staff visit,
# but the review is not theirs to decide.
REVIEWERS: dict[str, tuple[str, ...]] = {
    codes.DIBAO: (TOWNSHIP_STAFF, COUNTY_CIVIL),
    codes.TEKUN: (TOWNSHIP_STAFF, COUNTY_CIVIL),
    codes.DIBAO_EDGE: (TOWNSHIP_STAFF, COUNTY_CIVIL),
    codes.RIGID_HARDSHIP: (TOWNSHIP_STAFF, COUNTY_CIVIL),
    codes.MONITORING: (TOWNSHIP_STAFF, COUNTY_AGRI),
}
# What the review asks for. 低保 is reviewed yearly, or half-yearly where income is unstable;
# the tag does not record which, so the text does not claim one.
REVIEW_TEXTS = {
    codes.DIBAO: "低保定期复核",
    codes.TEKUN: "特困供养年度复核",
    codes.DIBAO_EDGE: "低保边缘家庭定期复核",
    codes.RIGID_HARDSHIP: "刚性支出困难认定将于 {due} 到期，需续期或终止",
    codes.MONITORING: "防返贫监测对象定期核查（风险是否消除）",
}


@dataclass
class WorkList:
    """At most `limit` items, earliest deadline first, and counts over all of the user's work."""

    items: list[dict] = field(default_factory=list)
    total: int = 0
    overdue: int = 0
    due_soon: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)


# ---- clocks -------------------------------------------------------------------------

def due_soon_until(session: Session, today: date) -> date:
    """The last day whose deadline counts as "due soon": the day before the (N+1)-th working
    day after today, so every day up to it has at most N working days left."""
    n = int(value_on(session, "due_soon_working_days", today))
    return add_working_days(today, n + 1) - timedelta(days=1)


def clock(today: date, due_on: date | None, soon_until: date, estimated: bool = False) -> dict:
    """The mark and texts for a deadline: overdue / due_soon / "" and the working days left
    (negative once overdue)."""
    if due_on is None:
        return {"due_on": "", "working_days_left": None, "overdue_working_days": 0, "mark": "",
                "mark_text": "", "estimated": False, "estimated_text": ""}
    left = working_days_between(today, due_on)
    late = max(0, -left)
    if today > due_on:
        mark, text = OVERDUE, OVERDUE_TEXT.format(days=late) if late else OVERDUE_NO_WORKDAY_TEXT
    elif due_on <= soon_until:
        mark, text = DUE_SOON, DUE_SOON_TEXT
    else:
        mark, text = "", ""
    # The count of days left is an estimate too when today..due_on leaves the known calendar.
    estimated = estimated or is_estimated(today, due_on)
    return {"due_on": due_on.isoformat(), "working_days_left": left, "overdue_working_days": late,
            "mark": mark, "mark_text": text, "estimated": estimated,
            "estimated_text": ESTIMATED_TEXT if estimated else ""}


def _marks(due_column, today: date, soon_until: date):
    """SQL sums of overdue and due-soon rows, matching `clock`."""
    overdue = func.coalesce(func.sum(case((due_column < today, 1), else_=0)), 0)
    soon = func.coalesce(func.sum(case((and_(due_column >= today, due_column <= soon_until), 1), else_=0)), 0)
    return overdue, soon


# ---- where -----------------------------------------------------------------------------

def _in_area(column, code: str) -> ColumnElement:
    low, high = area_range(code)
    return and_(column >= low, column <= high)


def _actor_area(actor: Actor) -> str:
    if not actor.area_code:
        raise PermissionDenied()
    return actor.area_code


def _open_steps(roles: frozenset[str] | None = None) -> ColumnElement:
    """Open applications - and, given roles, only steps where one of them has a move."""
    clauses = []
    for code, track in intake.TRACKS.items():
        states = [s for s in track.steps if intake.is_open(code, s)
                  and (roles is None or roles & intake.roles_acting_on(code, s))]
        if states:
            clauses.append(and_(Application.track == code, col(Application.state).in_(states)))
    return or_(*clauses) if clauses else false()


def _review_filter(actor: Actor, area: str, lead_until: date) -> ColumnElement | None:
    tags = [t for t, roles in REVIEWERS.items() if actor.roles.intersection(roles)]
    if not tags:
        return None
    return and_(col(HouseholdTag.end_date).is_(None), col(HouseholdTag.review_due_on).is_not(None),
                HouseholdTag.review_due_on <= lead_until, col(HouseholdTag.tag).in_(tags),
                Household.status == "active", _in_area(Household.area_code, area))


# ---- the work list ---------------------------------------------------------------------

def _application_item(row, today: date, soon_until: date, places: dict[str, str]) -> dict:
    track_label = intake.TRACK_LABELS.get(row.track, row.track)
    step = intake.state_label(row.track, row.state)
    return {
        "key": f"application-{row.id}", "kind": "application", "kind_label": KIND_LABELS["application"],
        "id": row.id, "tracking_no": row.tracking_no, "track": track_label, "step": step,
        "name": row.applicant_name, "applicant_name": row.applicant_name, "head_name": "",
        "household_id": row.household_id, "tag": "", "tag_label": "",
        "place": places.get(row.area_code, row.area_code), "text": f"{track_label}：{step}",
        "staff_relative": bool(row.staff_relative), "staff_relative_note": row.staff_relative_note or "",
        "green_channel": bool(row.green_channel),
        # routes.py has no application builder yet (the intake pages add it)
        "href": routes.application(row.id),
        **clock(today, row.due_on, soon_until, bool(row.due_estimated)),
    }


def _review_item(row, today: date, soon_until: date, places: dict[str, str]) -> dict:
    label = codes.TAG_LABELS.get(row.tag, row.tag)
    return {
        "key": f"review-{row.id}", "kind": "review", "kind_label": KIND_LABELS["review"],
        "id": row.id, "tracking_no": "", "track": label, "step": KIND_LABELS["review"],
        "name": row.head_name, "applicant_name": "", "head_name": row.head_name,
        "household_id": row.household_id, "tag": row.tag, "tag_label": label,
        "place": places.get(row.area_code, row.area_code),
        "text": REVIEW_TEXTS.get(row.tag, f"{label}复核").format(due=row.review_due_on.isoformat()),
        "staff_relative": False, "staff_relative_note": "", "green_channel": False,
        "href": routes.household(row.household_id),
        **clock(today, row.review_due_on, soon_until),
    }


def _sort_key(item: dict) -> tuple:
    # Earliest deadline first (so the longest overdue lead); none last; cases before reviews on a tie.
    return (item["due_on"] == "", item["due_on"], item["kind"] != "application", item["id"])


def my_work(session: Session, *, actor: Actor, today: date, limit: int = DEFAULT_LIMIT) -> WorkList:
    """The actor's to-do list: open applications in their area at a step where one of their
    roles has a move, and tag reviews falling due within `review_lead_days` (calendar days).

    Returns the `limit` earliest-due items and counts (total, overdue, due soon) over all.
    Changes nothing. Who: worklist.view (caseworkers), inside the actor's area.
    """
    require(actor, "worklist.view")
    area = _actor_area(actor)
    soon_until = due_soon_until(session, today)
    overdue_sql, soon_sql = _marks(Application.due_on, today, soon_until)

    cases = and_(_in_area(Application.area_code, area), _open_steps(actor.roles))
    total, overdue, soon = session.exec(
        select(func.count(), overdue_sql, soon_sql).select_from(Application).where(cases)).one()
    app_rows = session.exec(
        select(Application.id, Application.tracking_no, Application.track, Application.state,
               Application.applicant_name, Application.area_code, Application.household_id,
               Application.due_on, Application.due_estimated, Application.staff_relative,
               Application.staff_relative_note, Application.green_channel)
        .where(cases)
        .order_by(col(Application.due_on).is_(None), Application.due_on, Application.id)
        .limit(limit)).all()

    review_rows = []
    lead_until = today + timedelta(days=int(value_on(session, "review_lead_days", today)))
    reviews = _review_filter(actor, area, lead_until)
    if reviews is not None:
        overdue_sql, soon_sql = _marks(HouseholdTag.review_due_on, today, soon_until)
        count, late, near = session.exec(
            select(func.count(), overdue_sql, soon_sql).select_from(HouseholdTag)
            .join(Household, col(Household.id) == HouseholdTag.household_id).where(reviews)).one()
        total, overdue, soon = total + count, overdue + late, soon + near
        review_rows = session.exec(
            select(HouseholdTag.id, HouseholdTag.tag, HouseholdTag.household_id, HouseholdTag.review_due_on,
                   Household.head_name, Household.area_code)
            .join(Household, col(Household.id) == HouseholdTag.household_id).where(reviews)
            .order_by(HouseholdTag.review_due_on, HouseholdTag.id)
            .limit(limit)).all()

    places = area_labels(session, {r.area_code for r in (*app_rows, *review_rows)})
    items = ([_application_item(r, today, soon_until, places) for r in app_rows]
             + [_review_item(r, today, soon_until, places) for r in review_rows])
    items.sort(key=_sort_key)
    return WorkList(items=items[:limit], total=int(total), overdue=int(overdue), due_soon=int(soon))


# ---- the county's view -------------------------------------------------------------------

def _as_date(value) -> date | None:
    # SQLite hands MIN() over a CASE back as text on some versions.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _late_text(days: int, oldest: date | None) -> str:
    if oldest is None:
        return ""
    return f"{days} 个工作日" if days else "不足 1 个工作日"


def overdue_by_township(session: Session, *, actor: Actor, today: date, track: str | None = None) -> list[dict]:
    """One row per township of the actor's county: open applications (of `track`, or both),
    how many are due soon, how many overdue, and the longest overdue in working days.
    Townships with overdue cases first, the worst leading; then those with work due soon.
    Counted by one grouped query.
    Changes nothing. Who: intake.overview (county civil affairs, agriculture, leaders).
    """
    require(actor, "intake.overview")
    county = _actor_area(actor)[:6] + "000000"
    soon_until = due_soon_until(session, today)
    township = func.substr(Application.area_code, 1, 9)
    overdue_sql, soon_sql = _marks(Application.due_on, today, soon_until)
    oldest_late = func.min(case((Application.due_on < today, Application.due_on), else_=None))
    where = [_in_area(Application.area_code, county), _open_steps()]
    if track is not None:
        where.append(Application.track == intake.track(track).code)
    counts = {prefix: (n, late, near, _as_date(oldest)) for prefix, n, late, near, oldest in session.exec(
        select(township, func.count(), overdue_sql, soon_sql, oldest_late).where(*where).group_by(township)).all()}
    townships = session.exec(select(Area.code, Area.name).where(
        Area.level == area_rules.TOWNSHIP, _in_area(Area.code, county)).order_by(Area.code)).all()
    rows = []
    for code, name in townships:
        n, late, near, oldest = counts.get(code[:9], (0, 0, 0, None))
        longest = working_days_between(oldest, today) if oldest else 0
        rows.append({"code": code, "township": name, "open": int(n), "due_soon": int(near),
                     "overdue": int(late), "longest_overdue_days": longest,
                     "longest_overdue_text": _late_text(longest, oldest)})
    rows.sort(key=lambda r: (r["overdue"] == 0, -r["longest_overdue_days"], -r["overdue"], -r["due_soon"],
                             -r["open"], r["code"]))
    return rows
