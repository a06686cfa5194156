"""The household at a glance (家庭全景, /households/<id>): members, economic status, tags
over time, visits, the means test and one timeline of everything that happened to it."""

import reflex as rx

from ... import routes
from ...components.history import history_row
from ...components.shell import shell
from ...components.table import data_table
from ..resources.common import back_link
from .forms import (
    dated_reason_fields,
    economic_fields,
    member_edit_fields,
    member_fields,
    tag_fields,
    visit_fields,
)
from .needs import needs_tab
from .state import HouseholdState as S


def _item(label: str, *value) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label, min_width="7em"),
                             rx.data_list.value(rx.hstack(*value, spacing="2", align="center")))


def _reveal_button(field: str) -> rx.Component:
    return rx.cond(S.can_reveal & (S.household[f"{field}_revealed"] != "1") & (S.household[field] != ""),
                   rx.button("显示", size="1", variant="ghost", on_click=S.reveal_household(field),
                             id=f"reveal-{field}"))


def _summary() -> rx.Component:
    h = S.household
    return rx.card(
        rx.hstack(
            rx.data_list.root(
                _item("户主", rx.text(h["head_name"], weight="bold", id="head-name"),
                      rx.text(h["head_id_number"], color_scheme="gray", size="2")),
                _item("所在地", rx.text(h["area_path"], id="household-area")),
                _item("家庭住址", rx.text(h["address"])),
                _item("家庭人口", rx.text(h["member_count"], " 人", id="member-count")),
            ),
            rx.data_list.root(
                _item("对象类别", rx.text(h["tags_label"], weight="bold", color_scheme="red", id="tags-label")),
                _item("联系电话", rx.text(h["phone"], id="value-phone"), _reveal_button("phone")),
                _item("银行账号", rx.text(h["bank_name"], " ", h["bank_account"], id="value-bank_account"),
                      _reveal_button("bank_account")),
                _item("状态", rx.badge(h["status_label"])),
                _item("最近走访", rx.text(S.last_visit, id="last-visit")),
            ),
            spacing="9", align="start", wrap="wrap",
        ),
        width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        back_link(routes.HOUSEHOLDS, "返回家庭档案"),
        rx.spacer(),
        rx.cond(S.can_edit, rx.link(rx.button(rx.icon("pencil", size=16), "编辑基本信息", variant="outline"),
                                    href=routes.resource_edit("households", S.household["id"]),
                                    id="edit-household")),
        rx.cond(S.can_visit, rx.button(rx.icon("footprints", size=16), "记录走访", on_click=S.plan_visit,
                                       id="plan-visit")),
        rx.cond(S.can_raise_hard_case & (S.household["status"] == "active"),
                rx.button(rx.icon("users", size=16), "提请联席会议", variant="outline", on_click=S.open_panel("hard_case"),
                          id="raise-hard-case")),
        rx.cond(S.can_edit & (S.household["status"] == "active"),
                rx.button("注销家庭", variant="soft", color_scheme="gray", on_click=S.open_panel("cancel"),
                          id="cancel-household")),
        width="100%", align="center",
    )


def _cancel_panel() -> rx.Component:
    return _panel("cancel", "注销家庭（成员全部移出，档案保留；有未结束的对象标识时不能注销）",
                  rx.input(name="reason", placeholder="注销原因，例：全户迁出本县", id="input-cancel-reason",
                           width="30em", max_length=200),
                  S.cancel_household, "确认注销")


def _hard_case_panel() -> rx.Component:
    return _panel("hard_case", "提请联席会议研究（疑难个案：列入本乡镇下次联席会议议题）",
                  rx.text_area(name="note", placeholder="需会议研究的问题，例：房屋垮塌后无处居住，需多部门协同安置",
                               id="input-hard-case-note", width="100%", max_length=500),
                  S.raise_hard_case, "提请")


def _panel(key: str, title: str, body: rx.Component, on_submit, submit_label: str = "保存",
           visible=None) -> rx.Component:
    """An inline form that opens under its section (when the open panel is `key`)."""
    return rx.cond(
        S.panel == key if visible is None else visible,
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(title, size="3"),
                    body,
                    rx.hstack(rx.button(submit_label, type="submit", id=f"submit-{key}"),
                              rx.button("取消", type="button", variant="soft", on_click=S.open_panel("")),
                              spacing="3"),
                    spacing="3", width="100%",
                ),
                on_submit=on_submit, reset_on_submit=False, id=f"form-{key}",
            ),
            width="100%",
        ),
    )


# ---- tabs ----

