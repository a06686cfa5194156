"""Who may do what, and where: one function, `can`, used by every service and page.

An action is allowed when one of the user's roles grants it AND the record lies inside
the user's area (by administrative code prefix) or belongs to the user's organisation.
The grants are data: a new capability adds rows to ACTION_ROLES, not if-statements.
"""

from dataclasses import dataclass

from . import areas
from .errors import PermissionDenied
from .roles import (
    ADMIN,
    ALL_ROLES,
    COUNTY_AGRI,
    COUNTY_CIVIL,
    LEADER,
    PARTNER,
    TOWNSHIP_STAFF,
    VILLAGE_STAFF,
)

STAFF = (ADMIN, COUNTY_CIVIL, COUNTY_AGRI, TOWNSHIP_STAFF, VILLAGE_STAFF)
COUNTY_OFFICERS = (ADMIN, COUNTY_CIVIL, COUNTY_AGRI)
# Those who work with households: the system admin manages accounts and settings, not people.
CASEWORKERS = (COUNTY_CIVIL, COUNTY_AGRI, TOWNSHIP_STAFF, VILLAGE_STAFF)
# Those whose work needs whole ID numbers, phones and bank accounts (payments, data checks).
REVEALERS = (COUNTY_CIVIL, COUNTY_AGRI, TOWNSHIP_STAFF)

ACTION_ROLES: dict[str, tuple[str, ...]] = {
    # every signed-in user
    "home.view": ALL_ROLES,
    "account.password": ALL_ROLES,
    # accounts and the audit trail
    "user.view": (ADMIN,),
    "user.manage": (ADMIN,),
    "audit.view": (ADMIN,),
    # loading the county's area list from a file (the areas resource grants the rest)
    "area.manage": (ADMIN,),
    # the unified registry: households, members, economic status, visits
    "registry.view": CASEWORKERS,
    "registry.edit": CASEWORKERS,
    "registry.reveal": REVEALERS,
    "registry.import": REVEALERS,
    "registry.export": REVEALERS,
    "visit.record": CASEWORKERS,
    "means_test.run": CASEWORKERS,
    # tags are set by decisions: civil affairs for assistance, agriculture for monitoring
    "tag.manage": (COUNTY_CIVIL, COUNTY_AGRI),
    # intake (domain/intake.py): who may take each step is in the track's transition table;
    # these grant seeing, entering and supporting cases inside the user's area
    "application.view": CASEWORKERS,
    "application.create": CASEWORKERS,
    "application.import": REVEALERS,
    "application.investigate": CASEWORKERS,
    "application.notice": CASEWORKERS,
    "worklist.view": CASEWORKERS,
    "intake.overview": (COUNTY_CIVIL, COUNTY_AGRI, LEADER),
    # the monthly joint meeting (困难群众联席会议): township staff (civil affairs leads) run their
    # township's, county civil affairs the county's; agriculture and the county see them all.
    # Minutes name households, so leaders (who see counts, never a person) do not open them;
    # their summary of meetings held belongs to the leaders' summary page.
    "meeting.view": CASEWORKERS,
    "meeting.manage": (TOWNSHIP_STAFF, COUNTY_CIVIL),
    "meeting.overview": (COUNTY_CIVIL, COUNTY_AGRI),
    "action_item.update": (TOWNSHIP_STAFF, COUNTY_CIVIL, COUNTY_AGRI),
    "hard_case.raise": CASEWORKERS,
    # 分类救助帮扶: caseworkers record needs; township staff and the county dispatch them;
    # partners (bound to their organisation) claim and deliver; the county sees the 不漏 list
    "need.record": CASEWORKERS,
    "referral.view": CASEWORKERS,
    "referral.dispatch": (TOWNSHIP_STAFF, COUNTY_CIVIL, COUNTY_AGRI),
    "referral.justify_duplicate": (COUNTY_CIVIL, COUNTY_AGRI),
    "referral.report": (COUNTY_CIVIL, COUNTY_AGRI, TOWNSHIP_STAFF),
    "partner.portal": (PARTNER,),
    # 统一监测预警: the county imports departments' files; caseworkers verify and handle warnings
    # in their area (township and village staff on foot); township staff and the county feed
    # the result back. Civil affairs and agriculture both see every warning and its result.
    "monitoring.import": (COUNTY_CIVIL, COUNTY_AGRI),
    "warning.view": CASEWORKERS,
    "warning.verify": CASEWORKERS,
    "warning.feedback": (TOWNSHIP_STAFF, COUNTY_CIVIL, COUNTY_AGRI),
    "warning.overview": (COUNTY_CIVIL, COUNTY_AGRI),
    # the monthly report (counts and amounts only, never a person): township staff for their
    # township, the county departments and leaders for any; the leaders' summary page
    "report.view": (COUNTY_CIVIL, COUNTY_AGRI, TOWNSHIP_STAFF, LEADER),
    "report.generate": (COUNTY_CIVIL, COUNTY_AGRI, TOWNSHIP_STAFF, LEADER),
    "summary.view": (COUNTY_CIVIL, COUNTY_AGRI, LEADER),
}


def grant(action: str, roles: tuple[str, ...]) -> None:
    """Register the roles of an action declared elsewhere (the low-code resources declare theirs).

    Declaring the same action twice with different roles is a programming error.
    """
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles for {action}: {sorted(unknown)}")
    if ACTION_ROLES.get(action, tuple(roles)) != tuple(roles):
        raise ValueError(f"action {action} is already granted to other roles")
    ACTION_ROLES[action] = tuple(roles)


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the rules see them (no ORM object, no secrets)."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[str]
    area_code: str | None = None
    org_id: int | None = None
    must_change_password: bool = False


@dataclass(frozen=True)
class Scope:
    """Where a record lives: its area code and/or the organisation it is assigned to."""

    area_code: str | None = None
    org_id: int | None = None


def role_allows(actor: Actor, action: str) -> bool:
    """Whether any of the actor's roles grants the action (unknown actions grant nothing)."""
    return bool(actor.roles.intersection(ACTION_ROLES.get(action, ())))


def in_scope(actor: Actor, scope: Scope | None) -> bool:
    """Whether the record lies in the actor's area or belongs to the actor's organisation."""
    if scope is None or (scope.area_code is None and scope.org_id is None):
        return True
    if scope.org_id is not None and actor.org_id is not None and scope.org_id == actor.org_id:
        return True
    if scope.area_code is not None and actor.area_code is not None:
        return areas.contains(actor.area_code, scope.area_code)
    return False


def can(actor: Actor | None, action: str, scope: Scope | None = None) -> bool:
    """The one permission check: role grants the action and the record is in scope.

    A user whose password was reset may do nothing but change it.
    """
    if actor is None:
        return False
    if actor.must_change_password and action != "account.password":
        return False
    return role_allows(actor, action) and in_scope(actor, scope)


def require(actor: Actor | None, action: str, scope: Scope | None = None) -> Actor:
    """`can` or raise PermissionDenied; returns the actor for chaining."""
    if not can(actor, action, scope):
        raise PermissionDenied()
    return actor  # type: ignore[return-value]
