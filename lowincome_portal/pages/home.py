"""Home page: the role's pending work."""

from typing import TypedDict

import reflex as rx

from ..components.shell import shell
from ..db.uow import unit_of_work
from ..services import home
from ..state.base import SessionState


class PendingSection(TypedDict):
    title: str
    items: list[str]
    count: int
    href: str


class HomeState(SessionState):
    sections: list[PendingSection] = []
    last_login: str = ""
    password_changed: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("home.view")
        if actor is not None:
            self._load(actor)
        return redirect

    def _load(self, actor) -> None:
        with unit_of_work() as session:
            self.sections = [PendingSection(**{**s, "count": s.get("count", len(s["items"]))})
                             for s in home.pending_work(session, actor=actor)]
            summary = home.account_summary(session, actor=actor)
        self.last_login = summary["last_login"]
        self.password_changed = summary["password_changed"]


def _section(section) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(section["title"], size="3"),
                rx.badge(section["count"], color_scheme="red"),
                rx.spacer(),
                rx.link("去处理", href=section["href"], size="2"),
                width="100%",
            ),
            rx.cond(
                section["count"] > 0,
                rx.vstack(rx.foreach(section["items"], lambda item: rx.text("· ", item, size="2")),
                          spacing="1"),
                rx.text("暂无", color_scheme="gray", size="2"),
            ),
            width="100%",
        ),
        width="100%",
    )


def home_page() -> rx.Component:
    return shell(
        "首页",
        rx.card(
            rx.vstack(
                rx.text("您好，", SessionState.user_name, "（", SessionState.roles_label, "）",
                        size="3", weight="medium", id="welcome"),
                rx.text("工作区域：", SessionState.area_label, size="2"),
                rx.text("上次登录：", HomeState.last_login, "　密码最近修改：",
                        HomeState.password_changed, size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        rx.heading("待办事项", size="4"),
        rx.cond(
            HomeState.sections.length() > 0,
            rx.vstack(rx.foreach(HomeState.sections, _section), width="100%", id="pending-work"),
            rx.text("暂无待办事项", color_scheme="gray", id="pending-work-empty"),
        ),
    )
