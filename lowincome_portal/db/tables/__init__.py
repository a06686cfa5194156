"""Every SQLModel table of the portal; importing this package registers them all."""

from .accounts import User, UserRole, UserSession
from .areas import Area, Organisation
from .audit import AuditEntry
from .intake import Application, ApplicationEvent, Objection, PublicNotice
from .monitoring import (DataSource, ImportBatch, RiskWarning, RiskWarningEvent, SourceColumn,
                         WarningRule, WarningThreshold)
from .meetings import ActionItem, AgendaItem, HardCase, Meeting, MeetingAttendee
from .parameters import PolicyParameter
from .referrals import Need, Notification, Referral, ReferralEvent
from .reports import MonthlyReport
from .registry import EconomicStatus, Household, HouseholdTag, Member, Visit
from .stations import ServiceStation

__all__ = [
    "MonthlyReport",
    "DataSource",
    "ImportBatch",
    "RiskWarning",
    "RiskWarningEvent",
    "SourceColumn",
    "WarningRule",
    "WarningThreshold",
    "Need",
    "Notification",
    "Referral",
    "ReferralEvent",
    "ActionItem",
    "AgendaItem",
    "HardCase",
    "Meeting",
    "MeetingAttendee",
    "Application",
    "ApplicationEvent",
    "Objection",
    "PublicNotice",
    "Area",
    "AuditEntry",
    "EconomicStatus",
    "Household",
    "HouseholdTag",
    "Member",
    "Organisation",
    "PolicyParameter",
    "ServiceStation",
    "User",
    "UserRole",
    "UserSession",
    "Visit",
]
