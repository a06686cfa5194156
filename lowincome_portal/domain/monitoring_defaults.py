"""The county's starting declarations for 统一监测预警 (docs/monitoring.md, DOMAIN.md).

Seeded once by services/monitoring_rules.seed_defaults; afterwards they are data the county
admin edits on the low-code pages (数据来源, 数据列映射, 预警规则, 预警阈值). Nothing reads
these constants at run time except the seed and the tests.

water_unsafe and income_drop_pct have no department file: they come from registry changes
(economic status records) only.
"""

from datetime import date
from decimal import Decimal

from . import registry as registry_codes
from .monitoring import RuleSpec, spec_from

DEFAULTS_FROM = date(2025, 1, 1)


def _col(header: str, indicator: str = "", kind: str = "number", true_values: str = "",
         required: bool = True) -> dict:
    return {"header": header, "indicator": indicator, "kind": kind, "true_values": true_values,
            "required": required}


def _name() -> dict:
    # Every file carries the person's name; it is read for the error report, never matched on.
    return _col("姓名", kind="ignore", required=False)


DEFAULT_SOURCES: tuple[dict, ...] = (
    {"code": "medical_insurance", "name": "医保结算数据", "department": "县医疗保障局",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("年度累计自付", "medical_self_pay_year"),
         _col("单次住院最高自付", "inpatient_self_pay", required=False),
         _col("当月门诊自付", "outpatient_self_pay_month", required=False),
         _col("参保状态", "uninsured", "flag", "未参保 断保 中止"),
     )},
    {"code": "school_enrolment", "name": "学籍数据", "department": "县教育委员会",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("在校状态", "out_of_school", "flag", "辍学 未入学 休学"),
         _col("年度教育自付", "education_self_pay_year", required=False),
     )},
    {"code": "housing_safety", "name": "农村住房安全鉴定", "department": "县住房城乡建委",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("鉴定等级", "housing_unsafe", "flag", "C D C级 D级"),
     )},
    {"code": "deaths", "name": "死亡登记", "department": "县公安局",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("死亡日期", "died", "flag", "*"),
     )},
    {"code": "disability", "name": "残疾人证", "department": "县残联",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("残疾类别", "new_disability", "flag", "*"),
         _col("残疾等级", kind="ignore", required=False),
     )},
    {"code": "unemployment", "name": "失业登记", "department": "县人力社保局",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("失业登记日期", "lost_job", "flag", "*"),
     )},
    {"code": "business", "name": "市场主体登记", "department": "县市场监管局",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("主体名称", "business", "flag", "*"),
     )},
    {"code": "vehicles", "name": "机动车登记", "department": "县公安局交巡警支队",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("号牌号码", "vehicle", "flag", "*"),
     )},
    {"code": "real_estate", "name": "不动产登记", "department": "县规划自然资源局",
     "id_header": "身份证号", "period_header": "数据月份",
     "columns": (
         _name(),
         _col("不动产单元号", "real_estate", "flag", "*"),
     )},
)

_ASSISTED = f" {registry_codes.DIBAO} {registry_codes.TEKUN} "  # 低保/特困 only


def _rule(code: str, name: str, indicator: str, *, aggregate: str = "member", comparison: str = "flag",
          applies_to_tags: str = "", member_filter: str = "", severity: str = "medium",
          department: str = "both", source_code: str = "") -> dict:
    return {"code": code, "name": name, "indicator": indicator, "source_code": source_code,
            "aggregate": aggregate, "comparison": comparison, "applies_to_tags": applies_to_tags,
            "member_filter": member_filter, "severity": severity, "department": department}


DEFAULT_RULES: tuple[dict, ...] = (
    _rule("medical_annual", "年度医疗自付费用过高", "medical_self_pay_year", aggregate="household_sum",
          comparison="ge", severity="high"),
    _rule("inpatient_stay", "单次住院自付费用过高", "inpatient_self_pay", comparison="ge"),
    _rule("outpatient_month", "当月门诊自付费用较高", "outpatient_self_pay_month", aggregate="household_sum",
          comparison="ge", severity="low"),
    _rule("education_annual", "年度教育自付费用过高", "education_self_pay_year", aggregate="household_sum",
          comparison="gt"),
    _rule("out_of_school", "适龄儿童失学辍学", "out_of_school", member_filter="school_age", severity="high"),
    _rule("uninsured", "未参加基本医疗保险", "uninsured"),
    _rule("housing_unsafe", "住房不安全", "housing_unsafe", severity="high"),
    _rule("water_unsafe", "饮水不安全", "water_unsafe", department="agri"),
    _rule("working_member_died", "劳动力成员死亡", "died", member_filter="working_age", severity="high"),
    _rule("working_member_disabled", "劳动力成员新增残疾", "new_disability", member_filter="working_age",
          severity="high"),
    _rule("lost_job", "劳动力成员失业", "lost_job", member_filter="working_age", department="agri"),
    _rule("income_drop", "家庭人均收入大幅下降", "income_drop_pct", comparison="ge", severity="high"),
    _rule("business_found", "低保特困家庭名下有经营主体", "business", applies_to_tags=_ASSISTED,
          department="civil"),
    _rule("vehicle_found", "低保特困家庭名下有机动车辆", "vehicle", applies_to_tags=_ASSISTED,
          department="civil"),
    _rule("real_estate_found", "低保特困家庭名下新增房产", "real_estate", applies_to_tags=_ASSISTED,
          department="civil"),
)


def _threshold(rule_code: str, tag: str, value: str, note: str = "") -> dict:
    return {"rule_code": rule_code, "tag": tag, "value": Decimal(value), "effective_from": DEFAULTS_FROM,
            "note": note or "系统默认值"}


DEFAULT_THRESHOLDS: tuple[dict, ...] = (
    _threshold("medical_annual", registry_codes.TEKUN, "1000"),
    _threshold("medical_annual", registry_codes.DIBAO, "5000"),
    _threshold("medical_annual", registry_codes.DIBAO_EDGE, "10000"),
    _threshold("medical_annual", "", "15000"),
    # 防返贫监测对象 stands for 脱贫户 until the registry carries that tag
    _threshold("inpatient_stay", registry_codes.MONITORING, "5000", "脱贫户（以防返贫监测对象代替）"),
    _threshold("inpatient_stay", "", "20000"),
    _threshold("outpatient_month", "", "500"),
    _threshold("education_annual", "", "10000"),
    _threshold("income_drop", "", "30"),
)


def default_specs() -> dict[str, RuleSpec]:
    """The default rules as RuleSpecs with the default thresholds (code -> spec), as
    services/monitoring_rules.active_rules builds them from the seeded rows."""
    thresholds: dict[str, dict[str, Decimal]] = {}
    for row in DEFAULT_THRESHOLDS:
        thresholds.setdefault(row["rule_code"], {})[row["tag"]] = row["value"]
    return {rule["code"]: spec_from(rule, thresholds.get(rule["code"], {})) for rule in DEFAULT_RULES}
