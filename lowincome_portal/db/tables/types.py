"""Column helpers shared by the tables."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field

from ..timeutil import utcnow


def timestamp(nullable: bool = False, default_now: bool = True, index: bool = False) -> datetime:
    """A timezone-aware timestamp column (UTC)."""
    return Field(
        default_factory=utcnow if default_now else None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )
