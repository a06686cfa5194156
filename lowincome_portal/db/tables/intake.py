"""Intake: applications (both tracks), their step history, public notices and objections.

An application's `state` and clocks are the current step; `application_event` keeps every
move with who, when and the comment, so the history is never overwritten. `version` rises
with every move: two people acting at once cannot both move the same step.
"""

from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from .types import timestamp


def long_text() -> str:
    return Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class PublicNotice(SQLModel, table=True):
    """One posting in a village: the 公示 of applications before decision, or the 公开 of results."""

    __tablename__ = "public_notice"

    id: int | None = Field(default=None, primary_key=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    track: str = Field(max_length=16)
    kind: str = Field(default="notice", max_length=16)  # notice | disclosure
    posted_on: date
    ends_on: date
    contact: str = Field(default="", max_length=100)
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()


class Application(SQLModel, table=True):
    __tablename__ = "application"

    id: int | None = Field(default=None, primary_key=True)
    tracking_no: str = Field(max_length=20, unique=True)
    track: str = Field(max_length=16, index=True)
    channel: str = Field(max_length=16)
    state: str = Field(max_length=24, index=True)
    state_entered_on: date
    due_on: date | None = Field(default=None, index=True)
    due_estimated: bool = Field(default=False)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    applicant_name: str = Field(max_length=50)
    applicant_id_number: str = Field(max_length=18, index=True)
    applicant_phone: str = Field(default="", max_length=30)
    address: str = Field(default="", max_length=200)
    difficulty: str = long_text()
    # the members as the applicant listed them (JSON), until the registry holds them
    members_json: str = long_text()
    consent: bool = Field(default=False)
    consent_at: datetime | None = timestamp(nullable=True, default_now=False)
    # a double click or a resent form carries the same key: one application
    submission_key: str | None = Field(default=None, max_length=64, unique=True)
    client_key: str = Field(default="", max_length=64, index=True)
    accepted_on: date | None = Field(default=None)
    # 近亲属备案: the applicant is a close relative of civil-affairs staff or village cadres
    staff_relative: bool = Field(default=False)
    staff_relative_note: str = Field(default="", max_length=200)
    # 绿色通道 / 先行救助: help first, paperwork afterwards
    green_channel: bool = Field(default=False)
    monitoring_type: str = Field(default="", max_length=16)
    decision: str = Field(default="", max_length=16)  # approved | refused
    decided_on: date | None = Field(default=None)
    decision_tags: str = Field(default="", max_length=120)  # space-delimited tag codes
    decision_reasons: str = long_text()
    notice_id: int | None = Field(default=None, foreign_key="public_notice.id")
    disclosure_id: int | None = Field(default=None, foreign_key="public_notice.id")
    # the burden figure: investigation fields taken from the registry versus typed by staff
    fields_prefilled: int = Field(default=0)
    fields_typed: int = Field(default=0)
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    version: int = Field(default=1)


class ApplicationEvent(SQLModel, table=True):
    """One step taken on an application (also the first: submitted / accepted)."""

    __tablename__ = "application_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    from_state: str = Field(default="", max_length=24)
    action: str = Field(max_length=32)
    to_state: str = Field(max_length=24)
    user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    actor_name: str = Field(default="", max_length=50)
    comment: str = long_text()
    on_day: date
    at: datetime = timestamp()


class Objection(SQLModel, table=True):
    """An objection raised during a notice: who, what, and how it was resolved."""

    __tablename__ = "objection"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    raised_on: date
    raised_by: str = Field(max_length=50)
    content: str = long_text()
    resolution: str = long_text()
    resolved_on: date | None = Field(default=None)
    resolved_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()
