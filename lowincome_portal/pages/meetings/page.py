"""One joint meeting (/meetings/<id>): the header, sign-in of those invited, the agenda with
its minutes (agenda.py), the buttons that mark it held and approve the minutes, the minutes
PDF, and the action items its decisions created with a form to close each."""

import reflex as rx

from ... import routes
from ...components.shell import shell
from ..resources.common import back_link
from .agenda import agenda
from .list import status_badge
from .state import MeetingState as S


def _item(label: str, *value) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label, min_width="6em"),
                             rx.data_list.value(rx.hstack(*value, spacing="2", align="center", wrap="wrap")))


def _header() -> rx.Component:
    m = S.meeting
    return rx.card(
        rx.hstack(
            rx.data_list.root(
                _item("地区", rx.text(m["area_name"], weight="bold", id="meeting-area-name")),
                _item("月份", rx.text(m["month_text"], id="meeting-month-text")),
                _item("计划日期", rx.text(m["planned_on"])),
                _item("召开日期", rx.text(m["held_on"], id="meeting-held-on")),
            ),
            rx.data_list.root(
                _item("地点", rx.text(m["place"])),
                _item("主持人", rx.text(m["chair_name"])),
                _item("状态", rx.box(status_badge(m), id="meeting-status")),
            ),
            spacing="9", align="start", wrap="wrap",
        ),
        width="100%",
    )


def _attendees() -> rx.Component:
    def attendee(a):
        return rx.checkbox(
            a["name"], checked=a["signed_in"] == "1", disabled=~S.editable,
            on_change=lambda present: S.sign_in(a["id"], present), id="attendee-" + a["id"],
        )

    return rx.card(
        rx.vstack(
            rx.heading("参会人员（勾选即签到）", size="3"),
            rx.flex(rx.foreach(S.attendees, attendee), wrap="wrap", spacing="4"),
            spacing="2", width="100%",
        ),
        width="100%", id="attendees",
    )


def _course() -> rx.Component:
    """Mark the meeting held (with the day), then approve the minutes; both only while editable."""
    status = S.meeting["status"]
    return rx.hstack(
        rx.cond(
            S.editable & (status == "planned"),
            rx.form(
                rx.hstack(
                    rx.text("召开日期", size="2", weight="medium"),
                    rx.input(type="date", name="held_on", default_value=S.today, max=S.today, id="held-on",
                             width="11em"),
                    rx.button(rx.icon("calendar_check", size=16), "会议已召开", type="submit", id="mark-held"),
                    spacing="2", align="center",
                ),
                on_submit=S.mark_held, reset_on_submit=False,
            ),
        ),
        rx.cond(
            S.editable & (status == "held"),
            rx.button(rx.icon("stamp", size=16), "审定纪要", color_scheme="green", on_click=S.approve_minutes,
                      id="approve-minutes"),
        ),
        rx.spacer(),
        rx.button(rx.icon("file_down", size=16), "下载会议纪要（PDF）", variant="outline", loading=S.printing,
                  on_click=S.download_minutes, id="download-minutes"),
        width="100%", align="center", spacing="3",
    )


def _actions() -> rx.Component:
    def action(a):
        return rx.table.row(
            rx.table.cell(rx.vstack(
                rx.text(a["title"], size="2"),
                rx.cond(a["household_href"] != "",
                        rx.link(a["household_name"], " ", a["household_id_masked"], href=a["household_href"], size="1")),
                spacing="0")),
            rx.table.cell(rx.text(a["decision_label"], size="2")),
            rx.table.cell(rx.text(a["responsible_name"], size="2")),
            rx.table.cell(rx.text(a["deadline"], size="2")),
            rx.table.cell(rx.cond(a["status"] == "done",
                                  rx.vstack(rx.badge("已办结 ", a["done_on"], color_scheme="green"),
                                            rx.text(a["done_note"], size="1", color_scheme="gray"), spacing="1"),
                                  rx.badge(a["status_text"], color_scheme=rx.cond(a["overdue"] == "1", "red",
                                                                                  "orange")))),
            rx.table.cell(rx.cond(
                a["can_complete"] == "1",
                rx.form(
                    rx.hstack(
                        rx.el.input(type="hidden", name="action_id", value=a["id"]),
                        rx.input(name="note", placeholder="办理情况", max_length=500, id="action-note-" + a["id"],
                                 width="14em", size="1"),
                        rx.button("办结", type="submit", size="1", id="action-done-" + a["id"]),
                        spacing="1",
                    ),
                    on_submit=S.complete_action, reset_on_submit=True,
                ),
            )),
            key=a["id"],
        )

    headers = ("决定事项", "决定", "责任单位/人", "期限", "状态", "")
    return rx.cond(
        S.actions.length() > 0,
        rx.vstack(
            rx.heading("本次会议交办事项", size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap")
                                               for h in headers])),
                rx.table.body(rx.foreach(S.actions, action)),
                variant="surface", size="1", width="100%", id="meeting-actions",
            ),
            spacing="2", width="100%",
        ),
    )


def meeting_page() -> rx.Component:
    return shell(
        "联席会议",
        back_link(routes.MEETINGS, "返回联席会议"),
        rx.cond(
            S.meeting.contains("id"),
            rx.vstack(
                _header(),
                rx.cond(S.meeting["status"] == "approved",
                        rx.callout("会议纪要已审定，内容不能再修改。", icon="lock", color_scheme="gray",
                                   id="meeting-read-only", width="100%")),
                _course(), _attendees(), agenda(), _actions(),
                spacing="4", width="100%",
            ),
        ),
    )
