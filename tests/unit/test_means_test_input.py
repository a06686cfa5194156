"""The assess command's input file: every error names the field path as written in the file."""

import copy
import json
from datetime import date
from decimal import Decimal as D

import pytest

from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.domain.means_test_input import (
    SOURCE_DATABASE,
    SOURCE_DEFAULT,
    SOURCE_INPUT,
    choose_policy,
    parse_request,
    parse_text,
    policy_note,
)
from lowincome_portal.domain.parameters import CATALOGUE

VALID = {
    "as_of": "2025-09-01",
    "policy": {"dibao_standard_monthly": 630, "rigid_share": "0.6"},
    "members": [
        {"id_number": "11010519491231002X", "name": "王秀英", "labour_capacity": "none",
         "disability_grade": None, "in_school": False, "has_supporter": False},
        {"id_number": "110105198005010013", "name": "李建国", "labour_capacity": "partial",
         "disability_grade": 4, "in_school": False, "has_supporter": False},
    ],
    "income_12m": {"wage": 9000, "business": 0, "property": "120.50", "transfer": 2400.1},
    "employment_costs_12m": 600,
    "rigid_expenditure_12m": {"medical": 3000, "education": 0, "disability_care": 800},
    "assets": {"deposits": 5000, "vehicles": 0, "extra_houses": 0, "businesses": 0},
}


def error_of(data) -> str:
    with pytest.raises(ValidationError) as info:
        parse_request(data)
    return info.value.message


