"""统一监测预警: a rule's threshold for households of one tag ("" = every other household),
from an effective date (预警阈值).

Like policy parameters, a threshold is dated: a change is a new row from a later date, and the
import reads the row in force on the first day of the file's month. A row that has already
raised warnings is never changed or deleted (the warnings quote it); a row not yet used may
be corrected.
"""


from sqlalchemy.orm import object_session
from sqlmodel import col, select

from ..db.tables import RiskWarning, WarningRule, WarningThreshold
from ..domain import registry as registry_codes
from ..domain.errors import ValidationError
from ..domain.permissions import STAFF
from ..domain.roles import ADMIN
from ..services.households import today_in_china
from .spec import Field, Resource, Roles

OTHER_HOUSEHOLDS = {"": "其他家庭"}
MSG_USED = ("该阈值自 {day} 起已用于生成预警，不能修改或删除（预警中引用了它）；"
            "如需调整，请新增一条以后日期生效的记录")
MSG_NOT_FIRST = "生效日期须为某月 1 日：数据按月比对，一个月只适用一个阈值"
MSG_TOO_EARLY = "生效日期不能早于本月 1 日（{first}）：已结束月份的比对按当时的阈值执行"


def rule_choices(session) -> dict[str, str]:
    """Rules that compare a number (flag rules need no threshold), by code."""
    rows = session.exec(select(WarningRule.code, WarningRule.name).where(WarningRule.comparison != "flag")
                        .order_by(col(WarningRule.id))).all()
    return {code: name for code, name in rows}


class WarningThresholdHooks:
    @staticmethod
    def choices_for(session, actor, f):
        return rule_choices(session) if f.name == "rule_code" else None

    @staticmethod
    def locked_reason(row) -> str:
        session = object_session(row)
        if session is None or row.effective_from is None:
            return ""
        # the months the row was in force: from its date to the next row's of the same rule and tag
        until = session.exec(select(WarningThreshold.effective_from).where(
            WarningThreshold.rule_code == row.rule_code, WarningThreshold.tag == row.tag,
            WarningThreshold.effective_from > row.effective_from)
            .order_by(col(WarningThreshold.effective_from)).limit(1)).first()
        query = select(RiskWarning.id).where(RiskWarning.rule_code == row.rule_code,
                                             RiskWarning.period >= row.effective_from)
        if until is not None:
            query = query.where(RiskWarning.period < until)
        used = session.exec(query.limit(1)).first()
        return MSG_USED.format(day=row.effective_from.isoformat()) if used is not None else ""

    @staticmethod
    def clean(session, actor, values, row):
        start = values.get("effective_from")
        first = today_in_china().replace(day=1)
        if row is None and start is not None and start < first:
            raise ValidationError(MSG_TOO_EARLY.format(first=first.isoformat()))
        if start is not None and start.day != 1:
            raise ValidationError(MSG_NOT_FIRST)
        return values


RESOURCE = Resource(
    name="warning_thresholds",
    label="预警阈值",
    description="数值类预警规则按家庭类别设置的阈值，每条都有生效日期。一户有多个类别的取最低（最有利于及时发现）的阈值；"
                "没有单列类别的家庭适用“其他家庭”阈值。调整阈值请新增一条以后日期生效的记录，历史阈值保留。",
    model=WarningThreshold,
    fields=(
        Field("rule_code", "预警规则", kind="choice", required=True, fixed_after_create=True),
        Field("tag", "家庭类别", kind="choice", fixed_after_create=True,
              choices=OTHER_HOUSEHOLDS | registry_codes.TAG_LABELS, help="不选表示其他家庭"),
        Field("value", "阈值", kind="decimal", required=True, min_value=0, max_value=1_000_000_000,
              help="金额以元计，收入下降幅度以百分数计（30 表示 30%）"),
        Field("effective_from", "生效日期", kind="date", required=True, fixed_after_create=True,
              default=lambda: today_in_china().replace(day=1), help="某月 1 日，不能早于本月"),
        Field("note", "依据/说明", max_length=200),
    ),
    list_columns=("rule_code", "tag", "value", "effective_from", "note"),
    filters=("rule_code", "tag"),
    search_fields=("note",),
    search_help="依据/说明",
    sortable=("rule_code", "effective_from"),
    default_sort="effective_from",
    default_descending=True,
    audit_entity="warning_threshold",
    roles=Roles(read=STAFF, create=(ADMIN,), edit=(ADMIN,), delete=(ADMIN,), export=STAFF),
    hooks=WarningThresholdHooks(),
)
