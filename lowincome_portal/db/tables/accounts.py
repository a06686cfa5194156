from datetime import datetime

from sqlmodel import Field, SQLModel

from .types import timestamp


class User(SQLModel, table=True):
    """A portal account. Bound to one area (staff, leaders) or one organisation (partners)."""

    __tablename__ = "portal_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True, index=True)
    display_name: str = Field(max_length=50)
    password_hash: str = Field(max_length=255)
    area_code: str | None = Field(default=None, foreign_key="area.code", max_length=12, index=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    phone: str = Field(default="", max_length=30)
    disabled: bool = Field(default=False)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = timestamp(nullable=True, default_now=False)
    must_change_password: bool = Field(default=True)
    created_at: datetime = timestamp()
    password_changed_at: datetime | None = timestamp(nullable=True, default_now=False)
    last_login_at: datetime | None = timestamp(nullable=True, default_now=False)


class UserRole(SQLModel, table=True):
    """One role a user holds; a user may hold several."""

    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="portal_user.id", primary_key=True)
    role: str = Field(max_length=32, primary_key=True)


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only a hash of the token is kept, so a database leak signs no one in."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="portal_user.id", index=True)
    created_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    ended_at: datetime | None = timestamp(nullable=True, default_now=False)
    end_reason: str = Field(default="", max_length=32)  # logout | expired | disabled | password
