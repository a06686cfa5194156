"""What the simulated township caseworkers do, the data they do it on, and the reconciliation
afterwards (乡镇工作人员的模拟操作与事后对账).

Each caseworker is one PortalTab on the real websocket and loops: sign in on /login (the real
LoginState.login handler), open the registry list /r/households, search it (by a village of
the user's township or a common surname), open one household of the result on
/households/<id>, open the visit form (plan_visit) and record ONE home visit (record_visit:
one `visit` row and one audit entry "create visit" per change), with 1-3 s of thought between
actions, and now and then signs out. Every visit's findings carry a change id
"LT:<run>:<user>:<n>", so afterwards each change the clients saw confirmed is matched one to
one with the visit rows and the audit trail (`reconcile`).
"""

import asyncio
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from .portal_client import SESSION_STATE, PortalTab, Step, until_redirect_or

# The two townships of the demo county whose staff the load accounts are, and their villages.
TOWNSHIPS = {
    "500231100000": ("新民镇", ("团结社区", "凤凰村", "长岭村")),
    "500231101000": ("沙坪镇", ("大堰社区", "红岩村", "金竹村")),
}
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "周")
VISIT_DONE = "已记录走访"
LOAD_PREFIX = "load"
CHINA = ZoneInfo("Asia/Shanghai")


def event_names() -> dict[str, str]:
    """The full event names of the handlers the caseworkers use, from the page states."""
    from reflex_base.utils import format

    from lowincome_portal.pages.household.state import HouseholdState
    from lowincome_portal.pages.login import LoginState
    from lowincome_portal.pages.resources.list import ResourceListState
    from lowincome_portal.state.base import SessionState

    def name(state, handler: str) -> str:
        return format.format_event_handler(state.event_handlers[handler])

    return {
        "login": name(LoginState, "login"),
        "logout": name(SessionState, "logout"),
        "search": name(ResourceListState, "apply_search"),
        "plan_visit": name(HouseholdState, "plan_visit"),
        "record_visit": name(HouseholdState, "record_visit"),
        "list_state": ResourceListState.get_full_name(),
        "household_state": HouseholdState.get_full_name(),
    }


# ---- the data -------------------------------------------------------------------------------------

@dataclass
class LoadAccounts:
    usernames: list[str]
    password: str
    area_of: dict[str, str]
    user_ids: dict[str, int]


def create_accounts(engine, count: int, *, prefix: str = LOAD_PREFIX) -> LoadAccounts:
    """`count` township staff accounts, alternately of 新民镇 and 沙坪镇, one known password
    (hashed once: argon2 is slow on purpose), no forced password change."""
    from lowincome_portal.db.tables import User, UserRole
    from lowincome_portal.domain import roles
    from lowincome_portal.services import audit, security

    password = "Load-" + secrets.token_urlsafe(12)
    hashed = security.hash_password(password)
    codes = list(TOWNSHIPS)
    accounts = LoadAccounts([], password, {}, {})
    with Session(engine, expire_on_commit=False) as session:
        taken = set(session.exec(select(User.username).where(User.username.like(f"{prefix}%"))).all())
        n = 0
        while len(accounts.usernames) < count:
            n += 1
            username = f"{prefix}{n:03d}"
            if username in taken:
                continue
            area = codes[len(accounts.usernames) % len(codes)]
            user = User(username=username, display_name=f"压测{n:03d}（{TOWNSHIPS[area][0]}）",
                        password_hash=hashed, area_code=area, must_change_password=False)
            session.add(user)
            session.flush()
            session.add(UserRole(user_id=user.id, role=roles.TOWNSHIP_STAFF))
            audit.record(session, actor=None, action="create", entity="user", entity_id=user.id, username="system",
                         new={"username": username, "roles": [roles.TOWNSHIP_STAFF]}, note="负载测试账号")
            accounts.usernames.append(username)
            accounts.area_of[username] = area
            accounts.user_ids[username] = user.id
        session.commit()
    return accounts


