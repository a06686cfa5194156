"""The monthly joint meeting (困难群众联席会议): meetings, who attended, the agenda with each
item's minutes and decision, the action items decisions create, and cases staff flag as hard.

An action item stays open across months until it is done: the next meeting's agenda reads it.
"""

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .types import timestamp


def long_text() -> str:
    return Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    # one meeting per township (or the county) per month
    __table_args__ = (UniqueConstraint("area_code", "month", name="uq_meeting_area_month"),)

    id: int | None = Field(default=None, primary_key=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    month: date = Field(index=True)  # first day of the month the meeting is for
    planned_on: date
    held_on: date | None = Field(default=None)
    place: str = Field(default="", max_length=100)
    chair_name: str = Field(default="", max_length=50)
    status: str = Field(default="planned", max_length=16, index=True)  # planned | held | approved
    approved_on: date | None = Field(default=None)
    approved_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()
    version: int = Field(default=1)


class MeetingAttendee(SQLModel, table=True):
    """A user or a member unit invited to the meeting, and whether they signed in."""

    __tablename__ = "meeting_attendee"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    name: str = Field(max_length=100)
    signed_in: bool = Field(default=False)


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int = Field(default=0)
    kind: str = Field(max_length=24)  # application | overdue | hard_case | follow_up | other
    title: str = Field(max_length=200)
    detail: str = long_text()
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    # the earlier action item this item follows up (no foreign key: action_item already
    # refers to agenda_item, and PostgreSQL cannot create two tables that refer to each other)
    action_item_id: int | None = Field(default=None, index=True)
    hard_case_id: int | None = Field(default=None, foreign_key="hard_case.id")
    dropped: bool = Field(default=False)
    discussion: str = long_text()
    decision: str = Field(default="", max_length=16)  # approve | refuse | refer | assign | defer
    responsible_org_id: int | None = Field(default=None, foreign_key="organisation.id")
    responsible_user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    deadline: date | None = Field(default=None)


class ActionItem(SQLModel, table=True):
    """What a decision asks someone to do by a deadline; open until marked done."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    title: str = Field(max_length=200)
    decision: str = Field(max_length=16)
    responsible_org_id: int | None = Field(default=None, foreign_key="organisation.id")
    responsible_user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    deadline: date
    status: str = Field(default="open", max_length=16, index=True)  # open | done
    done_on: date | None = Field(default=None)
    done_note: str = Field(default="", max_length=500)
    created_at: datetime = timestamp()


class HardCase(SQLModel, table=True):
    """A household staff ask the joint meeting to study (疑难个案), until a meeting takes it up."""

    __tablename__ = "hard_case"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    note: str = Field(max_length=500)
    raised_on: date
    raised_by: int | None = Field(default=None, foreign_key="portal_user.id")
    taken_up_on: date | None = Field(default=None)
    created_at: datetime = timestamp()
