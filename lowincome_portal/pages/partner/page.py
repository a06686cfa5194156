"""合作机构工作台 (/partner): what a charity, social organisation or department sees - its
notifications with the unread count, the pool it may claim from (the household's name
masked: village, size, need and urgency only), the referrals it holds with the full
contact and the forms to start, complete or return each, and its own figures."""

import reflex as rx

from ...components.shell import shell
from ..referrals.common import status_badge
from .state import PartnerState as S

HIDDEN_ROW = {"border_top": "none"}


def _figure(label: str, key: str, unit: str = "件") -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                     rx.hstack(rx.text(S.figures[key], size="6", weight="bold", id="figure-" + key),
                               rx.text(unit, size="2"), align="baseline", spacing="1"),
                     spacing="0", min_width="7em")


def _figures() -> rx.Component:
    return rx.card(
        rx.hstack(_figure("已认领", "claimed"), _figure("服务中", "in_service"), _figure("已办结", "completed"),
                  _figure("超期", "overdue"), _figure("帮扶金额", "amount", "元"), spacing="6", wrap="wrap"),
        width="100%", id="partner-figures",
    )


def _notifications() -> rx.Component:
    def note(n):
        unread = n["read"] != "1"
        # deadline reminders (kind "deadline", id 0) stay until the referral is done
        return rx.hstack(
            rx.cond(n["kind"] == "deadline", rx.badge("期限提醒", color_scheme="orange", variant="solid", size="1"),
                    rx.cond(unread, rx.badge("未读", color_scheme="red", variant="solid", size="1"))),
            rx.text(n["at"], size="1", color_scheme="gray", min_width="9em"),
            rx.cond(n["href"] != "", rx.link(n["text"], href=n["href"], size="2"), rx.text(n["text"], size="2")),
            rx.spacer(),
            rx.cond(unread & (n["kind"] == "message"),
                    rx.button("标为已读", size="1", variant="ghost", on_click=S.mark_read(n["id"]), id="read-" + n["id"])),
            width="100%", align="center", id="notification-" + n["key"],
            opacity=rx.cond(unread, "1", "0.6"),
        )

    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("通知", size="4"),
                rx.badge(S.unread, color_scheme=rx.cond(S.unread > 0, "red", "gray"), variant="solid",
                         id="notification-count"),
                rx.spacer(),
                rx.cond(S.unread_messages, rx.button("全部标为已读", size="1", variant="soft", on_click=S.mark_all_read,
                                                id="read-all")),
                rx.button("刷新", size="1", variant="soft", on_click=S.refresh, id="partner-refresh"),
                width="100%", align="center",
            ),
            rx.cond(S.notifications.length() > 0,
                    rx.vstack(rx.foreach(S.notifications, note), spacing="1", width="100%", id="notification-list"),
                    rx.text("暂无通知", size="2", color_scheme="gray")),
            spacing="2", width="100%",
        ),
        width="100%",
    )


def _headers(*labels: str) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in labels]))


def _pool() -> rx.Component:
    def row(p):
        return rx.table.row(
            rx.table.cell(rx.text(p["village"], size="2")),
            rx.table.cell(rx.text(p["member_count"], " 人", size="2")),
            rx.table.cell(rx.text(p["head_name"], size="2")),
            rx.table.cell(rx.text(p["kind_label"], size="2", weight="medium")),
            rx.table.cell(rx.text(p["description"], size="2")),
            rx.table.cell(rx.badge(p["urgency_label"], color_scheme=rx.cond(p["urgency"] == "normal", "gray", "red"),
                                   variant="soft")),
            rx.table.cell(rx.hstack(rx.text(p["claim_due_on"], size="2", white_space="nowrap"),
                                    rx.cond(p["claim_overdue"] == "1", rx.badge("已超期", color_scheme="red")),
                                    spacing="1")),
            rx.table.cell(rx.button("认领", size="1", on_click=S.claim(p["id"]), id="claim-" + p["id"])),
            id="pool-" + p["id"],
        )

    return rx.vstack(
        rx.heading("需求池（可认领）", size="4"),
        rx.text("认领前仅显示村、家庭人口、需求和紧急程度，户主姓名隐去；认领后在“我的事项”中显示联系方式。",
                size="2", color_scheme="gray"),
        rx.table.root(_headers("村（社区）", "家庭人口", "户主", "救助类别", "需求", "紧急程度", "认领期限", ""),
                      rx.table.body(rx.foreach(S.pool, row)), variant="surface", size="1", width="100%",
                      id="pool-table"),
        rx.cond(S.pool.length() == 0, rx.text("需求池中暂无可认领的事项", size="2", color_scheme="gray", id="pool-empty")),
        spacing="2", width="100%",
    )


