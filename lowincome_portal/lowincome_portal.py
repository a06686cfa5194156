"""The app: every page with its route and the check it runs on load."""

import reflex as rx

from . import routes
from .pages.audit import AuditState, audit_page
from .pages.home import HomeState, home_page
from .pages.login import LoginState, login_page
from .pages.password import PasswordState, password_page
from .pages.resources.form import ResourceFormState, resource_edit_page
from .pages.resources.list import ResourceListState, resource_list_page
from .pages.resources.record import ResourceRecordState, resource_record_page
from .pages.users import UsersState, users_page

app = rx.App()
app.add_page(login_page, route=routes.LOGIN, title="登录", on_load=LoginState.on_enter)
app.add_page(home_page, route=routes.HOME, title="首页", on_load=HomeState.on_enter)
app.add_page(password_page, route=routes.PASSWORD, title="修改密码", on_load=PasswordState.on_enter)
app.add_page(users_page, route=routes.USERS, title="账号管理", on_load=UsersState.on_enter)
app.add_page(audit_page, route=routes.AUDIT, title="审计日志", on_load=AuditState.on_enter)
# The low-code pages, one set for every declared resource.
app.add_page(resource_list_page, route=routes.RESOURCE_LIST, title="数据管理",
             on_load=ResourceListState.on_enter)
app.add_page(resource_record_page, route=routes.RESOURCE_RECORD, title="数据管理",
             on_load=[ResourceRecordState.on_enter, ResourceFormState.on_enter])
app.add_page(resource_edit_page, route=routes.RESOURCE_EDIT, title="数据管理",
             on_load=ResourceFormState.on_enter)
