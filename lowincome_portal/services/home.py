"""The pending work each role sees on its home page.

Each capability registers what is pending for a role; a section appears only where
there is a real source of work for it.
"""

from collections.abc import Callable

from sqlmodel import Session, select

from .. import routes
from ..db.tables import User
from ..db.timeutil import as_utc, china_text, utcnow
from ..domain.permissions import Actor, can, require

Section = dict  # {"title": str, "items": list[str], "href": str}


def _locked_accounts(session: Session, actor: Actor) -> Section:
    now = utcnow()
    users = session.exec(select(User).where(User.locked_until.is_not(None))).all()
    items = [f"{u.display_name}（{u.username}）锁定至 {china_text(u.locked_until, '%H:%M')}"
             for u in users if as_utc(u.locked_until) > now]
    return {"title": "被锁定的账号", "items": items, "href": routes.USERS}


def _accounts_awaiting_first_login(session: Session, actor: Actor) -> Section:
    users = session.exec(select(User).where(User.must_change_password, ~User.disabled)).all()
    items = [f"{u.display_name}（{u.username}）尚未修改初始密码" for u in users]
    return {"title": "待启用的新账号", "items": items, "href": routes.USERS}


# (action that must be allowed, provider). Later capabilities add their own rows here.
PROVIDERS: list[tuple[str, Callable[[Session, Actor], Section]]] = [
    ("user.manage", _locked_accounts),
    ("user.manage", _accounts_awaiting_first_login),
]


def pending_work(session: Session, *, actor: Actor) -> list[Section]:
    """Sections of pending work for the actor's roles; any signed-in user may call it."""
    require(actor, "home.view")
    return [provider(session, actor) for action, provider in PROVIDERS if can(actor, action)]


def account_summary(session: Session, *, actor: Actor) -> dict:
    require(actor, "home.view")
    user = session.get(User, actor.user_id)
    return {
        "last_login": china_text(user.last_login_at) if user else "",
        "password_changed": china_text(user.password_changed_at) if user and user.password_changed_at else "从未修改",
    }
