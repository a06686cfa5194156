"""The navigation menu as data: a label, a route and the action that must be allowed.
The menu a user sees is this list filtered by `permissions.can`."""

from . import routes
from .domain.permissions import Actor, can

MENU = (
    ("首页", routes.HOME, "home.view"),
    ("区划管理", routes.AREAS, "area.view"),
    ("账号管理", routes.USERS, "user.view"),
    ("审计日志", routes.AUDIT, "audit.view"),
    ("修改密码", routes.PASSWORD, "account.password"),
)


def menu_for(actor: Actor) -> list[dict[str, str]]:
    return [{"label": label, "href": href} for label, href, action in MENU if can(actor, action)]