def _member_actions(m) -> rx.Component:
    return rx.hstack(
        rx.cond(S.can_reveal & (m["revealed"] != "1"),
                rx.button("显示证件号", size="1", variant="ghost", on_click=S.reveal_member(m["id"]),
                          id="reveal-member-" + m["id"])),
        rx.cond(S.can_edit & (m["active"] == "1"),
                rx.button("编辑", size="1", variant="ghost", on_click=S.open_member_edit(m["id"]),
                          id="edit-member-" + m["id"])),
        rx.cond(S.can_edit & (m["active"] == "1") & (m["is_head"] != "True"),
                rx.button("移出", size="1", variant="ghost", color_scheme="red",
                          on_click=S.open_panel("remove:" + m["id"]), id="remove-member-" + m["id"])),
        spacing="1",
    )


def _members_tab() -> rx.Component:
    return rx.vstack(
        data_table(S.members, [("name", "姓名"), ("id_number", "身份证号"), ("sex", "性别"), ("age", "年龄"),
                           ("relation", "关系"), ("labour_capacity", "劳动能力"), ("health", "健康"),
                           ("disability", "残疾"), ("employment", "就业"), ("schooling", "在校情况"),
                           ("medical_insurance", "医保"), ("status", "状态")],
               table_id="members-table", actions=_member_actions),
        _panel("edit_member", "更正家庭成员信息", member_edit_fields(S.editing_member), S.save_member,
               visible=S.panel.startswith("edit:")),
        _panel("remove", "移出家庭成员", dated_reason_fields("left_on", "移出日期", S.today),
               S.remove_member, "确认移出", visible=S.panel.startswith("remove:")),
        rx.cond(S.can_edit & (S.panel != "member"),
                rx.button(rx.icon("user_plus", size=16), "添加成员", variant="outline",
                          on_click=S.open_panel("member"), id="add-member")),
        _panel("member", "添加家庭成员", member_fields(), S.add_member),
        spacing="3", width="100%",
    )


def _economic_tab() -> rx.Component:
    e = S.economic
    return rx.vstack(
        rx.cond(
            e.contains("recorded_on"),
            rx.card(rx.hstack(
                rx.data_list.root(
                    _item("核查日期", rx.text(e["recorded_on"], "（", e["source"], "）")),
                    _item("近 12 个月家庭收入", rx.text(e["total_income"], " 元", id="total-income")),
                    _item("月人均收入", rx.text(e["per_capita_monthly_income"], " 元", weight="bold",
                                               id="per-capita-income")),
                    _item("刚性支出", rx.text(e["rigid_expense"], " 元")),
                ),
                rx.data_list.root(
                    _item("工资性收入", rx.text(e["wage_income"])),
                    _item("经营净收入", rx.text(e["business_income"])),
                    _item("财产净收入", rx.text(e["property_income"])),
                    _item("转移净收入", rx.text(e["transfer_income"])),
                    _item("存款", rx.text(e["deposits"])),
                ),
                rx.data_list.root(
                    _item("住房安全", rx.text(e["housing_safety"])),
                    _item("饮水安全", rx.text(e["drinking_water_safe"])),
                    _item("义务教育", rx.text(e["compulsory_education_ok"])),
                    _item("基本医疗", rx.text(e["medical_insurance_ok"])),
                    _item("风险点", rx.text(e["risk_points"])),
                ),
                spacing="7", wrap="wrap", align="start",
            ), width="100%"),
            rx.text("尚未录入家庭经济状况", color_scheme="gray"),
        ),
        rx.cond(S.can_edit & (S.panel != "economic"),
                rx.button(rx.icon("plus", size=16), "录入经济状况", variant="outline",
                          on_click=S.open_panel("economic"), id="add-economic")),
        _panel("economic", "录入家庭经济状况（新记录，历史保留）", economic_fields(S.today), S.record_economic),
        rx.text("历史记录", weight="bold", size="2"),
        data_table(S.economic_history, [("recorded_on", "核查日期"), ("source", "来源"), ("total_income", "家庭收入"),
                                    ("per_capita_monthly_income", "月人均"), ("rigid_expense", "刚性支出"),
                                    ("deposits", "存款"), ("housing_safety", "住房"), ("who", "录入人")],
               table_id="economic-history"),
        spacing="3", width="100%",
    )


