"""Every SQLModel table of the portal; importing this package registers them all."""

from .accounts import User, UserRole, UserSession
from .areas import Area, Organisation
from .audit import AuditEntry
from .parameters import PolicyParameter

__all__ = [
    "Area",
    "AuditEntry",
    "Organisation",
    "PolicyParameter",
    "User",
    "UserRole",
    "UserSession",
]