def changed(path, value):
    """VALID with one value replaced (path like 'members.1.id_number'); value ... deletes the key."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


def test_valid_file_parses_to_typed_facts():
    request = parse_text(json.dumps(VALID, ensure_ascii=False))
    facts = request.facts
    assert facts.as_of == date(2025, 9, 1)
    assert [m.name for m in facts.members] == ["王秀英", "李建国"]
    assert facts.members[1].disability_grade == 4
    assert facts.income_12m.property == D("120.50")
    # 2400.1 arrives as an exact decimal, not a binary float.
    assert facts.income_12m.transfer == D("2400.10")
    assert facts.employment_costs_12m == D("600.00")
    assert facts.rigid_expenditure_12m.total == D("3800.00")
    assert facts.assets.deposits == D("5000.00") and facts.assets.vehicles == 0
    assert request.policy_overrides == {"dibao_standard_monthly": D("630.00"), "rigid_share": D("0.6")}


def test_policy_is_optional():
    assert parse_request(changed("policy", ...)).policy_overrides == {}


@pytest.mark.parametrize("path, value, expected", [
    ("members.1.id_number", "110105198005010014", "members[1].id_number：身份证号“110105198005010014”校验码错误"),
    ("members.0.id_number", "1101051949", "members[0].id_number：身份证号“1101051949”应为 18 位"),
    ("members.0.id_number", 12345, "members[0].id_number：应为文本"),
    ("income_12m.wage", -1, "income_12m.wage：工资性收入不能为负数"),
    ("income_12m.wage", "abc", "income_12m.wage：工资性收入“abc”不是有效金额"),
    ("income_12m.wage", True, "income_12m.wage：工资性收入应为金额"),
    ("employment_costs_12m", None, "employment_costs_12m：不能为空"),
    ("rigid_expenditure_12m.medical", -0.01, "rigid_expenditure_12m.medical：医疗自付支出不能为负数"),
    ("assets.deposits", -5, "assets.deposits：存款不能为负数"),
    ("assets.vehicles", 1.5, "assets.vehicles：机动车辆（辆）“1.5”应为整数"),
    ("assets.vehicles", -1, "assets.vehicles：机动车辆（辆）不能为负数"),
    ("as_of", "2025-02-30", "as_of：核算日期“2025-02-30”不是有效日期"),
    ("as_of", None, "as_of：不能为空"),
    ("members.0.labour_capacity", "some", "members[0].labour_capacity：劳动能力“some”不在可选范围内"),
    ("members.1.labour_capacity", "全部劳动能力", "members[1].labour_capacity：劳动能力“全部劳动能力”不在可选范围内"),
    ("members.0.labour_capacity", "full", "members[0].labour_capacity：劳动能力应为 none（无劳动能力）：该成员已满 60 周岁"),
    ("members.1.disability_grade", 5, "members[1].disability_grade：残疾等级应为 1-4 的整数"),
    ("members.1.disability_grade", "2", "members[1].disability_grade：残疾等级应为 1-4 的整数"),
    ("members.0.in_school", "否", "members[0].in_school：应为 true 或 false"),
    ("members.0.has_supporter", None, "members[0].has_supporter：应为 true 或 false"),
    ("members.0.name", " ", "members[0].name：姓名不能为空"),
    ("members", [], "members：至少应有一名共同生活家庭成员"),
    ("members", {}, "members：应为成员列表"),
    ("income_12m", [1, 2], "income_12m：近 12 个月收入应为 JSON 对象"),
    ("policy.rigid_share", 1.5, "policy.rigid_share：刚性支出占家庭收入比例应大于 0 且不超过 1"),
    ("policy.edge_multiplier", 0.5, "policy.edge_multiplier：低保边缘收入倍数不能小于 1"),
    ("policy.edge_multiplier", "x", "policy.edge_multiplier：低保边缘收入倍数“x”不是有效数字"),
    ("policy.dibao_standard_monthly", -630, "policy.dibao_standard_monthly：低保标准不能为负数"),
    ("policy.dibao_standard", 630, "policy.dibao_standard：未知字段"),
    ("incomes", {}, "incomes：未知字段"),
])
def test_errors_name_the_field_path(path, value, expected):
    assert error_of(changed(path, value)).startswith(expected)


@pytest.mark.parametrize("path, expected", [
    ("members.0.has_supporter", "members[0].has_supporter：缺少此项"),
    ("members.1.in_school", "members[1].in_school：缺少此项"),
    ("income_12m.transfer", "income_12m.transfer：缺少此项（转移净收入）"),
    ("assets", "assets：缺少此项（家庭财产）"),
    ("as_of", "as_of：缺少此项（核算日期）"),
])
def test_missing_keys_are_errors(path, expected):
    assert error_of(changed(path, ...)).startswith(expected)


def test_birth_after_the_assessment_day_is_refused():
    # member 0 was born 1949-12-31, member 1 on 1980-05-01
    assert error_of(changed("as_of", "1980-01-01")) == (
        "members[1].id_number：出生日期 1980-05-01 晚于核算日期 1980-01-01，不是当日的家庭成员")
    assert error_of(changed("as_of", "1949-01-01")).startswith("members[0].id_number：出生日期 1949-12-31")


def test_duplicate_members_are_refused():
    data = changed("members.1.id_number", "11010519491231002x")
    assert error_of(data).startswith("members[1].id_number：与 members[0] 的身份证号重复")


def test_not_json_and_not_an_object():
    with pytest.raises(ValidationError, match="不是有效的 JSON（第 1 行"):
        parse_text("{as_of: 1}")
    with pytest.raises(ValidationError, match="输入文件的顶层应为 JSON 对象"):
        parse_text("[1, 2]")


def test_choose_policy_prefers_file_then_database_then_default():
    policy, sources = choose_policy({"rigid_share": D("0.6")}, {"rigid_share": D("0.8"),
                                                                 "dibao_standard_monthly": D("600")})
    assert policy.rigid_share == D("0.6") and sources["rigid_share"] == SOURCE_INPUT
    assert policy.dibao_standard_monthly == D("600") and sources["dibao_standard_monthly"] == SOURCE_DATABASE
    assert policy.edge_multiplier == CATALOGUE["edge_multiplier"].default
    assert sources["edge_multiplier"] == SOURCE_DEFAULT
    assert policy.vehicle_limit == 0 and isinstance(policy.vehicle_limit, int)


def test_policy_note_says_where_numbers_came_from():
    on = date(2025, 9, 1)
    assert policy_note({"a": SOURCE_INPUT}, on, None) == "全部政策参数由输入文件给出"
    assert "数据库中 2025-09-01 有效的数值" in policy_note({"a": SOURCE_DATABASE, "b": SOURCE_INPUT}, on, None)
    assert "系统默认值（未连接）" in policy_note({"a": SOURCE_DEFAULT}, on, "未连接")