def households_in_townships(engine) -> dict[str, int]:
    """Active households per load township."""
    from lowincome_portal.db.tables import Household

    out = {}
    with Session(engine) as session:
        for code in TOWNSHIPS:
            out[code] = session.exec(select(sa.func.count()).select_from(Household).where(
                Household.area_code.like(code[:9] + "%"), Household.status == "active")).one()
    return out


# ---- the caseworker -------------------------------------------------------------------------------

@dataclass
class Change:
    change_id: str
    username: str
    household_id: str
    outcome: str          # confirmed | refused | unknown (timed out or connection lost)
    detail: str = ""


@dataclass
class Caseworker:
    """One simulated user and what happened to it."""

    url: str
    username: str
    password: str
    area: str
    run_id: str
    names: dict[str, str]
    rng: random.Random
    think: tuple[float, float] = (1.0, 3.0)
    logout_chance: float = 0.1
    timeout: float = 60.0
    tab: PortalTab | None = None
    changes: list[Change] = field(default_factory=list)
    logins: int = 0
    logouts: int = 0
    loops: int = 0
    failures: list[str] = field(default_factory=list)

    async def _think(self, scale: float = 1.0) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think) * scale)

    @staticmethod
    def _failed(step: Step) -> bool:
        """A failed step (already on the tab's record; `failures` holds what no step shows)."""
        return not step.ok

    async def run(self, stop_at: float, start_delay: float = 0.0) -> None:
        await asyncio.sleep(start_delay)
        self.tab = PortalTab(self.url, timeout=self.timeout, label=self.username)
        try:
            if self._failed(await self.tab.connect("/login")):
                return
            signed_in = False
            while time.time() < stop_at:
                if not signed_in:
                    signed_in = await self._sign_in()
                    if not signed_in:
                        await self._think()
                        continue
                    await self._think()
                signed_in = await self._one_visit(stop_at)
                self.loops += 1
                if signed_in and time.time() < stop_at and self.rng.random() < self.logout_chance:
                    await self._sign_out()
                    signed_in = False
                await self._think()
        finally:
            await self.tab.close()

    async def _sign_in(self) -> bool:
        tab = self.tab
        if tab.path != "/login":
            await self._navigate("/login")
        step = await tab.call(self.names["login"], {"form_data": {"username": self.username,
                                                                  "password": self.password}},
                              kind="login", until=until_redirect_or(SESSION_STATE, "error"))
        if self._failed(step):
            return False
        if step.redirect != "/":
            self.failures.append(f"login: no redirect to / (got {step.redirect!r}, "
                                 f"error {tab.value(SESSION_STATE, 'error')!r})")
            return False
        self.logins += 1
        return await self._navigate("/")

    async def _navigate(self, path: str) -> bool:
        """A page load; a redirect the page answers with (e.g. to /login) is followed and is a failure."""
        step = await self.tab.navigate(path)
        if self._failed(step):
            return False
        if step.redirect:
            self.tab.redirect = step.redirect
            await self.tab.follow()
            self.failures.append(f"{step.kind}: redirected to {step.redirect} "
                                 f"({self.tab.value(SESSION_STATE, 'notice')!r})")
            return False
        return True

    async def _sign_out(self) -> None:
        step = await self.tab.call(self.names["logout"], kind="logout", until=until_redirect_or(SESSION_STATE, "error"))
        if not self._failed(step):
            self.logouts += 1
            if step.redirect:
                await self._navigate(step.redirect)

    async def _one_visit(self, stop_at: float) -> bool:
        """Registry list, search, one household, one visit recorded. False: no longer signed in
        (or something failed, which is recorded)."""
        tab, names = self.tab, self.names
        if not await self._navigate("/r/households"):
            return False
        await self._think()
        township, villages = TOWNSHIPS[self.area]
        term = self.rng.choice(villages) if self.rng.random() < 0.7 else self.rng.choice(SURNAMES)
        if self._failed(await tab.call(names["search"], {"form_data": {"search": term}}, kind="search")):
            return False
        rows = [r for r in tab.value(names["list_state"], "rows", []) if r.get("status") == "在册"]
        if not rows:
            return True  # nothing found for this term: search again next loop
        await self._think()
        household = self.rng.choice(rows)
        if not await self._navigate(household["_href"]):
            return False
        await self._think()
        if self._failed(await tab.call(names["plan_visit"], kind="plan_visit")):
            return False
        await self._think(0.5)
        return await self._record_visit(household["_key"])

    async def _record_visit(self, household_id: str) -> bool:
        tab = self.tab
        change_id = f"LT:{self.run_id}:{self.username}:{len(self.changes) + 1}"
        form = {"visited_on": datetime.now(CHINA).date().isoformat(), "purpose": "定期走访（负载测试）",
                "findings": f"{change_id} 家中情况稳定，已宣传最新救助政策", "changed_fields": ""}
        step = await tab.call(self.names["record_visit"], {"form_data": form}, kind="record_visit")
        info = tab.value(self.names["household_state"], "info") or tab.value(SESSION_STATE, "info")
        if step.ok and info == VISIT_DONE:
            self.changes.append(Change(change_id, self.username, household_id, "confirmed"))
            return True
        lost = not step.ok and ("connection lost" in step.error or "no answer" in step.error
                                or "not connected" in step.error)
        self.changes.append(Change(change_id, self.username, household_id, "unknown" if lost else "refused",
                                   step.error or f"info {info!r}"))
        if step.ok:
            self.failures.append(f"record_visit: not confirmed (info {info!r}, error "
                                 f"{tab.value(SESSION_STATE, 'error')!r}, redirect {step.redirect!r})")
        return step.ok and not step.redirect


