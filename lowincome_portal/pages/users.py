"""Account administration (admins): list, create, disable/enable, re-role, unlock, reset password."""

from typing import TypedDict

import reflex as rx

from ..components.shell import shell
from ..components.table import pager
from ..db.uow import unit_of_work
from ..domain.roles import ALL_ROLES, ROLE_LABELS
from ..services import users
from ..state.base import SessionState, protected

PAGE_SIZE = 20
ROLE_OPTIONS = [{"code": r, "label": ROLE_LABELS[r]} for r in ALL_ROLES]
NO_ORG = "0"


class UserRow(TypedDict):
    id: int
    username: str
    display_name: str
    roles_label: str
    place: str
    status: str
    disabled: bool
    locked: bool
    last_login: str


class Choice(TypedDict):
    value: str
    label: str


class UsersState(SessionState):
    rows: list[UserRow] = []
    total: int = 0
    page: int = 1
    search: str = ""
    area_choices: list[Choice] = []
    org_choices: list[Choice] = []
    # The account form: "" (closed), "create" or "edit".
    form_mode: str = ""
    form_user_id: int = 0
    form_username: str = ""
    form_roles: list[str] = []
    form_area: str = ""
    form_org: str = NO_ORG
    # A password to hand over once, with whose it is.
    issued_password: str = ""
    issued_for: str = ""

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("user.view")
        if actor is not None:
            self.form_mode = self.issued_password = self.issued_for = ""
            self._reload(actor)
            with unit_of_work() as session:
                self.area_choices = [Choice(value=a["code"], label=a["label"])
                                     for a in users.area_choices(session, actor=actor)]
                self.org_choices = [Choice(value=str(o["id"]), label=o["label"])
                                    for o in users.organisation_choices(session, actor=actor)]
        return redirect

    def _reload(self, actor) -> None:
        with unit_of_work() as session:
            rows, self.total = users.list_users(session, actor=actor, search=self.search,
                                                page=self.page, page_size=PAGE_SIZE)
        self.rows = [UserRow(**{k: r[k] for k in UserRow.__annotations__}) for r in rows]

    @rx.event
    @protected("user.view")
    def apply_search(self, actor, form_data: dict):
        self.search = str(form_data.get("search", ""))[:50]
        self.page = 1
        self._reload(actor)

    @rx.event
    @protected("user.view")
    def prev_page(self, actor):
        self.page = max(1, self.page - 1)
        self._reload(actor)

    @rx.event
    @protected("user.view")
    def next_page(self, actor):
        self.page = min(self.page_count, self.page + 1)
        self._reload(actor)

    # --- the account form -------------------------------------------------------------

    @rx.event
    @protected("user.manage")
    def open_create(self, actor):
        self.form_mode, self.form_user_id, self.form_username = "create", 0, ""
        self.form_roles, self.form_area, self.form_org = [], "", NO_ORG

    @rx.event
    @protected("user.manage")
    def open_edit(self, actor, user_id: int):
        with unit_of_work() as session:
            account = users.account_for_edit(session, actor=actor, user_id=int(user_id))
        self.form_mode, self.form_user_id = "edit", account["id"]
        self.form_username = account["username"]
        self.form_roles = account["roles"]
        self.form_area = account["area_code"]
        self.form_org = str(account["org_id"] or NO_ORG)

    @rx.event
    def close_form(self):
        self.form_mode = ""

    @rx.event
    def toggle_role(self, role: str):
        # Only shapes the open form; the service checks everything on submit.
        if role in self.form_roles:
            self.form_roles = [r for r in self.form_roles if r != role]
        elif role in ROLE_LABELS:
            self.form_roles = [*self.form_roles, role]

    @rx.event
    def set_form_area(self, code: str):
        self.form_area = str(code)[:12]

    @rx.event
    def set_form_org(self, org_id: str):
        self.form_org = str(org_id)[:12]

    def _form_binding(self) -> dict:
        org = int(self.form_org) if self.form_org.isdigit() and self.form_org != NO_ORG else None
        return {"roles": frozenset(self.form_roles), "area_code": self.form_area or None,
                "org_id": org}

    @rx.event
    @protected("user.manage")
    def submit_form(self, actor, form_data: dict):
        binding = self._form_binding()
        with unit_of_work() as session:
            if self.form_mode == "create":
                form = users.AccountForm(
                    username=str(form_data.get("username", "")),
                    display_name=str(form_data.get("display_name", "")),
                    phone=str(form_data.get("phone", "")), **binding)
                _user_id, password = users.create_user(session, actor=actor, form=form)
                self.issued_for, self.issued_password = form.username.strip().lower(), password
                self.info = f"账号 {self.issued_for} 已创建"
            else:
                users.set_roles(session, actor=actor, user_id=self.form_user_id, **binding)
                self.info = f"账号 {self.form_username} 的角色和区域已更新，该用户需重新登录"
        self.form_mode = ""
        self._reload(actor)

    # --- row actions --------------------------------------------------------------------

    @rx.event
    @protected("user.manage")
    def disable(self, actor, user_id: int):
        with unit_of_work() as session:
            users.set_disabled(session, actor=actor, user_id=int(user_id), disabled=True)
        self.info = "账号已停用，其登录已全部失效"
        self._reload(actor)

    @rx.event
    @protected("user.manage")
    def enable(self, actor, user_id: int):
        with unit_of_work() as session:
            users.set_disabled(session, actor=actor, user_id=int(user_id), disabled=False)
        self.info = "账号已启用"
        self._reload(actor)

    @rx.event
    @protected("user.manage")
    def unlock(self, actor, user_id: int):
        with unit_of_work() as session:
            users.unlock(session, actor=actor, user_id=int(user_id))
        self.info = "账号已解锁"
        self._reload(actor)

    @rx.event
    @protected("user.manage")
    def reset_password(self, actor, user_id: int):
        with unit_of_work() as session:
            password = users.reset_password(session, actor=actor, user_id=int(user_id))
            username = users.account_for_edit(session, actor=actor, user_id=int(user_id))["username"]
        self.issued_for, self.issued_password = username, password
        self.info = f"账号 {username} 的密码已重置"
        self._reload(actor)


