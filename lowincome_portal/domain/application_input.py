"""Checking an application as a resident or a station clerk filled it in.

Every field is checked and every problem is reported at once, each beside its field
(FormErrors), so an applicant at home fixes the form in one go. The same checks serve the
online page, the station form and the import of applications taken elsewhere.
"""

from datetime import date

from . import registry as codes
from . import registry_input as check
from .areas import VILLAGE, is_valid_code, level_of
from .errors import FormErrors, ValidationError
from .idcard import parse_resident_id

MAX_MEMBERS = 20
MSG_CONSENT = "请阅读并勾选同意授权核查家庭经济状况，否则无法受理"
MSG_VILLAGE = "请选择所在村（社区）"
MSG_DUPLICATE_MEMBER = "身份证号与第 {other} 位成员重复"
MSG_APPLICANT_AGAIN = "申请人本人无需在家庭成员中重复填写"
MSG_TOO_MANY = f"家庭成员最多填写 {MAX_MEMBERS} 人"
MSG_HEAD_RELATION = "家庭成员的与申请人关系不能是“户主”"


def _field(errors: dict, key: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        errors[key] = exc.message
        return None


def _village(value) -> str:
    code = (value or "").strip()
    if not (is_valid_code(code) and level_of(code) == VILLAGE):
        raise ValidationError(MSG_VILLAGE)
    return code


def _consent(value) -> bool:
    if value is not True and str(value).strip().lower() not in ("true", "1", "是", "同意", "on"):
        raise ValidationError(MSG_CONSENT)
    return True


def application(values: dict, today: date) -> dict:
    """The checked application (columns of an Application row plus "members"), or FormErrors
    with one message per wrong field: keys as in `values`, members as "members.<i>.<field>"."""
    errors: dict[str, str] = {}
    out = {
        "applicant_name": _field(errors, "applicant_name", check.text, values.get("applicant_name"),
                                 "申请人姓名", required=True, max_length=50),
        "applicant_phone": _field(errors, "applicant_phone", check.phone, values.get("applicant_phone"),
                                  "联系电话"),
        "area_code": _field(errors, "area_code", _village, values.get("area_code")),
        "address": _field(errors, "address", check.text, values.get("address"), "家庭住址", required=True),
        "difficulty": _field(errors, "difficulty", check.text, values.get("difficulty"), "困难情况说明",
                             required=True, max_length=1000),
        "consent": _field(errors, "consent", _consent, values.get("consent")),
    }
    applicant = _field(errors, "applicant_id_number", parse_resident_id, values.get("applicant_id_number"),
                       today=today, field="申请人身份证号")
    out["applicant_id_number"] = applicant.number if applicant else None
    if not out["applicant_phone"] and "applicant_phone" not in errors:
        errors["applicant_phone"] = "请填写联系电话，以便工作人员联系入户"
    out["members"] = _members(values.get("members") or [], applicant.number if applicant else "", today, errors)
    if errors:
        raise FormErrors(errors)
    return out


def _members(rows: list, applicant_number: str, today: date, errors: dict) -> list[dict]:
    if len(rows) > MAX_MEMBERS:
        errors["members"] = MSG_TOO_MANY
        return []
    members, seen = [], {}
    for i, row in enumerate(rows):
        key = f"members.{i}"
        name = _field(errors, f"{key}.name", check.text, row.get("name"), f"第 {i + 1} 位成员姓名",
                      required=True, max_length=50)
        resident = _field(errors, f"{key}.id_number", parse_resident_id, row.get("id_number"), today=today,
                          field=f"第 {i + 1} 位成员身份证号")
        relation = _field(errors, f"{key}.relation", check.choice, row.get("relation"),
                          f"第 {i + 1} 位成员与申请人关系", codes.RELATIONS)
        if relation == codes.HEAD:
            errors[f"{key}.relation"] = MSG_HEAD_RELATION
        if resident:
            if resident.number == applicant_number:
                errors[f"{key}.id_number"] = MSG_APPLICANT_AGAIN
            elif resident.number in seen:
                errors[f"{key}.id_number"] = MSG_DUPLICATE_MEMBER.format(other=seen[resident.number] + 1)
            seen.setdefault(resident.number, i)
        members.append({"name": name, "id_number": resident.number if resident else "", "relation": relation})
    return members
