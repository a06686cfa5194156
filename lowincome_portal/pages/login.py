"""Sign-in page (public)."""

import asyncio

import reflex as rx

from .. import routes
from ..components.shell import APP_TITLE
from ..db.uow import unit_of_work
from ..services import auth
from ..state.base import SessionState


class LoginState(SessionState):
    @rx.event
    async def login(self, form_data: dict):
        """Anyone may call this: it checks the password and opens a session. The check (argon2,
        slow on purpose) runs in a thread: the worker goes on serving its other users meanwhile."""
        username = str(form_data.get("username", ""))[:64]
        password = str(form_data.get("password", ""))[:256]
        outcome = await asyncio.to_thread(_sign_in, username, password)
        if outcome.actor is None:
            self.error = outcome.message
            return None
        await self._forget_all_pages()  # a tab left open keeps nothing of its earlier user
        self.token = outcome.token
        self.error = self.notice = ""
        if outcome.actor.must_change_password:
            return rx.redirect(routes.PASSWORD)
        return rx.redirect(routes.HOME)

    @rx.event
    def on_enter(self):
        self.error = ""
        self.page_access = "checking"


def _sign_in(username: str, password: str) -> auth.SignIn:
    with unit_of_work() as session:
        return auth.login(session, username, password)


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading(APP_TITLE, size="5"),
                rx.text("请使用分配给您的账号登录", color_scheme="gray", size="2"),
                rx.cond(SessionState.notice != "",
                        rx.callout(SessionState.notice, icon="info", id="login-notice", width="100%")),
                rx.cond(SessionState.error != "",
                        rx.callout(SessionState.error, icon="triangle_alert", color_scheme="red",
                                   id="login-error", width="100%")),
                rx.form(
                    rx.vstack(
                        rx.text("用户名", size="2", weight="medium"),
                        rx.input(name="username", id="username", placeholder="用户名",
                                 width="100%", auto_complete="username", max_length=64),
                        rx.text("密码", size="2", weight="medium"),
                        rx.input(name="password", id="password", type="password",
                                 placeholder="密码", width="100%",
                                 auto_complete="current-password", max_length=256),
                        rx.button("登录", type="submit", width="100%", id="login-button"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=LoginState.login,
                    reset_on_submit=False,
                    width="100%",
                ),
                rx.text("连续 5 次密码错误将锁定账号 15 分钟；忘记密码请联系系统管理员重置。",
                        size="1", color_scheme="gray"),
                rx.separator(),
                rx.text("群众办事无需账号：", rx.link("网上申请救助", href=routes.APPLY, id="link-apply"), "　",
                        rx.link("查询办理进度", href=routes.APPLY_STATUS, id="link-apply-status"), size="2"),
                spacing="3",
                width="100%",
            ),
            width="26em",
            padding="2em",
        ),
        min_height="100vh",
        background_color="var(--gray-2)",
    )
