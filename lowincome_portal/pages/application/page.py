"""One application (/applications/<id>): where it stands on its track and its clock, the
steps the user may take with what still blocks them, the notice and its objections, the
means test advice, the decision, and every step taken so far."""

import reflex as rx

from ... import routes
from ...components.history import history_row
from ...components.shell import shell
from ...components.table import data_table
from ...domain.registry import MONITORING_TYPES
from ..resources.common import back_link
from .state import ApplicationState as S

MARK_COLOURS = {"overdue": "red", "due_soon": "orange"}


def _item(label: str, *value) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label, min_width="7em"),
                             rx.data_list.value(rx.hstack(*value, spacing="2", align="center", wrap="wrap")))


def _flags() -> rx.Component:
    """近亲属备案 and 绿色通道 must be impossible to miss (DOMAIN.md)."""
    return rx.fragment(
        rx.cond(S.app["staff_relative"] == "1",
                rx.callout(rx.text("近亲属备案：申请人系民政工作人员或村（社区）干部的近亲属，须重点审核。", S.app["staff_relative_note"]),
                           icon="shield_alert", color_scheme="red", variant="outline", size="3", id="flag-staff-relative",
                           width="100%")),
        rx.cond(S.app["green_channel"] == "1",
                rx.callout("绿色通道（先行救助）：已先行救助，须在时限内补齐认定程序。", icon="zap",
                           color_scheme="green", id="flag-green-channel", width="100%")),
    )


def _progress() -> rx.Component:
    def step(p):
        return rx.badge(p["label"], size="2",
                        variant=rx.match(p["status"], ("current", "solid"), ("done", "soft"), "outline"),
                        color_scheme=rx.match(p["status"], ("current", "red"), ("done", "green"), "gray"))
    return rx.hstack(rx.foreach(S.progress, step), spacing="2", wrap="wrap", id="app-progress")


def _summary() -> rx.Component:
    a = S.app
    return rx.card(
        rx.hstack(
            rx.data_list.root(
                _item("受理编号", rx.text(a["tracking_no"], weight="bold", id="app-tracking-no")),
                _item("业务", rx.text(a["track_label"]), rx.badge(a["channel_label"], variant="soft")),
                _item("申请人", rx.text(a["applicant_name"], weight="bold", id="app-applicant"),
                      rx.text(a["applicant_id_number"], color_scheme="gray", size="2")),
                _item("联系电话", rx.text(a["applicant_phone"])),
                _item("所在地", rx.text(a["place"])),
                _item("家庭住址", rx.text(a["address"])),
            ),
            rx.data_list.root(
                _item("当前环节", rx.text(a["state_label"], weight="bold", color_scheme="red", id="app-state")),
                _item("本环节时限", rx.text(S.clock["due_on"], id="app-due"),
                      rx.cond(S.clock["mark"] != "",
                              rx.badge(S.clock["mark_text"], variant="solid", id="app-mark",
                                       color_scheme=rx.match(S.clock["mark"], ("overdue", "red"), "orange"))),
                      rx.text(S.clock["estimated_text"], size="1", color_scheme="gray")),
                _item("提交日期", rx.text(a["submitted_on"])),
                _item("受理日期", rx.text(a["accepted_on"])),
                _item("授权核查", rx.text(rx.cond(a["consent"] == "1", "已授权", "未授权"))),
                rx.cond(a["monitoring_type"] != "", _item("监测类型", rx.text(a["monitoring_type"]))),
            ),
            spacing="9", align="start", wrap="wrap",
        ),
        rx.cond(S.listed_members.length() > 0,
                rx.vstack(rx.text("申请时填写的共同生活家庭成员", size="2", weight="medium"),
                          data_table(S.listed_members, [("name", "姓名"), ("relation", "与申请人关系"),
                                                        ("id_number", "身份证号")], table_id="listed-members"),
                          spacing="1", padding_top="0.8em", width="100%")),
        rx.vstack(rx.text("困难情况", size="2", weight="medium"),
                  rx.text(a["difficulty"], size="2", white_space="pre-wrap", id="app-difficulty"),
                  spacing="1", padding_top="0.8em"),
        width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        back_link(routes.APPLICATION_LIST, "返回申请列表"),
        rx.spacer(),
        rx.cond(S.app["household_href"] != "",
                rx.link(rx.button(rx.icon("house", size=16), "家庭全景", variant="outline"),
                        href=S.app["household_href"], id="open-household")),
        rx.cond(S.app["can_investigate"] == "1",
                rx.link(rx.button(rx.icon("clipboard_list", size=16), "填写入户调查表"),
                        href=routes.investigation(S.app["id"]), id="open-investigation")),
        rx.cond(S.decision["refused"] == "1",
                rx.button(rx.icon("file_down", size=16), "下载不予认定通知书", variant="outline",
                          on_click=S.download_refusal, id="download-refusal")),
        width="100%", align="center",
    )


def _step_form() -> rx.Component:
    st = S.step
    return rx.cond(
        S.panel == "step",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(st["label"], size="3", id="step-title"),
                    rx.text_area(name="comment", id="step-comment", width="100%", max_length=2000,
                                 placeholder=rx.cond(st["comment_required"] == "1", "请填写意见或理由（必填）",
                                                     "办理意见（选填）")),
                    rx.cond(st["needs_monitoring_type"] == "1",
                            rx.select(list(MONITORING_TYPES.values()), name="monitoring_type",
                                      default_value=S.app["monitoring_type"], placeholder="监测对象类型",
                                      id="step-monitoring-type")),
                    rx.cond(st["asks_income_unstable"] == "1",
                            rx.hstack(rx.checkbox(name="income_unstable", id="step-income-unstable"),
                                      rx.text("家庭收入不稳定（低保按半年复核）", size="2"), spacing="2")),
                    rx.hstack(rx.button("确认办理", type="submit", id="submit-step",
                                        color_scheme=rx.cond(st["negative"] == "1", "orange", "red")),
                              rx.button("取消", type="button", variant="soft", on_click=S.open_panel("")),
                              spacing="3"),
                    spacing="3", width="100%",
                ),
                on_submit=S.take_step, reset_on_submit=True, id="form-step",
            ),
            width="100%",
        ),
    )


