"""The county the handler sweep runs in: the demo county with its households, applications,
meetings, referrals and warnings, plus what the demo lacks for a sweep - a meeting still
open for changes in each township, a service station and an archived monthly report in each,
an account that must change its password, and a signed-out session.

新民镇 is the victim: its records are what the sweep's outsiders aim at. Each outsider's
victims are the 新民镇 records outside the outsider's own reach (for 凤凰村's clerk, those of
长岭村 and 团结社区; for a partner, those its organisation never held nor could claim), and
its markers are the names, ID numbers, phones and bank accounts of those people that no
record within its reach also carries.
"""

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlmodel import Session, select

from lowincome_portal.db import migrations
from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import MonthlyReport, ServiceStation, User, UserRole
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD, LOGINS, seed_demo
from lowincome_portal.domain import roles
from lowincome_portal.domain.areas import contains
from lowincome_portal.domain.permissions import Actor
from lowincome_portal.domain.reporting import previous_month
from lowincome_portal.resources import REGISTRY
from lowincome_portal.services import auth, meetings, security
from lowincome_portal.services.households import today_in_china
from tests.security.sweep_handlers import Aim

XINMIN, SHAPING = "500231100000", "500231101000"
FENGHUANG, HONGYAN = "500231100200", "500231101200"
# Signed in with a password an administrator reset: may do nothing but change it.
MUST_CHANGE = "chongzhi"
USERNAMES = tuple(login.username for login in LOGINS) + (MUST_CHANGE,)
# Who the sweep sends at 新民镇's records from outside: another township, a village clerk of
# 新民镇 (for the other villages), and the two partner organisations.
OUTSIDERS = ("shaping", "fenghuang", "cishan", "hongshizi")
# Who enters a page first when the sweep tests a tab left open by its earlier user.
OWNERS = ("xinmin", "minzheng", "admin")

# Every record kind a handler or a route may name, as (id, area code, household id,
# organisation id, status): the status lets the sweep aim at a record in each state.
KINDS = {
    "household": "select id, area_code, id, null, status from household",
    "member": "select m.id, h.area_code, h.id, null, m.active from member m join household h on h.id = m.household_id",
    "tag": "select t.id, h.area_code, h.id, null, t.end_date is null from household_tag t "
           "join household h on h.id = t.household_id",
    "application": "select id, area_code, household_id, null, state from application",
    "objection": "select o.id, a.area_code, a.household_id, null, o.resolved_on is null from objection o "
                 "join application a on a.id = o.application_id",
    "notice": "select id, area_code, null, null, kind from public_notice",
    "meeting": "select id, area_code, null, null, status from meeting",
    "attendee": "select x.id, m.area_code, null, x.organisation_id, m.status from meeting_attendee x "
                "join meeting m on m.id = x.meeting_id",
    "item": "select i.id, m.area_code, i.household_id, null, m.status from agenda_item i "
            "join meeting m on m.id = i.meeting_id",
    "action": "select id, area_code, null, null, status from action_item",
    "hard_case": "select id, area_code, household_id, null, taken_up_on is null from hard_case",
    "need": "select id, area_code, household_id, null, status from need",
    "referral": "select id, area_code, household_id, organisation_id, status from referral",
    "notification": "select n.id, r.area_code, r.household_id, n.organisation_id, n.read_at is null "
                    "from notification n join referral r on r.id = n.referral_id",
    "warning": "select id, area_code, household_id, null, status from risk_warning",
    "report": "select id, area_code, null, null, status from monthly_report",
    "station": "select id, area_code, null, null, active from service_station",
    "user": "select id, area_code, null, null, disabled from portal_user where area_code is not null",
}
# Households a partner legitimately works with: referrals its organisation holds, was told
# about or acted on, and everything in the pool (every demo partner serves the whole county).
PARTNER_HOUSEHOLDS = """
    select household_id from referral where organisation_id = :org or status = 'pooled'
    union select r.household_id from notification n join referral r on r.id = n.referral_id
          where n.organisation_id = :org
    union select r.household_id from referral_event e join referral r on r.id = e.referral_id
          where e.organisation_id = :org"""
PEOPLE = """
    select h.id, h.area_code, m.name, m.id_number, h.phone, h.bank_account
      from member m join household h on h.id = m.household_id
    union all
    select coalesce(household_id, -id), area_code, applicant_name, applicant_id_number, applicant_phone, ''
      from application"""


