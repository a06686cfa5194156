"""Account administration: create, disable, re-role, unlock and reset passwords.

Only admins may call these, and only for accounts inside their area (an admin is bound
to the county, so in practice: every account of the county and every partner account).
"""

import re
from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, or_, select

from ..db.tables import Area, Organisation, User, UserRole
from ..db.timeutil import as_utc, china_text, utcnow
from ..domain import areas
from ..domain.errors import NotFound, ValidationError
from ..domain.passwords import password_problem
from ..domain.permissions import Actor, Scope, require
from ..domain.roles import ADMIN, ROLE_LABELS, binding_problem
from . import audit, security
from .auth import end_user_sessions, roles_of

USERNAME = re.compile(r"^[a-z][a-z0-9_.]{2,31}$")
MSG_USERNAME = "用户名须为 3-32 位小写字母、数字、下划线或点，且以字母开头"
MSG_USERNAME_TAKEN = "用户名“{username}”已被使用"
MSG_NAME = "请填写姓名（50 字以内）"
MSG_AREA_UNKNOWN = "所选区域不存在"
MSG_ORG_UNKNOWN = "所选机构不存在或已停用"
MSG_SELF_DISABLE = "不能停用自己的账号"
MSG_SELF_ADMIN = "不能取消自己的系统管理员角色"


@dataclass(frozen=True)
class AccountForm:
    username: str
    display_name: str
    roles: frozenset[str]
    area_code: str | None = None
    org_id: int | None = None
    phone: str = ""
    password: str = ""  # empty: the system makes a temporary one


def _scope(user: User) -> Scope:
    # An account with neither area nor organisation belongs to the county as a whole.
    return Scope(area_code=user.area_code, org_id=user.org_id) if (
        user.area_code or user.org_id) else Scope()


def _load(session: Session, actor: Actor, user_id: int, action: str = "user.manage") -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("账号不存在")
    require(actor, action, _scope(user))
    return user


def _check_binding(session: Session, roles: frozenset[str], area_code: str | None,
                   org_id: int | None) -> None:
    area_level = None
    if area_code:
        area = session.get(Area, area_code)
        if area is None:
            raise ValidationError(MSG_AREA_UNKNOWN)
        area_level = area.level
    if org_id is not None:
        org = session.get(Organisation, org_id)
        if org is None or not org.active:
            raise ValidationError(MSG_ORG_UNKNOWN)
    problem = binding_problem(set(roles), area_level, org_id is not None)
    if problem:
        raise ValidationError(problem)


def create_user(session: Session, *, actor: Actor, form: AccountForm) -> tuple[int, str]:
    """Create an account; returns (id, the initial password to hand over once).
    The user must change the password at first sign-in. Admins only."""
    require(actor, "user.manage", Scope(area_code=form.area_code, org_id=form.org_id)
            if (form.area_code or form.org_id) else None)
    username = (form.username or "").strip().lower()
    if not USERNAME.match(username):
        raise ValidationError(MSG_USERNAME)
    name = (form.display_name or "").strip()
    if not name or len(name) > 50:
        raise ValidationError(MSG_NAME)
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise ValidationError(MSG_USERNAME_TAKEN.format(username=username))
    _check_binding(session, form.roles, form.area_code, form.org_id)
    password = form.password or security.temporary_password()
    problem = password_problem(password, username)
    if problem:
        raise ValidationError(problem)
    user = User(username=username, display_name=name, password_hash=security.hash_password(password),
                area_code=form.area_code or None, org_id=form.org_id, phone=form.phone.strip()[:30],
                must_change_password=True)
    session.add(user)
    session.flush()
    for role in sorted(form.roles):
        session.add(UserRole(user_id=user.id, role=role))
    audit.record(session, actor=actor, action="create", entity="user", entity_id=user.id,
                 new={"username": username, "display_name": name, "roles": form.roles,
                      "area_code": user.area_code, "org_id": user.org_id})
    return user.id, password


def set_disabled(session: Session, *, actor: Actor, user_id: int, disabled: bool) -> None:
    """Disable (ending every live session at once) or re-enable an account. Admins only."""
    user = _load(session, actor, user_id)
    if disabled and user.id == actor.user_id:
        raise ValidationError(MSG_SELF_DISABLE)
    if user.disabled == disabled:
        return
    user.disabled = disabled
    session.add(user)
    if disabled:
        end_user_sessions(session, user.id, "disabled")
    audit.record(session, actor=actor, action="disable" if disabled else "enable", entity="user",
                 entity_id=user.id, old={"disabled": not disabled}, new={"disabled": disabled})


