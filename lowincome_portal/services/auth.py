"""Sign-in, sign-out, session checks and password change.

Sign-in and session checks return outcomes instead of raising, because a refused
sign-in still has to be saved (the failure counter, the lockout, the audit entry).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, bindparam
from sqlmodel import Session, col, func, select

from ..db.tables import User, UserRole, UserSession
from ..db.timeutil import as_utc, china_text, utcnow
from ..domain.errors import ValidationError
from ..domain.passwords import password_problem
from ..domain.permissions import Actor, require
from . import audit, parameters, security

MSG_BAD_CREDENTIALS = "用户名或密码错误"
MSG_BAD_CREDENTIALS_LEFT = "用户名或密码错误，再错 {left} 次账号将被锁定 {minutes} 分钟"
MSG_NOW_LOCKED = "密码连续错误 {count} 次，账号已锁定，请 {minutes} 分钟后再试"
MSG_LOCKED = "账号已锁定，请于 {until} 后再试，或联系系统管理员解锁"
MSG_DISABLED = "账号已停用，请联系系统管理员"
MSG_EMPTY = "请输入用户名和密码"
MSG_NOT_SIGNED_IN = "请先登录"
MSG_INVALID_TOKEN = "登录状态无效，请重新登录"
MSG_ENDED = "您已退出登录，请重新登录"
# Why a session was ended by someone else, as the user is told on their next click.
MSG_ENDED_BECAUSE = {
    "disabled": MSG_DISABLED,
    "password": "账号密码已修改或被重置，请重新登录",
    "roles": "您的角色或工作区域已调整，请重新登录",
}
MSG_EXPIRED = "已超过 {minutes} 分钟无操作，登录已失效，请重新登录"
MSG_WRONG_OLD = "原密码不正确"
MSG_MISMATCH = "两次输入的新密码不一致"
MSG_SAME = "新密码不能与原密码相同"

# Writing last_seen on every click would turn every read into a write; a minute's
# precision is plenty for a 30-minute idle limit.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SignIn:
    actor: Actor | None
    token: str = ""
    message: str = ""


@dataclass(frozen=True)
class SessionCheck:
    actor: Actor | None
    message: str = ""


def roles_of(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(session.exec(select(UserRole.role).where(UserRole.user_id == user_id)).all())


def actor_for(session: Session, user: User) -> Actor:
    return _actor_of(user, roles_of(session, user.id))


def _actor_of(user: User, roles: frozenset[str]) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        area_code=user.area_code,
        org_id=user.org_id,
        must_change_password=user.must_change_password,
    )


def login(session: Session, username: str, password: str) -> SignIn:
    """Check a username and password; on success open a session and return its token.

    Counts consecutive failures and locks the account for the configured minutes after
    the configured number of failures. Anyone may call it.
    """
    username = (username or "").strip().lower()
    if not username or not password:
        return SignIn(None, message=MSG_EMPTY)
    now = utcnow()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        audit.record(session, actor=None, action="login_failed", entity="user",
                     username=username[:32], note="未知用户名")
        return SignIn(None, message=MSG_BAD_CREDENTIALS)
    if user.disabled:
        audit.record(session, actor=None, action="login_failed", entity="user",
                     entity_id=user.id, username=user.username, note="账号已停用")
        return SignIn(None, message=MSG_DISABLED)
    locked_until = as_utc(user.locked_until)
    if locked_until and locked_until > now:
        audit.record(session, actor=None, action="login_failed", entity="user",
                     entity_id=user.id, username=user.username, note="账号锁定中")
        return SignIn(None, message=MSG_LOCKED.format(until=china_text(locked_until, "%H:%M")))
    if not security.verify_password(user.password_hash, password):
        return _count_failure(session, user, now)

    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    token = security.new_token()
    session.add(UserSession(token_hash=security.token_hash(token), user_id=user.id,
                            created_at=now, last_seen_at=now))
    session.add(user)
    actor = actor_for(session, user)
    audit.record(session, actor=actor, action="login", entity="user", entity_id=user.id)
    return SignIn(actor, token=token)


def _count_failure(session: Session, user: User, now) -> SignIn:
    max_failures = int(parameters.value_on(session, "login_max_failures"))
    lock_minutes = int(parameters.value_on(session, "login_lockout_minutes"))
    user.failed_attempts += 1
    audit.record(session, actor=None, action="login_failed", entity="user", entity_id=user.id,
                 username=user.username, note=f"密码错误（第 {user.failed_attempts} 次）")
    if user.failed_attempts >= max_failures:
        user.locked_until = now + timedelta(minutes=lock_minutes)
        audit.record(session, actor=None, action="lock", entity="user", entity_id=user.id,
                     username=user.username, new={"locked_until": user.locked_until},
                     note=f"连续 {user.failed_attempts} 次密码错误")
        user.failed_attempts = 0
        session.add(user)
        return SignIn(None, message=MSG_NOW_LOCKED.format(count=max_failures, minutes=lock_minutes))
    session.add(user)
    left = max_failures - user.failed_attempts
    return SignIn(None, message=MSG_BAD_CREDENTIALS_LEFT.format(left=left, minutes=lock_minutes))


def _session_check_statement():
    """The session behind a token hash, its user, the user's roles and the idle limit in force
    on a day: one statement, because this runs on every click of every user."""
    roles = (select(func.aggregate_strings(UserRole.role, " "))
             .where(UserRole.user_id == UserSession.user_id).scalar_subquery())
    return (select(UserSession, User, roles,
                   parameters.in_force("session_idle_minutes", bindparam("today", type_=Date)))
            .join(User, col(User.id) == UserSession.user_id, isouter=True)
            .where(UserSession.token_hash == bindparam("token_hash")))


# Built once: SQLAlchemy keeps a statement's cache key on the statement itself, and building the
# check anew on every click (and keying it again) was 40% of the check's CPU.
_SESSION_CHECK = _session_check_statement()


def check_session(session: Session, token: str) -> SessionCheck:
    """The actor behind a browser's token, or why there is none.

    Ends sessions that idled past the limit or whose user was disabled. Forged,
    tampered and logged-out tokens match nothing and are refused.
    """
    if not token:
        return SessionCheck(None, MSG_NOT_SIGNED_IN)
    today = date.today()
    found = session.exec(_SESSION_CHECK,
                         params={"token_hash": security.token_hash(token), "today": today}).first()
    if found is None:
        return SessionCheck(None, MSG_INVALID_TOKEN)
    row, user, role_text, idle_value = found
    if row.ended_at is not None:
        return SessionCheck(None, MSG_ENDED_BECAUSE.get(row.end_reason, MSG_ENDED))
    now = utcnow()
    if user is None or user.disabled:
        _end(session, row, now, "disabled")
        return SessionCheck(None, MSG_DISABLED)
    idle_minutes = int(parameters.decimal_of("session_idle_minutes", today, idle_value))
    if now - as_utc(row.last_seen_at) > timedelta(minutes=idle_minutes):
        _end(session, row, now, "expired")
        audit.record(session, actor=None, action="session_end", entity="user", entity_id=user.id,
                     username=user.username, note=f"{idle_minutes} 分钟无操作，会话超时")
        return SessionCheck(None, MSG_EXPIRED.format(minutes=idle_minutes))
    if now - as_utc(row.last_seen_at) > _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return SessionCheck(_actor_of(user, frozenset((role_text or "").split())))


def _end(session: Session, row: UserSession, now, reason: str) -> None:
    row.ended_at = now
    row.end_reason = reason
    session.add(row)


def end_user_sessions(session: Session, user_id: int, reason: str, keep_token: str = "") -> int:
    """End every open session of a user (on disable, password change or reset)."""
    keep = security.token_hash(keep_token) if keep_token else None
    rows = session.exec(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    now = utcnow()
    ended = 0
    for row in rows:
        if row.token_hash != keep:
            _end(session, row, now, reason)
            ended += 1
    return ended


def logout(session: Session, token: str) -> None:
    """End the session behind this token (unknown tokens are ignored)."""
    if not token:
        return
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == security.token_hash(token))
    ).first()
    if row is None or row.ended_at is not None:
        return
    _end(session, row, utcnow(), "logout")
    user = session.get(User, row.user_id)
    audit.record(session, actor=actor_for(session, user) if user else None, action="logout",
                 entity="user", entity_id=row.user_id)


def change_password(session: Session, *, actor: Actor, token: str, old: str, new: str,
                    confirm: str) -> None:
    """Change the signed-in user's own password; ends their other sessions."""
    require(actor, "account.password")
    user = session.get(User, actor.user_id)
    if user is None or not security.verify_password(user.password_hash, old or ""):
        raise ValidationError(MSG_WRONG_OLD)
    if new != confirm:
        raise ValidationError(MSG_MISMATCH)
    if new == old:
        raise ValidationError(MSG_SAME)
    problem = password_problem(new or "", user.username)
    if problem:
        raise ValidationError(problem)
    user.password_hash = security.hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    session.add(user)
    end_user_sessions(session, user.id, "password", keep_token=token)
    audit.record(session, actor=actor, action="password_change", entity="user", entity_id=user.id)
