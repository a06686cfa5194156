"""统一监测预警: departments' monthly files, the warning rules they feed, and the warnings.

The declarations are data the county admin edits on the low-code pages:
- `data_source` and `source_column`: each department file and how its column headers map to
  indicators (docs/monitoring.md);
- `warning_rule` and `warning_threshold`: which indicator, compared how, with a threshold per
  household tag and an effective date, raises a warning of which severity for which department.

`import_batch` is one imported file with its counts and error report. `risk_warning` is one
warning on one household for one rule and month (the unique key makes a re-import of the
same file raise nothing new); `risk_warning_event` keeps every step of its loop
待核查 → 核查中 → 已处置 → 已反馈.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .types import timestamp


def long_text() -> str:
    return Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class DataSource(SQLModel, table=True):
    """One department's monthly file (医保结算, 学籍, 死亡登记 ...)."""

    __tablename__ = "data_source"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=60)
    department: str = Field(default="", max_length=60)  # the department that sends it
    id_header: str = Field(default="身份证号", max_length=40)  # the column holding the ID number
    # the column holding the month the row belongs to; empty = the file is not checked by month
    period_header: str = Field(default="", max_length=40)
    active: bool = Field(default=True)
    note: str = Field(default="", max_length=300)
    created_at: datetime = timestamp()


class SourceColumn(SQLModel, table=True):
    """One declared column of a source's file: its header and the indicator it feeds."""

    __tablename__ = "source_column"
    __table_args__ = (UniqueConstraint("source_code", "header"),)

    id: int | None = Field(default=None, primary_key=True)
    source_code: str = Field(max_length=32, index=True)
    header: str = Field(max_length=40)
    # an indicator code (domain/monitoring.INDICATORS), or "" for a known column that is not used
    indicator: str = Field(default="", max_length=40)
    kind: str = Field(default="number", max_length=16)  # number | flag | ignore
    # flag columns: the values that mean yes, space-separated; "*" = any non-empty value
    true_values: str = Field(default="", max_length=200)
    required: bool = Field(default=True)


class WarningRule(SQLModel, table=True):
    __tablename__ = "warning_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=80)
    indicator: str = Field(max_length=40)
    # "" = any source that provides the indicator (a file or a registry change); else one source
    source_code: str = Field(default="", max_length=32)
    aggregate: str = Field(default="member", max_length=16)  # member | household_sum
    comparison: str = Field(default="ge", max_length=8)  # ge | gt | le | lt | flag
    # only households holding one of these tags (" dibao tekun "); empty = every household
    applies_to_tags: str = Field(default="", max_length=120)
    member_filter: str = Field(default="", max_length=16)  # "" | working_age | school_age
    severity: str = Field(default="medium", max_length=8)  # low | medium | high
    department: str = Field(default="both", max_length=8)  # civil | agri | both
    active: bool = Field(default=True)
    note: str = Field(default="", max_length=300)
    created_at: datetime = timestamp()


class WarningThreshold(SQLModel, table=True):
    """A rule's threshold for households of one tag ("" = every other household), from a date."""

    __tablename__ = "warning_threshold"
    __table_args__ = (UniqueConstraint("rule_code", "tag", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_code: str = Field(max_length=40, index=True)
    tag: str = Field(default="", max_length=16)
    value: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    effective_from: date
    note: str = Field(default="", max_length=200)


class ImportBatch(SQLModel, table=True):
    """One department file as imported: its counts and the rows it could not use."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    source_code: str = Field(max_length=32, index=True)
    period: date = Field(index=True)  # first day of the month the file is for
    filename: str = Field(max_length=200)
    file_sha256: str = Field(max_length=64, index=True)
    status: str = Field(max_length=16)  # done | failed
    rows_read: int = Field(default=0)
    matched: int = Field(default=0)
    unmatched: int = Field(default=0)
    invalid: int = Field(default=0)
    warnings_raised: int = Field(default=0)
    message: str = Field(default="", max_length=500)
    # JSON list of [row, column, reason] (the first MAX_REPORTED_ERRORS) and of unmatched rows
    errors: str = long_text()
    unmatched_rows: str = long_text()
    same_file_as: int | None = Field(default=None)  # an earlier batch with the same file
    seconds: float = Field(default=0)
    imported_by: int | None = Field(default=None, foreign_key="portal_user.id")
    created_at: datetime = timestamp()


class RiskWarning(SQLModel, table=True):
    """One warning on one household for one rule and month, and where its loop stands."""

    __tablename__ = "risk_warning"
    __table_args__ = (UniqueConstraint("household_id", "rule_code", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    rule_code: str = Field(max_length=40, index=True)
    period: date = Field(index=True)
    severity: str = Field(max_length=8)
    department: str = Field(max_length=8)
    source: str = Field(max_length=32)  # a data source code, or "registry"
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    value: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))
    threshold: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))
    evidence: str = long_text()
    status: str = Field(default="pending", max_length=16, index=True)
    raised_on: date
    due_on: date | None = Field(default=None, index=True)  # the current step's deadline
    escalated_on: date | None = Field(default=None)
    assigned_to: int | None = Field(default=None, foreign_key="portal_user.id", index=True)
    assigned_on: date | None = Field(default=None)
    verify_result: str = Field(default="", max_length=16)  # confirmed | not_confirmed
    verify_note: str = long_text()
    disposition: str = Field(default="", max_length=16)  # referral | application | no_action
    disposition_note: str = long_text()
    need_id: int | None = Field(default=None, foreign_key="need.id")
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    application_id: int | None = Field(default=None, foreign_key="application.id")
    handled_on: date | None = Field(default=None)
    handled_by: int | None = Field(default=None, foreign_key="portal_user.id")
    feedback: str = long_text()
    fed_back_on: date | None = Field(default=None)
    fed_back_by: int | None = Field(default=None, foreign_key="portal_user.id")
    version: int = Field(default=1)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class RiskWarningEvent(SQLModel, table=True):
    """One step of a warning: raised, assigned, handled, fed back, escalated."""

    __tablename__ = "risk_warning_event"

    id: int | None = Field(default=None, primary_key=True)
    warning_id: int = Field(foreign_key="risk_warning.id", index=True)
    action: str = Field(max_length=24)
    status: str = Field(max_length=16)
    user_id: int | None = Field(default=None, foreign_key="portal_user.id")
    actor_name: str = Field(default="", max_length=100)
    comment: str = long_text()
    on_day: date
    at: datetime = timestamp()
