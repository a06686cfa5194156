"""What time alone changes: a 刚性支出困难 recognition lapses 12 months after its decision
unless a new decision renewed it (DOMAIN.md). Reviews of other tags only appear on work
lists (services/worklist.py); this ends what must end.

Run by the backend once an hour (lowincome_portal.py) and by `lowincome-portal daily`;
running it twice ends nothing twice.
"""

from datetime import date

from sqlmodel import Session, col, select

from ..db.tables import Household, HouseholdTag
from ..domain import registry as codes
from . import audit
from .households import refresh_summary

LAPSE_REASON = "认定期满未续期，自动终止"
# Tags whose review date is an end date, not a reminder.
LAPSING_TAGS = (codes.RIGID_HARDSHIP,)


def end_lapsed_recognitions(session: Session, *, today: date) -> int:
    """End every lapsing tag whose date has come; returns how many ended."""
    due = session.exec(select(HouseholdTag).where(
        col(HouseholdTag.tag).in_(LAPSING_TAGS), col(HouseholdTag.end_date).is_(None),
        col(HouseholdTag.review_due_on).is_not(None), col(HouseholdTag.review_due_on) <= today)
        .with_for_update()).all()
    for tag in due:
        tag.end_date, tag.end_reason = tag.review_due_on, LAPSE_REASON
        session.add(tag)
        refresh_summary(session, session.get(Household, tag.household_id))
        audit.record(session, actor=None, action="update", entity="household_tag", entity_id=tag.id,
                     username="system", old={"end_date": None},
                     new={"end_date": tag.end_date, "end_reason": LAPSE_REASON})
    return len(due)
