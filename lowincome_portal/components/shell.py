"""The page shell: header with the user's name, role and area; the role's menu; the content.

A protected page's content is drawn only once the server has said the user may see it.
"""

import reflex as rx

from ..state.base import SessionState

APP_TITLE = "垫江县农村低收入人口救助帮扶平台"


def _header() -> rx.Component:
    return rx.hstack(
        rx.heading(APP_TITLE, size="4", color="white"),
        rx.spacer(),
        rx.hstack(
            rx.text(SessionState.user_name, weight="bold", color="white", id="header-user"),
            rx.badge(SessionState.roles_label, color_scheme="gray", variant="solid", high_contrast=True, id="header-roles"),
            rx.text(SessionState.area_label, color="white", size="2", id="header-area"),
            rx.button("退出登录", on_click=SessionState.logout, size="1", variant="soft",
                      color_scheme="gray", id="logout-button"),
            spacing="3",
            align="center",
        ),
        padding_x="1.5em",
        padding_y="0.8em",
        background_color="var(--red-10)",
        width="100%",
        align="center",
    )


def _menu() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            SessionState.nav_items,
            lambda item: rx.link(item["label"], href=item["href"], size="3", weight="medium",
                                 class_name="nav-link", padding_y="0.4em"),
        ),
        id="nav",
        width="11em",
        min_width="11em",
        padding="1.2em",
        border_right="1px solid var(--gray-5)",
        min_height="calc(100vh - 3.5em)",
        spacing="1",
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            SessionState.error != "",
            rx.callout(SessionState.error, icon="triangle_alert", color_scheme="red",
                       id="error-message", width="100%"),
        ),
        rx.cond(
            SessionState.info != "",
            rx.callout(SessionState.info, icon="info", color_scheme="green",
                       id="info-message", width="100%"),
        ),
    )


def _denied() -> rx.Component:
    return rx.callout(
        "您无权访问此页面。如需使用，请联系系统管理员调整角色。",
        icon="ban",
        color_scheme="red",
        id="access-denied",
    )


def shell(title: str, *content: rx.Component) -> rx.Component:
    """A protected page: header, menu, and `content` once access is confirmed."""
    return rx.vstack(
        _header(),
        rx.hstack(
            _menu(),
            rx.box(
                rx.heading(title, size="6", margin_bottom="0.6em"),
                rx.match(
                    SessionState.page_access,
                    ("ok", rx.vstack(messages(), *content, spacing="4", width="100%")),
                    ("denied", _denied()),
                    rx.center(rx.spinner(size="3"), padding="3em"),
                ),
                padding="1.5em",
                width="100%",
                max_width="1200px",
            ),
            width="100%",
            align="start",
            spacing="0",
        ),
        spacing="0",
        width="100%",
        min_width="1024px",
    )
