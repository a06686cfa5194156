"""Monthly reports (月度报告): each generation of one area's report for one month, archived.

The figures are computed from dated records, so a past month's report comes out the same when
generated again; the archive still keeps each generation as it was (its figures as JSON, the
PDF and the Excel workbook), with who asked for it and when. Generation runs in the background:
`status` and `progress` let the page follow it.
"""

from datetime import date, datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from .types import timestamp


class MonthlyReport(SQLModel, table=True):
    __tablename__ = "monthly_report"

    id: int | None = Field(default=None, primary_key=True)
    period: date = Field(index=True)  # first day of the month reported on
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    status: str = Field(default="queued", max_length=16, index=True)  # queued | running | done | failed
    progress: int = Field(default=0)  # percent, while running
    figures: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # JSON
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    xlsx: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    error: str = Field(default="", max_length=500)
    seconds: float = Field(default=0)
    requested_by: int | None = Field(default=None, foreign_key="portal_user.id")
    requested_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True, default_now=False)