def _actions() -> rx.Component:
    def action(a):
        return rx.vstack(
            rx.button(a["label"], on_click=S.open_step(a["action"]), id="action-" + a["action"],
                      variant=rx.cond(a["negative"] == "1", "outline", "solid"),
                      color_scheme=rx.cond(a["negative"] == "1", "orange", "red")),
            rx.cond(a["blocked"] != "", rx.text("尚不能办理：", a["blocked"], size="1", color_scheme="gray",
                                                max_width="22em")),
            spacing="1", align="start",
        )
    return rx.cond(
        S.actions.length() > 0,
        rx.card(rx.vstack(rx.heading("办理", size="3"),
                          rx.hstack(rx.foreach(S.actions, action), spacing="4", wrap="wrap", align="start"),
                          _step_form(), spacing="3", width="100%"), width="100%", id="app-actions"),
    )


def _objection_form() -> rx.Component:
    return rx.cond(
        S.panel == "objection",
        rx.form(
            rx.hstack(
                rx.input(name="raised_on", type="date", id="objection-date", width="11em"),
                rx.input(name="raised_by", placeholder="异议人", id="objection-by", width="10em", max_length=50),
                rx.input(name="content", placeholder="异议内容", id="objection-content", width="24em", max_length=2000),
                rx.button("登记", type="submit", id="submit-objection"),
                spacing="2", wrap="wrap",
            ),
            on_submit=S.add_objection, reset_on_submit=True,
        ),
    )


def _resolve_form() -> rx.Component:
    return rx.cond(
        S.panel.contains("resolve:"),
        rx.form(
            rx.hstack(rx.input(name="resolution", placeholder="核实及处理结果", id="resolution", width="30em",
                               max_length=2000),
                      rx.button("保存处理结果", type="submit", id="submit-resolution"), spacing="2"),
            on_submit=S.resolve_objection, reset_on_submit=True,
        ),
    )


def _notice() -> rx.Component:
    n = S.public_notice
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("公示与异议", size="3"), rx.spacer(),
                      rx.cond(S.app["can_object"] == "1",
                              rx.button("登记异议", size="1", variant="outline", on_click=S.open_panel("objection"),
                                        id="add-objection"))),
            rx.text(rx.cond(n["posted"] == "1",
                            rx.text("公示期 ", n["posted_on"], " 至 ", n["ends_on"], "（", n["status"], "），异议受理：",
                                    n["contact"]),
                            "尚未张贴公示"), size="2", id="notice-status"),
            _objection_form(),
            rx.cond(S.objections.length() > 0,
                    data_table(S.objections, [("raised_on", "日期"), ("raised_by", "异议人"), ("content", "内容"),
                                              ("resolution", "处理结果"), ("resolved_on", "处理日期")],
                               actions=lambda o: rx.cond(
                                   (o["resolved"] != "1") & (S.app["can_object"] == "1"),
                                   rx.button("处理", size="1", on_click=S.open_panel("resolve:" + o["id"]),
                                             id="resolve-" + o["id"])),
                               table_id="objections-table")),
            _resolve_form(),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _assessment_and_decision() -> rx.Component:
    return rx.fragment(
        rx.cond(S.assessment.contains("recommended"),
                rx.card(rx.vstack(
                    rx.heading("认定测算（依据入户核实的经济状况）", size="3"),
                    rx.text("建议：", S.assessment["recommended"], "；符合：", S.assessment["qualifies"],
                            "；家庭人均月收入 ", S.assessment["monthly"], " 元", weight="medium", id="app-assessment"),
                    rx.foreach(S.assessment_reasons, lambda r: rx.text(r, size="2", color_scheme="gray")),
                    spacing="2"), width="100%")),
        rx.cond(S.decision["made"] == "1",
                rx.card(rx.vstack(
                    rx.heading("审核结论", size="3"),
                    rx.text(S.decision["label"], rx.cond(S.decision["tags"] != "", "：" + S.decision["tags"], ""),
                            "（", S.decision["on"], "）", weight="bold", id="app-decision"),
                    rx.text(S.decision["reasons"], size="2", white_space="pre-wrap"),
                    spacing="2"), width="100%")),
        rx.cond(S.burden["prefilled"] != "0",
                rx.text("入户调查：从档案带出确认 ", S.burden["prefilled"], " 项，新录入或修改 ", S.burden["typed"], " 项",
                        size="2", color_scheme="gray", id="app-burden")),
    )


def _events() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("办理记录", size="3"),
        rx.foreach(S.events, lambda e: history_row(e["at"], e["action"], "→ " + e["to_state"], e["comment"],
                                                    who=e["actor"])),
        spacing="1", width="100%", id="app-events"), width="100%")


def application_page() -> rx.Component:
    return shell(
        "申请办理",
        rx.cond(S.app.contains("id"),
                rx.vstack(_toolbar(), _flags(), _progress(), _summary(), _actions(), _notice(),
                          _assessment_and_decision(), _events(), spacing="4", width="100%"),
                back_link(routes.APPLICATION_LIST, "返回申请列表")),
    )
