from datetime import date
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


class PolicyParameter(SQLModel, table=True):
    """One dated value of a policy number (standard, multiplier, deadline, threshold).

    A new value is a new row from its effective date; older rows stay, so a past
    decision can always be re-read with the numbers in force on its day.
    """

    __tablename__ = "policy_parameter"
    __table_args__ = (UniqueConstraint("code", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, index=True)
    value: Decimal = Field(sa_column=Column(Numeric(14, 4), nullable=False))
    effective_from: date
    note: str = Field(default="", max_length=255)
