"""Timestamps are stored in UTC and shown in Asia/Shanghai."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def china_text(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp as county staff read it (Beijing time)."""
    value = as_utc(value)
    return value.astimezone(CHINA).strftime(fmt) if value else ""
