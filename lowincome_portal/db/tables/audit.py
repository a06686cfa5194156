from datetime import datetime

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from .types import timestamp


class AuditEntry(SQLModel, table=True):
    """Who did what, when, where, with old and new values. Append-only: the migration
    installs triggers that refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_entry"
    # A record's history (the household timeline) is read by (entity, entity_id).
    __table_args__ = (Index("ix_audit_entry_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(index=True)
    user_id: int | None = Field(default=None, index=True)
    username: str = Field(default="", max_length=32, index=True)
    user_area_code: str | None = Field(default=None, max_length=12)
    action: str = Field(max_length=48, index=True)
    entity: str = Field(max_length=48, index=True)
    entity_id: str = Field(default="", max_length=64, index=True)
    old_values: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    new_values: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    note: str = Field(default="", max_length=255)
    # HMAC of the fields above under the deployment's secret key (services/audit_seal.py);
    # "" for entries written before seals existed.
    seal: str = Field(default="", sa_column=Column(String(64), nullable=False, server_default=""))