async def run_caseworkers(url: str, accounts: LoadAccounts, *, users: int, duration: float, ramp: float,
                          run_id: str, seed: int = 1, think: tuple[float, float] = (1.0, 3.0),
                          logout_chance: float = 0.1, timeout: float = 60.0,
                          during: Callable[[], asyncio.Future] | None = None) -> list[Caseworker]:
    """Start `users` caseworkers spread evenly over `ramp` seconds; each stops starting new
    actions `duration` seconds after the first started. `during`: a coroutine run alongside
    (e.g. the baseline probe), cancelled at the end."""
    names = event_names()
    started = time.time()
    stop_at = started + duration
    workers = [Caseworker(url, accounts.usernames[i], accounts.password, accounts.area_of[accounts.usernames[i]],
                          run_id, names, random.Random(seed * 1000 + i), think=think, logout_chance=logout_chance,
                          timeout=timeout)
               for i in range(users)]
    side = asyncio.ensure_future(during()) if during else None
    try:
        await asyncio.gather(*(w.run(stop_at, ramp * i / max(1, users)) for i, w in enumerate(workers)))
    finally:
        if side is not None:
            side.cancel()
            await asyncio.gather(side, return_exceptions=True)
    return workers


# ---- reconciliation -------------------------------------------------------------------------------

@dataclass
class Reconciliation:
    confirmed: int              # changes the clients saw confirmed
    unknown: int                # outcome not seen (timeout, connection lost)
    refused: int
    visit_rows: int             # visit rows carrying this run's change ids
    audit_entries: int          # "create visit" audit entries by the load accounts in the window
    audit_for_run_visits: int   # ... of which for this run's visit rows
    missing_in_db: list[str]    # confirmed but no visit row
    not_confirmed_in_db: list[str]   # a row the client did not see confirmed (must be among the unknown)
    audit_mismatch: list[str]   # visit rows without exactly one matching audit entry, or stray entries
    logins_client: int
    logins_audit: int
    logouts_client: int
    logouts_audit: int
    sessions_created: int

    @property
    def ok(self) -> bool:
        unexplained = [c for c in self.not_confirmed_in_db if not c.startswith("unknown:")]
        return (not self.missing_in_db and not unexplained and not self.audit_mismatch
                and self.visit_rows == self.audit_entries == self.audit_for_run_visits
                and self.logins_client == self.logins_audit == self.sessions_created
                and self.logouts_client == self.logouts_audit)

    @property
    def exact(self) -> bool:
        """Every change confirmed and accounted for, none in doubt."""
        return self.ok and self.unknown == 0 and self.confirmed == self.visit_rows