def _tags_tab() -> rx.Component:
    def end_button(t):
        return rx.cond(S.can_tag, rx.button("结束", size="1", variant="ghost", color_scheme="red",
                                            on_click=S.open_panel("end_tag:" + t["id"]),
                                            id="end-tag-" + t["id"]))

    columns = [("label", "类别"), ("start", "开始"), ("end", "结束"), ("decision_ref", "认定依据文号"),
               ("basis", "认定理由"), ("who", "认定人")]
    return rx.vstack(
        rx.text("当前标识", weight="bold", size="2"),
        data_table(S.current_tags, columns, table_id="current-tags", actions=end_button),
        _panel("end_tag", "结束对象标识（标识历史保留，不会被改写）",
               dated_reason_fields("end_date", "结束日期", S.today), S.end_tag, "确认结束",
               visible=S.panel.startswith("end_tag:")),
        rx.cond(S.can_tag & (S.panel != "tag"),
                rx.button(rx.icon("plus", size=16), "新增标识", variant="outline", on_click=S.open_panel("tag"),
                          id="add-tag")),
        _panel("tag", "新增对象标识", tag_fields(S.today), S.add_tag),
        rx.text("历史标识", weight="bold", size="2"),
        data_table(S.past_tags, columns + [("end_reason", "结束原因")], table_id="past-tags"),
        spacing="3", width="100%",
    )


def _visits_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(S.visit_warning != "", rx.callout(S.visit_warning, icon="triangle_alert", color_scheme="orange",
                                                  id="visit-warning")),
        _panel("visit", "记录走访（一次走访，各部门共用）", visit_fields(S.today), S.record_visit),
        data_table(S.visits, [("date", "日期"), ("who", "走访人"), ("purpose", "事由"), ("findings", "发现"),
                          ("changed_fields", "更新的信息")], table_id="visits-table"),
        spacing="3", width="100%",
    )


def _assess_tab() -> rx.Component:
    a = S.assessment
    return rx.vstack(
        rx.text("按核算日期当天有效的政策参数，用本户在册成员和最近一次经济状况测算（不改变任何数据）。",
                size="2", color_scheme="gray"),
        rx.form(rx.hstack(rx.input(name="as_of", type="date", default_value=S.today, id="input-as_of"),
                          rx.button("测算", type="submit", id="run-assessment"), spacing="3"),
                on_submit=S.assess, reset_on_submit=False),
        rx.cond(
            a.contains("per_capita_monthly_income"),
            rx.card(rx.vstack(
                rx.data_list.root(
                    _item("核算日期", rx.text(a["as_of"])),
                    _item("月人均收入", rx.text(a["per_capita_monthly_income"], " 元", id="assess-income")),
                    _item("刚性支出占收入比例", rx.text(a["rigid_ratio"])),
                    _item("符合条件", rx.text(a["qualifies_text"], id="assess-qualifies")),
                    _item("建议（就高不就低）", rx.text(a["recommended_text"], weight="bold", color_scheme="red",
                                                id="assess-recommended")),
                ),
                rx.text("理由", weight="bold", size="2"),
                rx.vstack(rx.foreach(S.assessment_reasons, lambda r: rx.text("· ", r, size="2")),
                          spacing="1", id="assess-reasons"),
                rx.text("采用的政策参数", weight="bold", size="2"),
                data_table(S.assessment_policy, [("label", "参数"), ("value", "数值"), ("unit", "单位")], table_id="assess-policy"),
                spacing="3",
            ), width="100%"),
        ),
        spacing="3", width="100%",
    )


def _timeline_tab() -> rx.Component:
    return rx.vstack(
        rx.foreach(S.timeline, lambda t: history_row(t["at"], t["kind"], t["summary"], who=t["who"],
                                                      at_width="11em")),
        spacing="0", width="100%", id="timeline",
    )


def _tabs() -> rx.Component:
    tabs = (("members", "家庭成员", _members_tab), ("economic", "经济状况", _economic_tab),
            ("tags", "对象标识", _tags_tab), ("visits", "走访记录", _visits_tab),
            ("assess", "认定测算", _assess_tab), ("needs", "帮扶需求", needs_tab),
            ("timeline", "全部动态", _timeline_tab))
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(label, value=value, id=f"tab-{value}") for value, label, _ in tabs]),
        *[rx.tabs.content(rx.box(body(), padding_y="1em"), value=value) for value, _, body in tabs],
        default_value="members",
        width="100%",
    )


def household_page() -> rx.Component:
    return shell(
        "家庭全景",
        rx.cond(S.household.contains("id"),
                rx.vstack(_toolbar(), _cancel_panel(), _hard_case_panel(), _summary(), _tabs(), spacing="4", width="100%"),
                back_link(routes.HOUSEHOLDS, "返回家庭档案")),
    )
