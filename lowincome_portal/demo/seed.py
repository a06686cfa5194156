"""The demo county (垫江县, sample data): areas, partner organisations, one login per role,
a dated policy series, fifteen demo households, applications at every stage of intake,
last month's joint meeting, needs and referrals at every stage, and warnings from last
month's medical-insurance file at every step of their loop.

Idempotent: running it again adds only what is missing. The areas are a sample to be
replaced by the county's own list (`lowincome-portal load-areas FILE.csv`).
"""

from dataclasses import dataclass
from importlib import resources

from sqlmodel import Session, select

from ..db.tables import Organisation, User, UserRole
from ..domain import referrals as referral_rules
from ..domain import roles
from ..services import areas as area_service
from ..services import audit, monitoring_rules, parameters, security
from .applications import seed_demo_applications
from .households import seed_demo_households
from .meetings import seed_demo_meeting
from .monitoring import seed_demo_warnings
from .referrals import seed_demo_referrals
from .policy_series import seed_policy_series

DEMO_PASSWORD = "Demo2026pass"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    area_code: str | None = None
    org_name: str | None = None


# (name, kind, contact, assistance kinds offered). Every demo partner serves the whole county
# (no areas), so the demo pool reaches both charities wherever the household lives.
ORGANISATIONS = (
    ("垫江县慈善会", "charity", "刘慧", ("charity_aid", "temporary", "education")),
    ("垫江县启航社会工作服务中心", "social_org", "周洁", ("social_service",)),
    ("垫江县医疗保障局", "department", "何平", ("medical",)),
    ("垫江县教育委员会", "department", "罗静", ("education",)),
    # a second charity, so two partners see one pool item (and race for it) in the demo
    ("重庆市垫江县红十字会", "charity", "吴静", ("charity_aid", "temporary", "medical")),
)

COUNTY = "500231000000"
LOGINS = (
    DemoLogin("admin", "系统管理员", roles.ADMIN, COUNTY),
    DemoLogin("minzheng", "张敏（县民政局）", roles.COUNTY_CIVIL, COUNTY),
    DemoLogin("nongye", "李强（县农业农村委）", roles.COUNTY_AGRI, COUNTY),
    DemoLogin("xinmin", "王芳（新民镇）", roles.TOWNSHIP_STAFF, "500231100000"),
    DemoLogin("shaping", "陈刚（沙坪镇）", roles.TOWNSHIP_STAFF, "500231101000"),
    DemoLogin("fenghuang", "赵丽（新民镇凤凰村）", roles.VILLAGE_STAFF, "500231100200"),
    DemoLogin("cishan", "刘慧（县慈善会）", roles.PARTNER, org_name="垫江县慈善会"),
    DemoLogin("hongshizi", "吴静（县红十字会）", roles.PARTNER, org_name="重庆市垫江县红十字会"),
    DemoLogin("lingdao", "孙伟（县领导）", roles.LEADER, COUNTY),
)


def seed_demo(session: Session, households: bool = True) -> list[DemoLogin]:
    """Load the sample county and the demo accounts (and, unless told not to, the demo
    households); returns the logins."""
    parameters.seed_defaults(session)
    monitoring_rules.seed_defaults(session)
    seed_policy_series(session)
    text = resources.files("lowincome_portal.demo").joinpath("dianjiang_areas_sample.csv").read_text("utf-8")
    report = area_service.import_areas(session, actor=None, text=text, sample=True)
    if not report.ok:
        raise RuntimeError(f"demo areas do not load: {report.errors[:3]}")
    orgs = _seed_organisations(session)
    existing = set(session.exec(select(User.username)).all())
    # One hash serves every demo account (same demo password; argon2 is slow on purpose).
    demo_hash = security.hash_password(DEMO_PASSWORD)
    for login in LOGINS:
        if login.username in existing:
            continue
        user = User(username=login.username, display_name=login.display_name,
                    password_hash=demo_hash, area_code=login.area_code,
                    org_id=orgs[login.org_name].id if login.org_name else None,
                    must_change_password=False)
        session.add(user)
        session.flush()
        session.add(UserRole(user_id=user.id, role=login.role))
        audit.record(session, actor=None, action="create", entity="user", entity_id=user.id,
                     username="system", new={"username": login.username, "roles": [login.role]},
                     note="演示账号")
    if households:
        seed_demo_households(session)
        session.flush()
        seed_demo_applications(session)
        session.flush()
        seed_demo_meeting(session)
        seed_demo_referrals(session)
        session.flush()
        seed_demo_warnings(session)
    return list(LOGINS)


def _seed_organisations(session: Session) -> dict[str, Organisation]:
    """The demo partners by name: missing ones added; one that offers nothing yet (a database
    seeded before referrals) is given its demo kinds. A county's own settings are kept."""
    orgs = {o.name: o for o in session.exec(select(Organisation)).all()}
    for name, kind, contact, offered in ORGANISATIONS:
        kinds = referral_rules.codes_text(offered)
        org = orgs.get(name)
        if org is None:
            org = Organisation(name=name, kind=kind, contact_person=contact, assistance_kinds=kinds)
            session.add(org)
            session.flush()
            orgs[name] = org
            audit.record(session, actor=None, action="create", entity="organisation", entity_id=org.id,
                         username="system", new={"name": name, "kind": kind, "assistance_kinds": kinds},
                         note="演示数据")
        elif not org.assistance_kinds.strip():
            org.assistance_kinds = kinds
            session.add(org)
            audit.record(session, actor=None, action="update", entity="organisation", entity_id=org.id,
                         username="system", old={"assistance_kinds": ""}, new={"assistance_kinds": kinds},
                         note="演示数据：提供的救助类别")
    return orgs


def logins_text() -> str:
    lines = ["演示账号（所有账号密码相同）：", f"  密码：{DEMO_PASSWORD}"]
    for login in LOGINS:
        place = login.org_name or ""
        lines.append(f"  {roles.ROLE_LABELS[login.role]:<8}  用户名 {login.username:<10} {login.display_name} {place}")
    return "\n".join(lines)
