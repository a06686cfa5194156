"""统一监测预警: the warning rules (预警规则) - which indicator, compared how, for which households
and members, raises a warning of which severity for which department.

Thresholds are separate, dated rows per household tag (warning_thresholds.py). A rule is
switched off by making it inactive; warnings it raised keep its code.
"""

from sqlmodel import select

from ..db.tables import SourceColumn, WarningRule
from ..domain import monitoring as rules_domain
from ..domain import registry as registry_codes
from ..domain.errors import ValidationError
from ..domain.permissions import STAFF
from ..domain.roles import ADMIN
from .data_sources import check_code
from .source_columns import source_choices
from .spec import Field, Resource, Roles

ANY_SOURCE = {"": "任一来源", rules_domain.REGISTRY_SOURCE: "登记信息变更"}
# The indicators a registry change can give (domain/monitoring.registry_facts).
REGISTRY_INDICATORS = ("died", "new_disability", "lost_job", "uninsured", "out_of_school",
                       "housing_unsafe", "water_unsafe", "income_drop_pct")

MSG_FLAG_NEEDS_FLAG = "“出现即预警”只适用于是否标记类指标；“{indicator}”是数值，请选择大于、小于等比较方式"
MSG_NUMBER_NEEDS_COMPARE = "“{indicator}”是是否标记类指标，比较方式应为“出现即预警”"
MSG_SUM_NEEDS_NUMBER = "“家庭合计”只适用于数值类指标"
MSG_SOURCE_LACKS = "数据来源“{source}”没有对应“{indicator}”的数据列，请先在数据列映射中声明或改选来源"


class WarningRuleHooks:
    @staticmethod
    def choices_for(session, actor, f):
        return ANY_SOURCE | source_choices(session) if f.name == "source_code" else None

    @staticmethod
    def clean(session, actor, values, row):
        def current(name):
            return values[name] if name in values else getattr(row, name, "")

        check_code(values.get("code"))
        indicator = rules_domain.INDICATORS[current("indicator")]
        if current("comparison") == "flag" and indicator.kind != "flag":
            raise ValidationError(MSG_FLAG_NEEDS_FLAG.format(indicator=indicator.label))
        if current("comparison") != "flag" and indicator.kind == "flag":
            raise ValidationError(MSG_NUMBER_NEEDS_COMPARE.format(indicator=indicator.label))
        if current("aggregate") == "household_sum" and indicator.kind != "number":
            raise ValidationError(MSG_SUM_NEEDS_NUMBER)
        source = current("source_code") or ""
        if source == rules_domain.REGISTRY_SOURCE:
            provided = current("indicator") in REGISTRY_INDICATORS
        elif source:
            provided = session.exec(select(SourceColumn.id).where(
                SourceColumn.source_code == source, SourceColumn.indicator == current("indicator"))).first() is not None
        else:
            provided = True
        if not provided:
            names = ANY_SOURCE | source_choices(session)
            raise ValidationError(MSG_SOURCE_LACKS.format(source=names.get(source, source), indicator=indicator.label))
        return values


RESOURCE = Resource(
    name="warning_rules",
    label="预警规则",
    description="部门数据或登记信息变更触发预警的规则：监测指标、比较方式、适用家庭和成员、预警等级和责任部门。"
                "数值类规则的阈值按家庭类别分别设置在“预警阈值”中；停用的规则不再产生新预警。",
    model=WarningRule,
    fields=(
        Field("code", "代码", required=True, max_length=40, fixed_after_create=True,
              help="小写英文字母、数字和下划线，例：medical_annual；保存后不能修改"),
        Field("name", "规则名称", required=True, max_length=80, help="例：年度医疗自付费用过高"),
        Field("indicator", "监测指标", kind="choice", required=True,
              choices={code: i.label for code, i in rules_domain.INDICATORS.items()}),
        Field("source_code", "数据来源", kind="choice",
              help="不选表示任一提供该指标的来源（部门文件或登记信息变更）"),
        Field("aggregate", "计算方式", kind="choice", required=True, choices=rules_domain.AGGREGATES,
              default="member", help="家庭合计：全户成员数值相加后比较"),
        Field("comparison", "比较方式", kind="choice", required=True, choices=rules_domain.COMPARISONS,
              default="ge"),
        Field("applies_to_tags", "适用家庭", kind="choice", multiple=True, max_length=120,
              choices=registry_codes.TAG_LABELS, help="可多选；不选表示所有家庭"),
        Field("member_filter", "适用成员", kind="choice", choices=rules_domain.MEMBER_FILTERS),
        Field("severity", "预警等级", kind="choice", required=True, choices=rules_domain.SEVERITY,
              default="medium"),
        Field("department", "责任部门", kind="choice", required=True, choices=rules_domain.DEPARTMENTS,
              default="both"),
        Field("active", "在用", kind="bool", default=True),
        Field("note", "说明", max_length=300),
    ),
    list_columns=("code", "name", "indicator", "comparison", "applies_to_tags", "severity", "department", "active"),
    filters=("indicator", "severity", "department", "active"),
    search_fields=("code", "name"),
    search_help="代码或规则名称",
    sortable=("code", "name", "severity"),
    default_sort="id",
    audit_entity="warning_rule",
    roles=Roles(read=STAFF, create=(ADMIN,), edit=(ADMIN,), delete=(ADMIN,), export=STAFF),
    hooks=WarningRuleHooks(),
)
