"""The demo county (垫江县, sample data): areas, partner organisations, one login per role,
a dated policy series, fifteen demo households, applications at every stage of intake and last month's joint meeting.

Idempotent: running it again adds only what is missing. The areas are a sample to be
replaced by the county's own list (`lowincome-portal load-areas FILE.csv`).
"""

from dataclasses import dataclass
from importlib import resources

from sqlmodel import Session, select

from ..db.tables import Organisation, User, UserRole
from ..domain import roles
from ..services import areas as area_service
from ..services import audit, parameters, security
from .applications import seed_demo_applications
from .households import seed_demo_households
from .meetings import seed_demo_meeting
from .policy_series import seed_policy_series

DEMO_PASSWORD = "Demo2026pass"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    area_code: str | None = None
    org_name: str | None = None


ORGANISATIONS = (
    ("垫江县慈善会", "charity", "刘慧"),
    ("垫江县启航社会工作服务中心", "social_org", "周洁"),
    ("垫江县医疗保障局", "department", "何平"),
    ("垫江县教育委员会", "department", "罗静"),
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
    DemoLogin("lingdao", "孙伟（县领导）", roles.LEADER, COUNTY),
)


def seed_demo(session: Session, households: bool = True) -> list[DemoLogin]:
    """Load the sample county and the demo accounts (and, unless told not to, the demo
    households); returns the logins."""
    parameters.seed_defaults(session)
    seed_policy_series(session)
    text = resources.files("lowincome_portal.demo").joinpath("dianjiang_areas_sample.csv").read_text("utf-8")
    report = area_service.import_areas(session, actor=None, text=text, sample=True)
    if not report.ok:
        raise RuntimeError(f"demo areas do not load: {report.errors[:3]}")
    orgs = {o.name: o for o in session.exec(select(Organisation)).all()}
    for name, kind, contact in ORGANISATIONS:
        if name not in orgs:
            org = Organisation(name=name, kind=kind, contact_person=contact)
            session.add(org)
            session.flush()
            orgs[name] = org
            audit.record(session, actor=None, action="create", entity="organisation", entity_id=org.id,
                         username="system", new={"name": name, "kind": kind}, note="演示数据")
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
    return list(LOGINS)


def logins_text() -> str:
    lines = ["演示账号（所有账号密码相同）：", f"  密码：{DEMO_PASSWORD}"]
    for login in LOGINS:
        place = login.org_name or ""
        lines.append(f"  {roles.ROLE_LABELS[login.role]:<8}  用户名 {login.username:<10} {login.display_name} {place}")
    return "\n".join(lines)
