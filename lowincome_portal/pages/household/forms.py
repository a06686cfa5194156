"""The household page's input forms as plain components (named inputs, submitted whole),
and the two helpers that turn a submitted form into what the services read."""

import reflex as rx

from ...domain import registry as codes
from ...domain.registry_input import ECONOMIC_COUNT_FIELDS, ECONOMIC_FLAG_FIELDS, ECONOMIC_MONEY_FIELDS

MEMBER_FLAGS = {"in_school": "在校", "medical_insurance": "参加基本医保",
                "has_supporter": "有赡养（抚养）能力的义务人"}
FLAG_NAMES = set(MEMBER_FLAGS) | set(ECONOMIC_FLAG_FIELDS)
RISK_PREFIX = "risk_"


def checked_flags(form_data: dict) -> dict:
    """A submitted form with its checkboxes as 是/否 (an unticked box is simply absent).
    Reflex also reports each input under its element id ("input-x" -> "input_x"): dropped."""
    out = {k: v for k, v in form_data.items() if not k.startswith((RISK_PREFIX, "input_"))}
    for name in FLAG_NAMES:
        if f"has_{name}" in form_data or name in form_data:  # the form offered this box
            out[name] = "是" if form_data.get(name) in ("on", "true", True) else "否"
        out.pop(f"has_{name}", None)
    return out


def risk_points_of(form_data: dict) -> list[str]:
    return [k[len(RISK_PREFIX):] for k, v in form_data.items()
            if k.startswith(RISK_PREFIX) and v in ("on", "true", True)]


def _labels(mapping: dict[str, str]) -> list[str]:
    return [label for code, label in mapping.items() if code]


def field(label: str, control: rx.Component, width: str = "14em") -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium"), control, spacing="1", width=width)


def choice(name: str, mapping: dict[str, str], default: str | None = None, **props) -> rx.Component:
    labels = _labels(mapping)
    return rx.select(labels, name=name, default_value="" if default is None else default, placeholder="请选择",
                     id=f"input-{name}", width="100%", **props)


def flag(name: str, label: str, default: bool = False) -> rx.Component:
    # The hidden "has_<name>" input tells the handler this box was offered (unticked = absent).
    return rx.hstack(rx.checkbox(name=name, default_checked=default, id=f"input-{name}"),
                     rx.text(label, size="2"), rx.el.input(type="hidden", name=f"has_{name}", value="1"),
                     align="center", spacing="2")


def text_input(name: str, **props) -> rx.Component:
    return rx.input(name=name, id=f"input-{name}", width="100%", **props)


def member_fields(head: bool = False) -> rx.Component:
    """One member's facts; sex and birth date may be left blank (read from the ID number)."""
    return rx.vstack(
        rx.hstack(
            field("姓名 *", text_input("name", max_length=50)),
            field("身份证号 *", text_input("id_number", max_length=18, placeholder="18 位")),
            field("与户主关系 *", rx.text("户主", size="2") if head else choice("relation", codes.RELATIONS)),
            field("性别", choice("sex", {"male": "男", "female": "女"})),
            field("出生日期", text_input("birth_date", type="date")),
            wrap="wrap", spacing="3",
        ),
        rx.hstack(
            field("劳动能力", choice("labour_capacity", codes.LABOUR_CAPACITY)),
            field("健康状况", choice("health", codes.HEALTH, "健康")),
            field("残疾类别", choice("disability_type", codes.DISABILITY_TYPES)),
            field("残疾等级", choice("disability_grade", codes.DISABILITY_GRADES)),
            field("就业情况", choice("employment", codes.EMPLOYMENT)),
            field("在校情况", choice("schooling", codes.SCHOOLING)),
            wrap="wrap", spacing="3",
        ),
        rx.hstack(*[flag(n, label, default=(n == "medical_insurance")) for n, label in MEMBER_FLAGS.items()],
                  spacing="5"),
        rx.text("性别、出生日期可不填，系统从身份证号读取；劳动能力不填时按规则确定"
                "（未满 16 周岁、60 周岁以上、一二级残疾等为无劳动能力）。", size="1", color_scheme="gray"),
        spacing="3",
        width="100%",
    )


