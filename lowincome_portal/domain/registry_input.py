"""Turning what a user typed (a form or a spreadsheet cell) into checked registry facts.

Every function takes text or loose values and returns typed values, or raises
ValidationError with a Chinese message that names the field. Used by the forms, the
import and the services alike, so a fact is checked the same way wherever it comes from.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from . import registry as codes
from .errors import ValidationError
from .idcard import SEX_LABELS, check_typed_facts, parse_resident_id

TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "已参加", "参加", "√"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", "未参加", "", "×"}


def text(value, label: str, required: bool = False, max_length: int = 200) -> str:
    v = "" if value is None else str(value).strip()
    if required and not v:
        raise ValidationError(f"{label}不能为空")
    if len(v) > max_length:
        raise ValidationError(f"{label}不能超过 {max_length} 个字")
    return v


def money(value, label: str) -> Decimal:
    """A non-negative amount in yuan, two places; blank is zero."""
    raw = "" if value is None else str(value).strip().replace(",", "").replace("，", "")
    if raw == "":
        return Decimal("0.00")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(f"{label}“{raw}”不是有效金额") from None
    if not amount.is_finite():
        raise ValidationError(f"{label}“{raw}”不是有效金额")
    if amount < 0:
        raise ValidationError(f"{label}不能为负数")
    if amount >= Decimal("1e11"):
        raise ValidationError(f"{label}“{raw}”超出合理范围")
    return amount.quantize(Decimal("0.01"))


def count(value, label: str, maximum: int = 99) -> int:
    raw = "" if value is None else str(value).strip()
    if raw == "":
        return 0
    try:
        n = int(Decimal(raw))
        if Decimal(raw) != n:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label}“{raw}”应为整数") from None
    if n < 0:
        raise ValidationError(f"{label}不能为负数")
    if n > maximum:
        raise ValidationError(f"{label}“{raw}”超出合理范围（最多 {maximum}）")
    return n


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")


def a_date(value, label: str, required: bool = True, not_after: date | None = None) -> date | None:
    """A date from a date, a datetime, or text like 2025-03-01 / 2025/3/1 / 20250301."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{label}不能为空")
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        raw = str(value).strip()
        parsed = None
        if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
            # YYYY-MM-DD, what spreadsheets and forms nearly always hold: fromisoformat is
            # many times faster than strptime; what it refuses is tried with the formats.
            try:
                parsed = date.fromisoformat(raw)
            except ValueError:
                pass
        for fmt in _DATE_FORMATS if parsed is None else ():
            try:
                parsed = datetime.strptime(raw, fmt).date()
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValidationError(f"{label}“{raw}”不是有效日期（例：2025-03-01）")
    if not_after is not None and parsed > not_after:
        raise ValidationError(f"{label} {parsed.isoformat()} 不能晚于 {not_after.isoformat()}")
    return parsed


def flag(value, label: str) -> bool:
    if isinstance(value, bool):
        return value
    raw = "" if value is None else str(value).strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ValidationError(f"{label}“{value}”应填“是”或“否”")


def choice(value, label: str, mapping: dict[str, str], required: bool = True) -> str:
    """A code from its code or its Chinese label (spreadsheets carry labels, forms codes)."""
    raw = "" if value is None else str(value).strip()
    if raw in mapping:
        return raw
    for code, name in mapping.items():
        if raw == name:
            return code
    if raw == "" and not required:
        return ""
    if raw == "":
        raise ValidationError(f"{label}不能为空")
    allowed = "、".join(n for c, n in mapping.items() if c)
    raise ValidationError(f"{label}“{raw}”不在可选范围内（可选：{allowed}）")


def sex_code(value) -> str | None:
    raw = "" if value is None else str(value).strip()
    if not raw:
        return None
    for code, name in SEX_LABELS.items():
        if raw in (code, name):
            return code
    raise ValidationError(f"性别“{raw}”应为“男”或“女”")


def phone(value, label: str = "联系电话") -> str:
    v = text(value, label, max_length=30).replace(" ", "").replace("-", "")
    if v and not (v.isdigit() and 7 <= len(v) <= 12):
        raise ValidationError(f"{label}“{value}”应为 7-12 位数字（手机或座机）")
    return v


def bank_account(value, label: str = "银行账号") -> str:
    v = text(value, label, max_length=40).replace(" ", "")
    if v and not (v.isdigit() and 12 <= len(v) <= 30):
        raise ValidationError(f"{label}应为 12-30 位数字")
    return v