def _row_actions(row: UserRow) -> rx.Component:
    return rx.hstack(
        rx.button("调整角色", size="1", variant="soft", on_click=UsersState.open_edit(row["id"])),
        rx.button("重置密码", size="1", variant="soft", color_scheme="orange",
                  on_click=UsersState.reset_password(row["id"])),
        rx.cond(row["locked"],
                rx.button("解锁", size="1", variant="soft", on_click=UsersState.unlock(row["id"]))),
        rx.cond(row["disabled"],
                rx.button("启用", size="1", variant="soft", color_scheme="green",
                          on_click=UsersState.enable(row["id"])),
                rx.button("停用", size="1", variant="soft", color_scheme="red",
                          on_click=UsersState.disable(row["id"]))),
        spacing="1",
        wrap="wrap",
    )


def _table() -> rx.Component:
    columns = [("username", "用户名"), ("display_name", "姓名"), ("roles_label", "角色"),
               ("place", "所属区域/机构"), ("status", "状态"), ("last_login", "上次登录")]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(label) for _, label in columns],
                                     rx.table.column_header_cell("操作"))),
        rx.table.body(rx.foreach(UsersState.rows, lambda row: rx.table.row(
            *[rx.table.cell(rx.text(row[key], size="2")) for key, _ in columns],
            rx.table.cell(_row_actions(row)),
            id="user-row-" + row["username"],
        ))),
        variant="surface", size="1", width="100%", id="users-table",
    )


def _account_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(rx.cond(UsersState.form_mode == "create", "新建账号",
                                   "调整角色：" + UsersState.form_username), size="3"),
                rx.cond(
                    UsersState.form_mode == "create",
                    rx.hstack(
                        rx.input(name="username", id="form-username", placeholder="用户名（小写字母开头）"),
                        rx.input(name="display_name", id="form-display-name", placeholder="姓名"),
                        rx.input(name="phone", id="form-phone", placeholder="联系电话（可选）"),
                        spacing="2",
                    ),
                ),
                rx.text("角色（可多选，须属同一层级）", size="2", weight="medium"),
                rx.hstack(
                    *[rx.checkbox(o["label"], checked=UsersState.form_roles.contains(o["code"]),
                                  on_change=UsersState.toggle_role(o["code"]),
                                  ) for o in ROLE_OPTIONS],
                    spacing="3", wrap="wrap",
                ),
                rx.hstack(
                    rx.text("所属区域", size="2"),
                    rx.select.root(
                        rx.select.trigger(placeholder="选择区域（机构账号不选）", id="form-area"),
                        rx.select.content(rx.foreach(UsersState.area_choices, lambda c: rx.select.item(
                            c["label"], value=c["value"]))),
                        value=UsersState.form_area, on_change=UsersState.set_form_area,
                    ),
                    rx.text("所属机构", size="2"),
                    rx.select.root(
                        rx.select.trigger(placeholder="选择机构", id="form-org"),
                        rx.select.content(
                            rx.select.item("（无）", value=NO_ORG),
                            rx.foreach(UsersState.org_choices, lambda c: rx.select.item(
                                c["label"], value=c["value"]))),
                        value=UsersState.form_org, on_change=UsersState.set_form_org,
                    ),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.hstack(
                    rx.button("保存", type="submit", id="form-submit"),
                    rx.button("取消", type="button", variant="outline", on_click=UsersState.close_form),
                ),
                spacing="3",
            ),
            on_submit=UsersState.submit_form,
            reset_on_submit=False,
        ),
        width="100%",
        id="account-form",
    )


def users_page() -> rx.Component:
    return shell(
        "账号管理",
        rx.cond(
            UsersState.issued_password != "",
            rx.callout(
                rx.text("账号 ", rx.code(UsersState.issued_for), " 的临时密码：",
                        rx.code(UsersState.issued_password, id="issued-password"),
                        "。请当面交给本人，首次登录须修改；离开本页后不再显示。"),
                icon="key_round", color_scheme="amber",
            ),
        ),
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.input(name="search", placeholder="按用户名或姓名搜索", id="user-search",
                             default_value=UsersState.search),
                    rx.button("搜索", type="submit", variant="outline"),
                ),
                on_submit=UsersState.apply_search,
                reset_on_submit=False,
            ),
            rx.spacer(),
            rx.button("新建账号", on_click=UsersState.open_create, id="new-user-button"),
            width="100%",
        ),
        rx.cond(UsersState.form_mode != "", _account_form()),
        _table(),
        pager(UsersState.page, UsersState.page_count, UsersState.total,
              UsersState.prev_page, UsersState.next_page),
    )