@dataclass
class County:
    url: str
    path: str
    tokens: dict[str, str] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    ended_token: str = ""
    _partners: dict = field(default_factory=dict)
    _memo: dict = field(default_factory=dict)

    def _remember(self, key, compute):
        """The county is put back after every write, so what is read from it once holds."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @cached_property
    def engine(self):
        return engine_for(self.url)

    def rows(self, sql: str, **params) -> list[tuple]:
        with closing(sqlite3.connect(self.path)) as db:
            return db.execute(sql, params).fetchall()

    # ---- whose records are whose ----

    def _partner_households(self, actor: Actor) -> set[int]:
        if actor.org_id not in self._partners:
            self._partners[actor.org_id] = {r[0] for r in self.rows(PARTNER_HOUSEHOLDS, org=actor.org_id)}
        return self._partners[actor.org_id]

    def _is_victim(self, actor: Actor, area: str | None, household, org) -> bool:
        if not area or not contains(XINMIN, area):
            return False
        if actor.org_id is not None:
            return household not in self._partner_households(actor) and org != actor.org_id
        return not contains(actor.area_code or "", area)

    def _is_own(self, actor: Actor, area: str | None, org) -> bool:
        if actor.org_id is not None:
            return org == actor.org_id
        return bool(area) and contains(actor.area_code or "", area)

    def _belongs(self, actor: Actor, whose: str, area, household, org) -> bool:
        if whose == "victim":
            return self._is_victim(actor, area, household, org)
        if whose == "own":
            return self._is_own(actor, area, org)
        return bool(area) and contains(XINMIN, area)  # "township": anything of 新民镇

    def _rows_of(self, username: str, whose: str) -> dict[str, list[tuple]]:
        actor = self.actors[username]
        return self._remember(("rows", username, whose), lambda: {
            kind: sorted(r for r in self.rows(sql) if self._belongs(actor, whose, r[1], r[2], r[3]))
            for kind, sql in KINDS.items()})

    def all_records(self, username: str, whose: str = "victim") -> dict[str, list[int]]:
        """kind -> ids of every record that is `whose` for this user: "victim", "own", or
        "township" (anything of 新民镇)."""
        return {kind: [r[0] for r in rows] for kind, rows in self._rows_of(username, whose).items()}

    def records(self, username: str, whose: str = "victim") -> dict[str, list[int]]:
        """One record of each kind in each state it is in (an open need and a met one, a pooled
        referral and a held one, a meeting still open and an approved one ...), and the last."""
        out = {}
        for kind, rows in self._rows_of(username, whose).items():
            firsts = {}
            for row in rows:
                firsts.setdefault(row[4], row[0])
            out[kind] = list(dict.fromkeys([*firsts.values(), *([rows[-1][0]] if rows else [])]))
        return out

    def victim_areas(self, username: str) -> set[str]:
        actor = self.actors[username]
        return {code for (code,) in self.rows("select code from area")
                if contains(XINMIN, code) and (actor.org_id is not None or not contains(actor.area_code or "", code))}

    def markers(self, username: str) -> set[str]:
        """What may not reach this user's browser: the victims' names, ID numbers, phones and
        bank accounts, less any value a record within the user's reach also holds."""
        return self._remember(("markers", username), lambda: self._markers(self.actors[username]))

    def _markers(self, actor: Actor) -> set[str]:
        theirs: set[str] = set()
        others: set[str] = set()
        for household, area, *values in self.rows(PEOPLE):
            bucket = theirs if self._is_victim(actor, area, household, None) else others
            bucket.update(v for v in values if v and len(v) >= 2)
        return theirs - others

    def resource_keys(self, username: str, whose: str = "victim") -> dict[str, str]:
        """resource -> the key of one of its records that is `whose` for this user (tables
        without an area, such as the policy parameters, belong to the whole county: their
        first row)."""
        return self._remember(("keys", username, whose), lambda: self._resource_keys(self.actors[username], whose))

    def _resource_keys(self, actor: Actor, whose: str) -> dict[str, str]:
        keys = {}
        with Session(self.engine) as s:
            for name, resource in REGISTRY.items():
                for row in s.exec(select(resource.model).order_by(getattr(resource.model, resource.key))).all():
                    area = getattr(row, resource.area_field) if resource.area_field else None
                    if resource.area_field is None or self._belongs(actor, whose, area, None, None):
                        keys[name] = str(getattr(row, resource.key))
                        break
        return keys

    def aim(self, username: str, whose: str = "victim") -> Aim:
        """Arguments' target for this user: its victims' (or its own) records, a place and a person."""
        return self._remember(("aim", username, whose), lambda: self._aim(username, whose))

    def _aim(self, username: str, whose: str) -> Aim:
        ids = self.records(username, whose)
        household = (ids["household"] or [0])[0]
        head = self.rows("select head_name, head_id_number, area_code from household where id = :id", id=household)
        head_name, head_id, village = head[0] if head else ("", "", XINMIN)
        township = village[:9] + "000"
        names = dict(self.rows("select code, name from area where code in (:t, :v)", t=township, v=village))
        return Aim(ids=ids, township=township, village=village, township_name=names.get(township, ""),
                   village_name=names.get(village, ""), head_name=head_name, head_id_number=head_id)

    # ---- a clean county after each call that legitimately wrote ----

    def save(self) -> None:
        with closing(sqlite3.connect(self.path)) as live, closing(sqlite3.connect(self.path + ".clean")) as copy:
            live.backup(copy)

    def restore(self) -> None:
        with closing(sqlite3.connect(self.path + ".clean")) as copy, closing(sqlite3.connect(self.path)) as live:
            copy.backup(live)