def member(values: dict, today: date | None = None) -> dict:
    """Check one member's facts; returns the columns of a Member row (without household)."""
    today = today or date.today()
    resident = parse_resident_id(values.get("id_number"), today=today)
    typed_birth = a_date(values.get("birth_date"), "出生日期", required=False, not_after=today)
    check_typed_facts(resident, sex_code(values.get("sex")), typed_birth)
    grade_text = "" if values.get("disability_grade") is None else str(values.get("disability_grade")).strip()
    grade = choice(grade_text, "残疾等级", codes.DISABILITY_GRADES, required=False)
    disability_type = choice(values.get("disability_type"), "残疾类别", codes.DISABILITY_TYPES, required=False)
    if bool(grade) != bool(disability_type):
        raise ValidationError("残疾类别与残疾等级应同时填写或同时留空")
    return {
        "id_number": resident.number,
        "name": text(values.get("name"), "姓名", required=True, max_length=50),
        "sex": resident.sex,
        "birth_date": resident.birth_date,
        "relation": choice(values.get("relation"), "与户主关系", codes.RELATIONS),
        "labour_capacity": _labour_capacity(values.get("labour_capacity"), resident.age_on(today),
                                            disability_type, int(grade) if grade else None),
        "health": choice(values.get("health") or "healthy", "健康状况", codes.HEALTH),
        "disability_type": disability_type,
        "disability_grade": int(grade) if grade else None,
        "employment": choice(values.get("employment"), "就业情况", codes.EMPLOYMENT, required=False),
        "schooling": choice(values.get("schooling"), "在校情况", codes.SCHOOLING, required=False),
        "in_school": flag(values.get("in_school", False), "是否在校"),
        "medical_insurance": flag(values.get("medical_insurance", True), "参加基本医保"),
        "has_supporter": flag(values.get("has_supporter", False), "有赡养/抚养能力的义务人"),
    }


def no_labour_by_rule(age: int, disability_type: str, disability_grade: int | None) -> str | None:
    """Why the rules say a person has no labour capacity, or None when it is for the visit to assess."""
    if age < 16:
        return "未满 16 周岁"
    if age >= 60:
        return "已满 60 周岁"
    if disability_grade in (1, 2):
        return "一、二级残疾"
    if disability_grade == 3 and disability_type in ("intellectual", "mental"):
        return "三级智力或精神残疾"
    return None


def _labour_capacity(value, age: int, disability_type: str, disability_grade: int | None) -> str:
    typed = choice(value, "劳动能力", codes.LABOUR_CAPACITY, required=False)
    reason = no_labour_by_rule(age, disability_type, disability_grade)
    if reason is None:
        return typed or "full"
    if typed and typed != "none":
        raise ValidationError(f"劳动能力应为“无劳动能力”（{reason}），不能填“{codes.LABOUR_CAPACITY[typed]}”")
    return "none"


ECONOMIC_MONEY_FIELDS = {
    "wage_income": "工资性收入",
    "business_income": "经营净收入",
    "property_income": "财产净收入",
    "transfer_income": "转移净收入",
    "employment_costs": "就业成本",
    "deposits": "存款",
    "medical_expense": "医疗自付支出",
    "education_expense": "教育支出",
    "disability_care_expense": "残疾康复护理支出",
}
ECONOMIC_COUNT_FIELDS = {"vehicles": "机动车辆（辆）", "extra_houses": "自住房以外房产（套）",
                         "businesses": "登记的经营主体（个）"}
ECONOMIC_FLAG_FIELDS = {"drinking_water_safe": "饮水安全", "compulsory_education_ok": "义务教育有保障",
                        "medical_insurance_ok": "基本医疗有保障"}


def economic_status(values: dict) -> dict:
    """Check one economic-status record; returns the columns of an EconomicStatus row."""
    out: dict = {}
    for name, label in ECONOMIC_MONEY_FIELDS.items():
        out[name] = money(values.get(name), label)
    for name, label in ECONOMIC_COUNT_FIELDS.items():
        out[name] = count(values.get(name), label)
    for name, label in ECONOMIC_FLAG_FIELDS.items():
        out[name] = flag(values.get(name, True), label)
    out["housing_safety"] = choice(values.get("housing_safety") or "A", "住房安全等级", codes.HOUSING_SAFETY)
    points = values.get("risk_points") or []
    if isinstance(points, str):
        points = points.replace("，", " ").replace(",", " ").split()
    out["risk_points"] = " ".join(choice(p, "返贫致贫风险点", codes.RISK_POINTS) for p in points)
    return out
