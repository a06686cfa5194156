"""The unified registry: households, their members, economic status, tags and visits.

Household keeps a few denormalised columns (head's name and ID, member count, current
tags) that the registry service maintains in the same transaction as the change, so the
50,000-household list pages and filters without joins.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, Text, text
from sqlmodel import Field, SQLModel

from .types import timestamp


def money(default: str = "0") -> Decimal:
    return Field(default=Decimal(default), sa_column=Column(Numeric(14, 2), nullable=False,
                                                            server_default=default))


class Household(SQLModel, table=True):
    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=30)
    bank_name: str = Field(default="", max_length=60)
    bank_account: str = Field(default="", max_length=40)
    status: str = Field(default="active", max_length=16, index=True)
    note: str = Field(default="", max_length=500)
    # maintained by services.registry
    head_name: str = Field(default="", max_length=50, index=True)
    head_id_number: str = Field(default="", max_length=18)
    member_count: int = Field(default=0)
    current_tags: str = Field(default="", max_length=120)  # " dibao monitoring " (space-delimited)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class Member(SQLModel, table=True):
    __tablename__ = "member"
    # One person, one active household: the database itself refuses a second active row.
    __table_args__ = (
        Index("uq_member_active_id_number", "id_number", unique=True,
              sqlite_where=text("active = 1"), postgresql_where=text("active")),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    id_number: str = Field(max_length=18, index=True)
    name: str = Field(max_length=50, index=True)
    sex: str = Field(max_length=8)
    birth_date: date
    relation: str = Field(max_length=16)
    labour_capacity: str = Field(default="full", max_length=16)
    health: str = Field(default="healthy", max_length=16)
    disability_type: str = Field(default="", max_length=16)
    disability_grade: int | None = Field(default=None)
    employment: str = Field(default="", max_length=16)
    schooling: str = Field(default="", max_length=16)
    in_school: bool = Field(default=False)
    medical_insurance: bool = Field(default=True)
    # a legal supporter outside the household able to support them (decides 特困)
    has_supporter: bool = Field(default=False)
    active: bool = Field(default=True)
    left_on: date | None = Field(default=None)
    left_reason: str = Field(default="", max_length=200)
    created_at: datetime = timestamp()


class EconomicStatus(SQLModel, table=True):
    """One dated record of a household's income, assets, spending and living conditions.

    A new fact is a new row; the latest row is the current status, older rows are history.
    """

    __tablename__ = "economic_status"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    recorded_on: date
    source: str = Field(default="manual", max_length=16)
    # income over the last 12 months (yuan)
    wage_income: Decimal = money()
    business_income: Decimal = money()
    property_income: Decimal = money()
    transfer_income: Decimal = money()
    employment_costs: Decimal = money()
    # assets
    deposits: Decimal = money()
    vehicles: int = Field(default=0)
    extra_houses: int = Field(default=0)
    businesses: int = Field(default=0)
    # rigid expenditure over the last 12 months (yuan)
    medical_expense: Decimal = money()
    education_expense: Decimal = money()
    disability_care_expense: Decimal = money()
    # living conditions: the three guarantees and water
    housing_safety: str = Field(default="A", max_length=1)
    drinking_water_safe: bool = Field(default=True)
    compulsory_education_ok: bool = Field(default=True)
    medical_insurance_ok: bool = Field(default=True)
    risk_points: str = Field(default="", max_length=200)  # space-delimited codes
    recorded_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()


class HouseholdTag(SQLModel, table=True):
    """A tag's period on a household. Ending a tag sets end_date; nothing is overwritten."""

    __tablename__ = "household_tag"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    tag: str = Field(max_length=16, index=True)
    subtype: str = Field(default="", max_length=16)
    start_date: date
    end_date: date | None = Field(default=None)
    decision_ref: str = Field(default="", max_length=100)
    basis: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    end_reason: str = Field(default="", max_length=200)
    # the application whose decision set the tag, and when it is next reviewed (复核) or,
    # for 刚性支出困难, when it lapses unless renewed
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    review_due_on: date | None = Field(default=None, index=True)
    created_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()


class Visit(SQLModel, table=True):
    """A home visit (走访): one visit serves every department."""

    __tablename__ = "visit"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    visited_on: date = Field(index=True)
    visitor_user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    visitor_name: str = Field(max_length=50)
    purpose: str = Field(default="", max_length=100)
    findings: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    changed_fields: str = Field(default="", max_length=500)
    created_at: datetime = timestamp()
