"""The app: every page with its route and the check it runs on load."""

import reflex as rx

from . import routes
from .pages.areas import AreasState, areas_page
from .pages.audit import AuditState, audit_page
from .pages.home import HomeState, home_page
from .pages.login import LoginState, login_page
from .pages.password import PasswordState, password_page
from .pages.users import UsersState, users_page

app = rx.App()
app.add_page(login_page, route=routes.LOGIN, title="登录", on_load=LoginState.on_enter)
app.add_page(home_page, route=routes.HOME, title="首页", on_load=HomeState.on_enter)
app.add_page(password_page, route=routes.PASSWORD, title="修改密码", on_load=PasswordState.on_enter)
app.add_page(users_page, route=routes.USERS, title="账号管理", on_load=UsersState.on_enter)
app.add_page(audit_page, route=routes.AUDIT, title="审计日志", on_load=AuditState.on_enter)
app.add_page(areas_page, route=routes.AREAS, title="区划管理", on_load=AreasState.on_enter)