def reconcile(engine, workers: list[Caseworker], accounts: LoadAccounts, run_id: str,
              window: tuple[datetime, datetime]) -> Reconciliation:
    """Match the clients' changes with the visit rows and the audit trail."""
    from lowincome_portal.db.tables import AuditEntry, UserSession, Visit

    changes = {c.change_id: c for w in workers for c in w.changes}
    names = set(accounts.usernames)
    ids = set(accounts.user_ids.values())
    start, end = window
    with Session(engine) as session:
        rows = session.exec(select(Visit.id, Visit.findings, Visit.visitor_user_id)
                            .where(Visit.findings.like(f"LT:{run_id}:%"))).all()
        audit = session.exec(select(AuditEntry.entity_id, AuditEntry.username).where(
            AuditEntry.entity == "visit", AuditEntry.action == "create", AuditEntry.at >= start,
            AuditEntry.at <= end, AuditEntry.username.in_(names))).all()
        logins_audit = session.exec(select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "login", AuditEntry.at >= start, AuditEntry.at <= end,
            AuditEntry.username.in_(names))).one()
        logouts_audit = session.exec(select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "logout", AuditEntry.at >= start, AuditEntry.at <= end,
            AuditEntry.username.in_(names))).one()
        sessions = session.exec(select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id.in_(ids), UserSession.created_at >= start, UserSession.created_at <= end)).one()
    by_change = {}
    visit_user = {}
    for visit_id, findings, user_id in rows:
        by_change[findings.split(" ", 1)[0]] = str(visit_id)
        visit_user[str(visit_id)] = user_id
    username_of = {v: k for k, v in accounts.user_ids.items()}
    confirmed = {cid for cid, c in changes.items() if c.outcome == "confirmed"}
    missing = sorted(confirmed - set(by_change))
    extra = [f"{changes[cid].outcome if cid in changes else 'not sent'}:{cid}"
             for cid in sorted(set(by_change) - confirmed)]
    audit_count: dict[str, int] = {}
    mismatch = []
    for entity_id, username in audit:
        audit_count[entity_id] = audit_count.get(entity_id, 0) + 1
        if entity_id in visit_user and username_of.get(visit_user[entity_id]) != username:
            row_user = username_of.get(visit_user[entity_id])
            mismatch.append(f"visit {entity_id}: audit says {username}, row says {row_user}")
    for visit_id in visit_user:
        if audit_count.get(visit_id, 0) != 1:
            mismatch.append(f"visit {visit_id}: {audit_count.get(visit_id, 0)} audit entries")
    stray = sorted(set(audit_count) - set(visit_user))
    mismatch += [f"audit entry for visit {v} that is not of this run" for v in stray]
    return Reconciliation(
        confirmed=len(confirmed), unknown=sum(c.outcome == "unknown" for c in changes.values()),
        refused=sum(c.outcome == "refused" for c in changes.values()), visit_rows=len(rows),
        audit_entries=len(audit), audit_for_run_visits=sum(audit_count.get(v, 0) for v in visit_user),
        missing_in_db=missing, not_confirmed_in_db=extra, audit_mismatch=mismatch,
        logins_client=sum(w.logins for w in workers), logins_audit=logins_audit,
        logouts_client=sum(w.logouts for w in workers), logouts_audit=logouts_audit, sessions_created=sessions)


def utcnow() -> datetime:
    return datetime.now(UTC)
