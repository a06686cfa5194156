"""分类救助帮扶: needs, the referrals that carry them to a department or a partner's pool,
each referral's steps, and partners' in-app notifications.

A referral is claimed by one organisation only: the claim is a conditional UPDATE on the
pooled row (services/referrals.py), so two partners clicking at once cannot both win.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, Text
from sqlmodel import Field, SQLModel

from .types import timestamp


def long_text() -> str:
    return Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


def optional_money() -> Decimal | None:
    return Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))


class Need(SQLModel, table=True):
    """What a household lacks (缺啥补啥), recorded once from wherever it was found."""

    __tablename__ = "need"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    kind: str = Field(max_length=24, index=True)  # assistance kind (domain/referrals.py)
    description: str = long_text()
    amount: Decimal | None = optional_money()
    urgency: str = Field(default="normal", max_length=16)  # normal | urgent | critical
    source: str = Field(default="visit", max_length=16)  # investigation | warning | visit | meeting | other
    source_ref: str = Field(default="", max_length=60)
    status: str = Field(default="open", max_length=16, index=True)  # open | referred | met | closed
    recorded_on: date
    recorded_by: int | None = Field(default=None, foreign_key="portal_user.id")
    closed_reason: str = Field(default="", max_length=200)
    created_at: datetime = timestamp()


class Referral(SQLModel, table=True):
    __tablename__ = "referral"

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    kind: str = Field(max_length=24, index=True)
    period: date = Field(index=True)  # first day of the month the aid is for (不重)
    mode: str = Field(max_length=16)  # assigned | pool
    status: str = Field(max_length=16, index=True)  # assigned | pooled | claimed | in_service | completed
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    urgency: str = Field(default="normal", max_length=16)
    claim_due_on: date | None = Field(default=None)
    delivery_due_on: date | None = Field(default=None)
    claimed_on: date | None = Field(default=None)
    claimed_by: int | None = Field(default=None, foreign_key="portal_user.id")
    # 不重: a second referral of a kind for a household and period needs a coordinator's reason
    duplicate_justification: str = Field(default="", max_length=500)
    # 就高不就低: what the dispatcher was shown and chose
    higher_benefit_note: str = Field(default="", max_length=500)
    outcome: str = long_text()
    amount: Decimal | None = optional_money()
    delivered_on: date | None = Field(default=None)
    attachments: str = Field(default="", max_length=500)  # names of the documents the partner kept
    completed_on: date | None = Field(default=None)
    return_reason: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    version: int = Field(default=1)


class ReferralEvent(SQLModel, table=True):
    """One step of a referral: dispatched, claimed, started, completed, returned ..."""

    __tablename__ = "referral_event"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    action: str = Field(max_length=24)
    status: str = Field(max_length=16)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    actor_name: str = Field(default="", max_length=100)
    comment: str = long_text()
    on_day: date
    at: datetime = timestamp()


class Notification(SQLModel, table=True):
    """An in-app message for an organisation's users (a new pool item, a deadline)."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    text: str = Field(max_length=300)
    href: str = Field(default="", max_length=200)
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    created_at: datetime = timestamp()
    read_at: datetime | None = timestamp(nullable=True, default_now=False)
