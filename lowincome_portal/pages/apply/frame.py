"""The frame of the public pages: a title band and one narrow column that reads on a phone
(the staff shell, with its menu and 1024px minimum width, is for the office)."""

import reflex as rx

from ... import routes
from ...components.shell import APP_TITLE

HELP_TEXT = ("如需帮助，可到所在乡镇（街道）便民服务中心或村（社区）便民服务站，"
             "由工作人员帮您填写（代办）。")


def public_messages(S) -> rx.Component:
    """The state's own error and info messages (not the signed-in shell's)."""
    return rx.fragment(
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle_alert", color_scheme="red",
                                          id="error-message", width="100%")),
        rx.cond(S.info != "", rx.callout(S.info, icon="info", color_scheme="green",
                                         id="info-message", width="100%")),
    )


def public_frame(title: str, *content: rx.Component) -> rx.Component:
    return rx.box(
        rx.box(
            rx.text(APP_TITLE, color="white", weight="bold", size="3"),
            padding_x="1em",
            padding_y="0.8em",
            background_color="var(--red-10)",
            width="100%",
        ),
        rx.vstack(
            rx.heading(title, size="6"),
            *content,
            rx.divider(),
            rx.hstack(
                rx.link("网上申请", href=routes.APPLY, size="2", id="link-apply"),
                rx.link("查询办理进度", href=routes.APPLY_STATUS, size="2", id="link-status"),
                spacing="4",
            ),
            rx.text(HELP_TEXT, size="1", color_scheme="gray"),
            spacing="4",
            width="100%",
            max_width="640px",
            margin_x="auto",
            padding="1em",
        ),
        width="100%",
        min_height="100vh",
    )
