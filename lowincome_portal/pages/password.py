"""Change one's own password (also where a reset password must be replaced)."""

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..db.uow import unit_of_work
from ..services import auth
from ..state.base import SessionState, protected


class PasswordState(SessionState):
    @rx.event
    def on_enter(self):
        _actor, redirect = self._enter("account.password")
        return redirect

    @rx.event
    @protected("account.password")
    def change(self, actor, form_data: dict):
        with unit_of_work() as session:
            auth.change_password(session, actor=actor, token=self.token,
                                 old=str(form_data.get("old", "")),
                                 new=str(form_data.get("new", "")),
                                 confirm=str(form_data.get("confirm", "")))
        self.notice = ""
        self.info = "密码已修改，其他设备上的登录已退出"
        if actor.must_change_password:
            return rx.redirect(routes.HOME)
        return None


def password_page() -> rx.Component:
    return shell(
        "修改密码",
        rx.cond(SessionState.notice != "", rx.callout(SessionState.notice, icon="info")),
        rx.form(
            rx.vstack(
                rx.text("原密码", size="2"),
                rx.input(name="old", id="old-password", type="password", width="20em"),
                rx.text("新密码（至少 8 位，须含字母和数字）", size="2"),
                rx.input(name="new", id="new-password", type="password", width="20em"),
                rx.text("再次输入新密码", size="2"),
                rx.input(name="confirm", id="confirm-password", type="password", width="20em"),
                rx.button("确认修改", type="submit", id="change-password-button"),
                spacing="2",
            ),
            on_submit=PasswordState.change,
            reset_on_submit=True,
        ),
    )