def member_edit_fields(values) -> rx.Component:
    """An active member's facts for correction, opened with what the registry holds (`values`:
    a dict var of labels). The ID number is retyped only to correct it."""
    return rx.vstack(
        rx.hstack(
            field("姓名 *", text_input("name", max_length=50, default_value=values["name"])),
            field("身份证号（更正时填写）", text_input("id_number", max_length=18, placeholder=values["id_number"])),
            field("与户主关系", rx.cond(values["is_head"] == "1", rx.text("户主", size="2"),
                                    choice("relation", codes.RELATIONS, values["relation"]))),
            wrap="wrap", spacing="3",
        ),
        rx.hstack(
            field("劳动能力", choice("labour_capacity", codes.LABOUR_CAPACITY, values["labour_capacity"])),
            field("健康状况", choice("health", codes.HEALTH, values["health"])),
            field("残疾类别", choice("disability_type", codes.DISABILITY_TYPES, values["disability_type"])),
            field("残疾等级", choice("disability_grade", codes.DISABILITY_GRADES, values["disability_grade"])),
            field("就业情况", choice("employment", codes.EMPLOYMENT, values["employment"])),
            field("在校情况", choice("schooling", codes.SCHOOLING, values["schooling"])),
            wrap="wrap", spacing="3",
        ),
        rx.hstack(*[flag(n, label, default=values[n] == "1") for n, label in MEMBER_FLAGS.items()], spacing="5"),
        spacing="3",
        width="100%",
    )


def economic_fields(today) -> rx.Component:
    money = [field(label + "（元）", text_input(name, placeholder="0", input_mode="decimal"), "11em")
             for name, label in ECONOMIC_MONEY_FIELDS.items()]
    counts = [field(label, text_input(name, placeholder="0", input_mode="numeric"), "11em")
              for name, label in ECONOMIC_COUNT_FIELDS.items()]
    return rx.vstack(
        rx.hstack(field("核查日期 *", text_input("recorded_on", type="date", default_value=today)),
                  field("数据来源", choice("source", codes.ECONOMIC_SOURCES, "入户调查")), spacing="3"),
        rx.text("近 12 个月收入与就业成本", size="2", weight="bold"),
        rx.hstack(*money[:5], wrap="wrap", spacing="3"),
        rx.text("财产", size="2", weight="bold"),
        rx.hstack(money[5], *counts, wrap="wrap", spacing="3"),
        rx.text("近 12 个月刚性支出", size="2", weight="bold"),
        rx.hstack(*money[6:], wrap="wrap", spacing="3"),
        rx.text("生活状况（三保障及饮水安全）", size="2", weight="bold"),
        rx.hstack(field("住房安全等级", choice("housing_safety", codes.HOUSING_SAFETY, codes.HOUSING_SAFETY["A"])),
                  *[flag(n, label, default=True) for n, label in ECONOMIC_FLAG_FIELDS.items()],
                  spacing="4", align="end", wrap="wrap"),
        rx.text("返贫致贫风险点", size="2", weight="bold"),
        rx.hstack(*[rx.hstack(rx.checkbox(name=RISK_PREFIX + code, id=f"input-risk-{code}"),
                              rx.text(label, size="2"), spacing="1", align="center")
                    for code, label in codes.RISK_POINTS.items()], wrap="wrap", spacing="4"),
        spacing="3",
        width="100%",
    )


def tag_fields(today) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            field("对象类别 *", choice("tag", codes.TAG_LABELS)),
            field("监测对象类型（仅防返贫）", choice("subtype", codes.MONITORING_TYPES)),
            field("开始日期 *", text_input("start_date", type="date", default_value=today)),
            field("认定文号/会议决定 *", text_input("decision_ref", max_length=100)),
            wrap="wrap", spacing="3",
        ),
        field("认定依据", rx.text_area(name="basis", id="input-basis", width="100%"), "100%"),
        spacing="3", width="100%",
    )


def dated_reason_fields(date_name: str, date_label: str, today) -> rx.Component:
    return rx.hstack(
        field(date_label + " *", text_input(date_name, type="date", default_value=today)),
        field("原因 *", text_input("reason", max_length=200), "24em"),
        spacing="3", align="end",
    )


def visit_fields(today) -> rx.Component:
    return rx.vstack(
        rx.hstack(field("走访日期 *", text_input("visited_on", type="date", default_value=today)),
                  field("走访事由", text_input("purpose", max_length=100, placeholder="例：定期走访、核实预警"),
                        "20em"),
                  spacing="3"),
        field("走访发现 *", rx.text_area(name="findings", id="input-findings", width="100%"), "100%"),
        field("本次更新的信息（用顿号分隔）", text_input("changed_fields", placeholder="例：联系电话、住房安全等级"),
              "30em"),
        spacing="3", width="100%",
    )
