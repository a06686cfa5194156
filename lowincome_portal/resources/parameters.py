"""Policy parameters: dated values of standards, multipliers, deadlines and thresholds.

A value already in force is never changed or deleted (that would silently rewrite what
was decided with it); the county adds a new row from a later date instead.
"""

from datetime import date

from ..db.tables import PolicyParameter
from ..domain.errors import ValidationError
from ..domain.parameters import CATALOGUE
from ..domain.permissions import STAFF
from ..domain.roles import ADMIN, LEADER
from .spec import Field, Resource, Roles


def _labels() -> dict[str, str]:
    return {code: f"{spec.label}（{spec.unit}）" for code, spec in CATALOGUE.items()}


class ParameterHooks:
    @staticmethod
    def choices_for(session, actor, field):
        return _labels() if field.name == "code" else None

    @staticmethod
    def locked_reason(row) -> str:
        if row.effective_from <= date.today():
            return (f"该参数值自 {row.effective_from.isoformat()} 起已生效，不能修改或删除"
                    "（以免改写已作出的决定）；如需调整，请新增一条以后日期生效的记录")
        return ""

    @staticmethod
    def clean(session, actor, values, row):
        start = values.get("effective_from") or (row.effective_from if row else None)
        if row is None and start is not None and start < date.today():
            raise ValidationError("生效日期不能早于今天：已过去的日期按当时的参数执行，不能补改")
        return values


RESOURCE = Resource(
    name="parameters",
    label="政策参数",
    description="低保标准、边缘倍数、刚性支出比例、监测线、财产限额、办理时限等。"
                "每个数值都有生效日期；历史数值保留，作出决定时按当日有效的数值计算。",
    model=PolicyParameter,
    fields=(
        Field("code", "参数", kind="choice", required=True, fixed_after_create=True),
        Field("value", "数值", kind="decimal", required=True, min_value=0, max_value=10_000_000),
        Field("effective_from", "生效日期", kind="date", required=True, fixed_after_create=True,
              default=date.today, help="不能早于今天"),
        Field("note", "依据/说明", max_length=255, help="例：垫民发〔2025〕28号"),
    ),
    list_columns=("code", "value", "effective_from", "note"),
    filters=("code",),
    search_fields=("note",),
    search_help="依据/说明",
    sortable=("code", "effective_from"),
    default_sort="effective_from",
    default_descending=True,
    audit_entity="policy_parameter",
    roles=Roles(read=STAFF + (LEADER,), create=(ADMIN,), edit=(ADMIN,), delete=(ADMIN,), export=STAFF),
    hooks=ParameterHooks(),
)