def county_url(folder) -> str:
    return f"sqlite:///{folder / 'county.db'}"


def build_county(folder) -> County:
    """Migrate, seed and sign everyone in; the caller points DATABASE_URL at county_url(folder)
    first (the handlers open their own units of work)."""
    path = str(folder / "county.db")
    county = County(url=county_url(folder), path=path)
    migrations.upgrade(county.url)
    today = today_in_china()
    with unit_of_work(county.engine) as s:
        seed_demo(s)
        _add_must_change_user(s)
    with unit_of_work(county.engine) as s:
        for username in USERNAMES:
            county.actors[username] = auth.actor_for(s, s.exec(select(User).where(User.username == username)).one())
    with unit_of_work(county.engine) as s:
        _open_meeting(s, county.actors["xinmin"], XINMIN, FENGHUANG, today)
        _open_meeting(s, county.actors["shaping"], SHAPING, HONGYAN, today)
        for area in (FENGHUANG, HONGYAN):
            s.add(ServiceStation(name=f"服务点{area}", level="point", area_code=area, address="村委会",
                                 contact_person="联络员", phone="02374510001"))
            s.add(MonthlyReport(period=previous_month(today), area_code=area[:9] + "000", status="done",
                                progress=100, figures="{}", pdf=b"%PDF-1.4 sweep", xlsx=b"PK sweep"))
    for username in USERNAMES:
        with unit_of_work(county.engine) as s:
            signed = auth.login(s, username, DEMO_PASSWORD)
            assert signed.actor is not None, (username, signed.message)
            county.tokens[username] = signed.token
    with unit_of_work(county.engine) as s:
        county.ended_token = auth.login(s, "xinmin", DEMO_PASSWORD).token
    with unit_of_work(county.engine) as s:
        auth.logout(s, county.ended_token)
    county.save()
    return county


def _add_must_change_user(session: Session) -> None:
    user = User(username=MUST_CHANGE, display_name="钟仁（新民镇，密码已重置）", area_code=XINMIN,
                password_hash=security.hash_password(DEMO_PASSWORD), must_change_password=True)
    session.add(user)
    session.flush()
    session.add(UserRole(user_id=user.id, role=roles.TOWNSHIP_STAFF))


def _open_meeting(session: Session, actor: Actor, township: str, village: str, today: date) -> None:
    """This month's meeting, not yet held: every agenda and minutes handler can still act on it.
    Its agenda carries a hard case of one of the township's households."""
    household = session.connection().exec_driver_sql(
        "select id from household where area_code = ? order by id desc limit 1", (village,)).scalar_one()
    meetings.raise_hard_case(session, actor=actor, household_id=household, note="多项救助叠加仍困难", today=today)
    meeting_id = meetings.create_meeting(session, actor=actor, area_code=township, month=today.replace(day=1),
                                         planned_on=today, place="镇政府会议室", chair_name=actor.display_name,
                                         unit_ids=[], today=today)
    meetings.add_item(session, actor=actor, meeting_id=meeting_id, title="冬季送温暖", detail="",
                      household_id=household)
