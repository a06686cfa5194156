"""The `lowincome-portal assess` input file: JSON text -> checked household facts and policy
overrides, or a ValidationError whose Chinese message starts with the field's path as it is
written in the file (`members[1].id_number：...`), so the user knows which line to fix.

Every key is required except `policy` (and each override inside it): a forgotten
`has_supporter` must not silently default to the answer that changes the result. Unknown
keys are refused too, so a misspelt override cannot be ignored without a word. Amounts
reuse the registry's checks (registry_input), so a number is judged the same way here as
in the forms and the spreadsheet import.
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from . import registry_input as check
from .errors import ValidationError
from .idcard import parse_resident_id
from .means_test import POLICY_CODES, Assets, HouseholdFacts, Income, MemberFacts, RigidExpenditure, policy_from_values
from .parameters import CATALOGUE
from .registry import LABOUR_CAPACITY

# Chinese names of the fields, used inside the messages.
TOP_LEVEL = {"as_of": "核算日期", "members": "共同生活家庭成员", "income_12m": "近 12 个月收入",
             "employment_costs_12m": "近 12 个月就业成本", "rigid_expenditure_12m": "近 12 个月刚性支出",
             "assets": "家庭财产"}
MEMBER = {"id_number": "身份证号", "name": "姓名", "labour_capacity": "劳动能力",
          "disability_grade": "残疾等级", "in_school": "是否在校", "has_supporter": "是否有赡养/抚养/扶养义务人"}
INCOME = {"wage": "工资性收入", "business": "经营净收入", "property": "财产净收入", "transfer": "转移净收入"}
RIGID = {"medical": "医疗自付支出", "education": "教育支出", "disability_care": "残疾康复护理支出"}
ASSET_MONEY = {"deposits": "存款"}
ASSET_COUNTS = {"vehicles": "机动车辆（辆）", "extra_houses": "自住房以外房产（套）", "businesses": "登记的经营主体（个）"}
POLICY_OVERRIDES = {"dibao_standard_monthly": "低保标准", "edge_multiplier": "低保边缘收入倍数",
                    "rigid_share": "刚性支出占家庭收入比例", "income_reference_annual": "上年度当地居民人均可支配收入",
                    "monitoring_line_annual": "防返贫监测收入线", "deposit_limit_per_capita": "人均存款限额"}


@dataclass(frozen=True)
class AssessRequest:
    facts: HouseholdFacts
    policy_overrides: dict[str, Decimal]  # only the codes the file sets


def parse_text(text: str) -> AssessRequest:
    """Parse and check the JSON text of an input file."""
    try:
        # Decimals straight from the text: 0.1 must not become 0.1000000000000000055.
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"输入文件不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）") from None
    return parse_request(data)


def parse_request(data) -> AssessRequest:
    """Check an already-decoded input object."""
    _object(data, "", "输入文件", required=TOP_LEVEL, optional=("policy",))
    as_of = _field("as_of", lambda: check.a_date(_present(data["as_of"], "as_of"), "核算日期"))
    members = _members(data["members"], as_of)
    income = _object(data["income_12m"], "income_12m", TOP_LEVEL["income_12m"], required=INCOME)
    rigid = _object(data["rigid_expenditure_12m"], "rigid_expenditure_12m", TOP_LEVEL["rigid_expenditure_12m"],
                    required=RIGID)
    assets = _object(data["assets"], "assets", TOP_LEVEL["assets"], required={**ASSET_MONEY, **ASSET_COUNTS})
    facts = HouseholdFacts(
        as_of=as_of,
        members=members,
        income_12m=Income(**{k: _money(income[k], f"income_12m.{k}", label) for k, label in INCOME.items()}),
        employment_costs_12m=_money(data["employment_costs_12m"], "employment_costs_12m", "就业成本"),
        rigid_expenditure_12m=RigidExpenditure(
            **{k: _money(rigid[k], f"rigid_expenditure_12m.{k}", label) for k, label in RIGID.items()}),
        assets=Assets(
            deposits=_money(assets["deposits"], "assets.deposits", "存款"),
            **{k: _count(assets[k], f"assets.{k}", label) for k, label in ASSET_COUNTS.items()}),
    )
    return AssessRequest(facts=facts, policy_overrides=_policy(data.get("policy")))


def _members(value, as_of) -> tuple[MemberFacts, ...]:
    if not isinstance(value, list):
        raise ValidationError("members：应为成员列表（JSON 数组）")
    if not value:
        raise ValidationError("members：至少应有一名共同生活家庭成员")
    members: list[MemberFacts] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(value):
        path = f"members[{i}]"
        _object(raw, path, "家庭成员", required=MEMBER)
        resident = _field(f"{path}.id_number",
                          lambda: parse_resident_id(_text(raw["id_number"], f"{path}.id_number")))
        if resident.birth_date > as_of:
            raise ValidationError(f"{path}.id_number：出生日期 {resident.birth_date.isoformat()} "
                                  f"晚于核算日期 {as_of.isoformat()}，不是当日的家庭成员")
        if resident.number in seen:
            raise ValidationError(f"{path}.id_number：与 members[{seen[resident.number]}] 的身份证号重复")
        seen[resident.number] = i
        grade = _grade(raw["disability_grade"], f"{path}.disability_grade")
        labour = _labour(raw["labour_capacity"], f"{path}.labour_capacity", resident.age_on(as_of), grade)
        members.append(MemberFacts(
            id_number=resident.number,
            name=_field(f"{path}.name", lambda: check.text(_text(raw["name"], f"{path}.name"), "姓名",
                                                          required=True, max_length=50)),
            labour_capacity=labour,
            disability_grade=grade,
            in_school=_bool(raw["in_school"], f"{path}.in_school"),
            has_supporter=_bool(raw["has_supporter"], f"{path}.has_supporter"),
        ))
    return tuple(members)


def _policy(value) -> dict[str, Decimal]:
    if value is None:
        return {}
    _object(value, "policy", "政策参数", required={}, optional=tuple(POLICY_OVERRIDES))
    out = {}
    for code, raw in value.items():
        path, label = f"policy.{code}", POLICY_OVERRIDES[code]
        if code == "edge_multiplier":
            number = _decimal(raw, path, label)
            if number < 1:
                raise ValidationError(f"{path}：{label}不能小于 1")
        elif code == "rigid_share":
            number = _decimal(raw, path, label)
            if not 0 < number <= 1:
                raise ValidationError(f"{path}：{label}应大于 0 且不超过 1（如 0.7 表示 70%）")
        else:
            number = _money(raw, path, label)
        out[code] = number
    return out


# --- small checks; each raises ValidationError("path：message") ---------------------------

def _object(value, path: str, label: str, required: dict, optional: tuple = ()) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(f"{path}：{label}应为 JSON 对象" if path else "输入文件的顶层应为 JSON 对象")
    for key in required:
        if key not in value:
            raise ValidationError(f"{_join(path, key)}：缺少此项（{required[key]}）")
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            raise ValidationError(f"{_join(path, key)}：未知字段（可用字段：{'、'.join([*required, *optional])}）")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _field(path: str, parse):
    """Run a registry check and put the path in front of its message."""
    try:
        return parse()
    except ValidationError as exc:
        if exc.message.startswith(f"{path}："):
            raise
        raise ValidationError(f"{path}：{exc.message}") from None


def _present(value, path: str):
    if value is None:
        raise ValidationError(f"{path}：不能为空")
    return value


def _text(value, path: str) -> str:
    if not isinstance(_present(value, path), str):
        raise ValidationError(f"{path}：应为文本（加引号）")
    return value


def _money(value, path: str, label: str) -> Decimal:
    if isinstance(_present(value, path), bool):
        raise ValidationError(f"{path}：{label}应为金额（数字）")
    return _field(path, lambda: check.money(value, label))


def _decimal(value, path: str, label: str) -> Decimal:
    try:
        if isinstance(_present(value, path), bool):
            raise InvalidOperation
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{path}：{label}“{value}”不是有效数字") from None
    if not number.is_finite():
        raise ValidationError(f"{path}：{label}“{value}”不是有效数字")
    return number


def _count(value, path: str, label: str) -> int:
    if isinstance(_present(value, path), bool):
        raise ValidationError(f"{path}：{label}应为整数")
    return _field(path, lambda: check.count(value, label))


def _bool(value, path: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{path}：应为 true 或 false")
    return value


def _grade(value, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value not in (1, 2, 3, 4):
        raise ValidationError(f"{path}：残疾等级应为 1-4 的整数，无残疾填 null")
    return int(value)


def _labour(value, path: str, age: int, grade: int | None) -> str:
    if not isinstance(value, str) or value not in LABOUR_CAPACITY:
        allowed = "、".join(f"{code}（{name}）" for code, name in LABOUR_CAPACITY.items())
        raise ValidationError(f"{path}：劳动能力“{value}”不在可选范围内（可选：{allowed}）")
    # The registry refuses a record that contradicts the county's rule; so does this file.
    reason = check.no_labour_by_rule(age, "", grade)
    if reason and value != "none":
        raise ValidationError(f"{path}：劳动能力应为 none（无劳动能力）：该成员{reason}")
    return value


# --- which policy numbers the command uses -------------------------------------------------

SOURCE_INPUT = "input"
SOURCE_DATABASE = "database"
SOURCE_DEFAULT = "catalogue_default"


def choose_policy(overrides: dict[str, Decimal], stored: dict[str, Decimal]):
    """Each number from the file if it sets one, else the database's value in force, else the
    catalogue default. Returns (Policy, {code: source})."""
    values, sources = {}, {}
    for code in POLICY_CODES:
        for source, pool in ((SOURCE_INPUT, overrides), (SOURCE_DATABASE, stored),
                             (SOURCE_DEFAULT, {code: CATALOGUE[code].default})):
            if code in pool:
                values[code], sources[code] = pool[code], source
                break
    return policy_from_values(values), sources


def policy_note(sources: dict[str, str], as_of, why_no_database: str | None) -> str:
    """One Chinese sentence saying where the numbers came from."""
    used = set(sources.values())
    if used == {SOURCE_INPUT}:
        return "全部政策参数由输入文件给出"
    parts = []
    if SOURCE_DATABASE in used:
        parts.append(f"未在文件中给出的参数采用数据库中 {as_of.isoformat()} 有效的数值")
        if SOURCE_DEFAULT in used:
            parts.append("数据库中当日无有效数值的参数采用系统默认值")
    else:
        parts.append(f"未在文件中给出的参数采用系统默认值（{why_no_database or '数据库中无当日有效数值'}）")
    return "；".join(parts)
