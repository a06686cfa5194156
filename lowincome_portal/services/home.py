"""The pending work each role sees on its home page.

Each capability registers what is pending for a role; a section appears only where
there is a real source of work for it.
"""

from collections.abc import Callable

from sqlmodel import Session, and_, exists, func, select

from .. import routes
from ..db.tables import EconomicStatus, Household, User
from ..domain import areas
from ..db.timeutil import as_utc, china_text, utcnow
from ..domain.permissions import Actor, can, require

Section = dict  # {"title": str, "items": list[str], "href": str, optional "count": int (default len(items))}


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


SHOWN = 10


def _households_without_economic_status(session: Session, actor: Actor) -> Section:
    """Registered households in the actor's area with no economic status yet: the next visit's work."""
    prefix = areas.significant_prefix(actor.area_code) if actor.area_code else None
    items: list[str] = []
    total = 0
    if prefix:
        low, high = prefix.ljust(12, "0"), prefix.ljust(12, "9")
        missing = (select(Household.head_name, Household.address)
                   .where(Household.status == "active", and_(Household.area_code >= low, Household.area_code <= high),
                          # NOT EXISTS, not NOT IN: PostgreSQL probes the household_id index for
                          # each household of the area instead of reading the whole table
                          ~exists().where(EconomicStatus.household_id == Household.id)))
        total = session.exec(select(func.count()).select_from(missing.subquery())).one()
        rows = session.exec(missing.order_by(Household.area_code, Household.id).limit(SHOWN)).all()
        items = [f"{name}（{address}）" if address else name for name, address in rows]
        if total > SHOWN:
            items.append(f"等共 {total} 户")
    return {"title": "尚未录入家庭经济状况的家庭", "items": items, "href": routes.HOUSEHOLDS, "count": total}


def _my_work(session: Session, actor: Actor) -> Section:
    """The first cases of 我的待办: overdue and due-soon first (the list is sorted by due date)."""
    from .households import today_in_china
    from .worklist import my_work

    work = my_work(session, actor=actor, today=today_in_china(), limit=SHOWN)
    items = [f"{w['mark_text'] or w['due_on']} {w['text']}：{w['name']}（{w['place']}）" for w in work.items]
    if work.total > SHOWN:
        items.append(f"等共 {work.total} 项（超期 {work.overdue} 项，即将到期 {work.due_soon} 项）")
    return {"title": "我的待办", "items": items, "href": routes.TASKS, "count": work.total}


def _warnings(session: Session, actor: Actor) -> Section:
    """统一监测预警: how many warnings of the actor's area are open and how many overdue, then
    the first open ones (overdue first, then by deadline)."""
    from .households import today_in_china
    from .warnings import inbox

    today = today_in_china()
    open_ = inbox(session, actor=actor, filters={"status": "open"}, page_size=SHOWN, today=today)
    overdue = inbox(session, actor=actor, filters={"status": "open", "overdue": "1"}, page_size=1, today=today)
    items = [f"未办结 {open_['total']} 条，其中超期 {overdue['total']} 条"] if open_["total"] else []
    items += [f"{'已超期 ' + r['overdue_days'] + ' 天' if r['overdue'] else r['due_on'] + ' 前'} "
              f"{r['status_label']}：{r['head_name']}户 {r['rule_name']}（{r['village']}）" for r in open_["rows"]]
    return {"title": "监测预警", "items": items, "href": routes.WARNINGS, "count": open_["total"]}


# (action that must be allowed, provider). Later capabilities add their own rows here.
PROVIDERS: list[tuple[str, Callable[[Session, Actor], Section]]] = [
    ("user.manage", _locked_accounts),
    ("user.manage", _accounts_awaiting_first_login),
    ("worklist.view", _my_work),
    ("registry.edit", _households_without_economic_status),
    ("warning.view", _warnings),
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