def set_roles(session: Session, *, actor: Actor, user_id: int, roles: frozenset[str],
              area_code: str | None, org_id: int | None) -> None:
    """Change an account's roles and the area or organisation it is bound to. Admins only."""
    user = _load(session, actor, user_id)
    require(actor, "user.manage", Scope(area_code=area_code, org_id=org_id)
            if (area_code or org_id) else None)
    old_roles = roles_of(session, user.id)
    if user.id == actor.user_id and ADMIN in old_roles and ADMIN not in roles:
        raise ValidationError(MSG_SELF_ADMIN)
    _check_binding(session, roles, area_code, org_id)
    old = {"roles": old_roles, "area_code": user.area_code, "org_id": user.org_id}
    new = {"roles": roles, "area_code": area_code or None, "org_id": org_id}
    if old == new:
        return
    session.exec(delete(UserRole).where(UserRole.user_id == user.id))
    for role in sorted(roles):
        session.add(UserRole(user_id=user.id, role=role))
    user.area_code, user.org_id = area_code or None, org_id
    session.add(user)
    # Live sessions carry the old scope in the page; make the user sign in again.
    end_user_sessions(session, user.id, "roles")
    old_diff, new_diff = audit.changes(old, new)
    audit.record(session, actor=actor, action="roles_change", entity="user", entity_id=user.id,
                 old=old_diff, new=new_diff)


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """Give an account a new temporary password (returned once), unlock it, end its
    sessions, and make the user change it at next sign-in. Admins only."""
    user = _load(session, actor, user_id)
    password = security.temporary_password()
    user.password_hash = security.hash_password(password)
    user.must_change_password = True
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    end_user_sessions(session, user.id, "password")
    audit.record(session, actor=actor, action="password_reset", entity="user", entity_id=user.id)
    return password


def unlock(session: Session, *, actor: Actor, user_id: int) -> None:
    """Lift a lockout before it runs out. Admins only."""
    user = _load(session, actor, user_id)
    if user.locked_until is None and user.failed_attempts == 0:
        return
    old = {"locked_until": user.locked_until, "failed_attempts": user.failed_attempts}
    user.locked_until = None
    user.failed_attempts = 0
    session.add(user)
    audit.record(session, actor=actor, action="unlock", entity="user", entity_id=user.id, old=old,
                 new={"locked_until": None, "failed_attempts": 0})


def list_users(session: Session, *, actor: Actor, search: str = "", page: int = 1,
               page_size: int = 50) -> tuple[list[dict], int]:
    """A page of accounts matching a search on username or name. Admins only."""
    require(actor, "user.view")
    query = select(User)
    term = search.strip()
    if term:
        # autoescape: "%" and "_" typed in the box are searched for, not used as wildcards
        query = query.where(or_(col(User.username).contains(term, autoescape=True),
                                col(User.display_name).contains(term, autoescape=True)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    users = session.exec(query.order_by(User.username).offset((page - 1) * page_size)
                         .limit(page_size)).all()
    ids = [u.id for u in users]
    roles: dict[int, list[str]] = {i: [] for i in ids}
    for user_id, role in session.exec(select(UserRole.user_id, UserRole.role)
                                      .where(col(UserRole.user_id).in_(ids))).all():
        roles[user_id].append(role)
    area_names = _names(session, Area, {u.area_code for u in users if u.area_code})
    org_names = _names(session, Organisation, {u.org_id for u in users if u.org_id})
    now = utcnow()
    rows = []
    for u in users:
        locked = as_utc(u.locked_until)
        rows.append({
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "roles": sorted(roles[u.id]),
            "roles_label": "、".join(ROLE_LABELS.get(r, r) for r in sorted(roles[u.id])),
            "area_code": u.area_code or "",
            "org_id": u.org_id or 0,
            "place": area_names.get(u.area_code, "") or org_names.get(u.org_id, ""),
            "status": "已停用" if u.disabled else ("锁定中" if locked and locked > now else "正常"),
            "disabled": u.disabled,
            "locked": bool(locked and locked > now),
            "must_change_password": u.must_change_password,
            "last_login": china_text(u.last_login_at),
        })
    return rows, total


def _names(session: Session, table, keys: set) -> dict:
    if not keys:
        return {}
    key_col = table.code if table is Area else table.id
    return {k: n for k, n in session.exec(select(key_col, table.name).where(col(key_col).in_(keys)))}


def area_choices(session: Session, *, actor: Actor) -> list[dict]:
    """Areas an admin may bind accounts to, in code order, with their level."""
    require(actor, "user.manage")
    rows = session.exec(select(Area).order_by(Area.code)).all()
    return [{"code": a.code, "label": f"{'　' * _depth(a.level)}{a.name}（{areas.LEVEL_LABELS[a.level]}）",
             "level": a.level} for a in rows if actor.area_code and areas.contains(actor.area_code, a.code)]


def _depth(level: str) -> int:
    return {areas.COUNTY: 0, areas.TOWNSHIP: 1, areas.VILLAGE: 2}[level]


def organisation_choices(session: Session, *, actor: Actor) -> list[dict]:
    require(actor, "user.manage")
    rows = session.exec(select(Organisation).where(Organisation.active).order_by(Organisation.name)).all()
    return [{"id": o.id, "label": o.name} for o in rows]


def account_for_edit(session: Session, *, actor: Actor, user_id: int) -> dict:
    """One account's binding, for the role form. Admins only."""
    user = _load(session, actor, user_id)
    return {"id": user.id, "username": user.username, "roles": sorted(roles_of(session, user.id)),
            "area_code": user.area_code or "", "org_id": user.org_id}