def _field(label: str, control: rx.Component, width: str = "12em") -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium"), control, spacing="1", width=width)


def _complete_form(m) -> rx.Component:
    rid = m["id"]
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="referral_id", value=rid),
            _field("帮扶内容（送达了什么） *", rx.text_area(name="outcome", rows="2", max_length=4000, width="100%",
                                                     id="outcome-" + rid), "100%"),
            rx.hstack(
                _field("金额（元）", rx.input(name="amount", input_mode="decimal", placeholder="无资金可不填",
                                            id="amount-" + rid)),
                _field("送达日期 *", rx.input(name="delivered_on", type="date", default_value=S.today, max=S.today,
                                           id="delivered-" + rid)),
                _field("附件（文件名，多个用顿号分隔）", rx.input(name="attachments", max_length=500, width="100%",
                                                       id="attachments-" + rid), "22em"),
                rx.button("办结", type="submit", color_scheme="green", id="complete-" + rid),
                spacing="3", align="end", wrap="wrap",
            ),
            spacing="2", width="100%",
        ),
        on_submit=S.complete, reset_on_submit=False, width="100%", id="complete-form-" + rid,
    )


def _return_form(m) -> rx.Component:
    rid = m["id"]
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="referral_id", value=rid),
            rx.input(name="reason", placeholder="退回原因，例：超出本机构服务能力", max_length=500, width="24em",
                     id="return-reason-" + rid),
            rx.button("退回", type="submit", variant="soft", color_scheme="gray", id="return-" + rid),
            spacing="2", align="center",
        ),
        on_submit=S.return_referral, reset_on_submit=False, id="return-form-" + rid,
    )


def _mine() -> rx.Component:
    def rows(m):
        return rx.fragment(
            rx.table.row(
                rx.table.cell(rx.link(m["head_name"], href=m["href"], weight="medium", size="2")),
                rx.table.cell(rx.text(m["phone"], size="2", white_space="nowrap")),
                rx.table.cell(rx.text(m["village"], " ", m["address"], size="2")),
                rx.table.cell(rx.text(m["member_count"], " 人", size="2")),
                rx.table.cell(rx.text(m["kind_label"], size="2", weight="medium")),
                rx.table.cell(rx.text(m["description"], size="2")),
                rx.table.cell(rx.hstack(status_badge(m),
                                        rx.cond(m["delivery_overdue"] == "1",
                                                rx.badge("办理超期", color_scheme="red", variant="solid")),
                                        spacing="1")),
                rx.table.cell(rx.text(m["delivery_due_on"], size="2", white_space="nowrap")),
                rx.table.cell(rx.cond(m["can_start"] == "1",
                                      rx.button("开始服务", size="1", on_click=S.start_service(m["id"]),
                                                id="start-" + m["id"]))),
                id="mine-" + m["id"],
            ),
            rx.cond(
                (m["can_complete"] == "1") | (m["can_return"] == "1"),
                rx.table.row(
                    rx.table.cell(
                        rx.vstack(rx.cond(m["can_complete"] == "1", _complete_form(m)),
                                  rx.cond(m["can_return"] == "1", _return_form(m)),
                                  spacing="2", width="100%"),
                        col_span=9, style=HIDDEN_ROW,
                    ),
                    id="mine-actions-" + m["id"],
                ),
                rx.cond(m["outcome"] != "",
                        rx.table.row(rx.table.cell(rx.text("办结：", m["outcome"], "（", m["delivered_amount"], " 元，",
                                                           m["delivered_on"], "）", size="2", color_scheme="gray"),
                                                   col_span=9, style=HIDDEN_ROW), id="mine-outcome-" + m["id"])),
            ),
        )

    return rx.vstack(
        rx.heading("我的事项", size="4"),
        rx.table.root(_headers("户主", "联系电话", "住址", "家庭人口", "救助类别", "需求", "状态", "办理期限", ""),
                      rx.table.body(rx.foreach(S.mine, rows)), variant="surface", size="1", width="100%",
                      id="mine-table"),
        rx.cond(S.mine.length() == 0, rx.text("尚无认领或派给本机构的事项", size="2", color_scheme="gray")),
        spacing="2", width="100%",
    )


def partner_page() -> rx.Component:
    return shell("合作机构工作台", _figures(), _notifications(), _pool(), _mine())
