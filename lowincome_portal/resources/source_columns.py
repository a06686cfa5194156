"""统一监测预警: the columns of a department file (数据列映射): header -> indicator, and how the
cells are read (a number, a flag whose listed values mean yes, or a column not used).

A department that renames a column is handled here, not in code: change the header.
"""

from sqlmodel import col, select

from ..db.tables import DataSource, SourceColumn
from ..domain import monitoring as rules_domain
from ..domain.errors import ValidationError
from ..domain.permissions import STAFF
from ..domain.roles import ADMIN
from .spec import Field, Resource, Roles

NOT_USED = {"": "不使用"}
MSG_NEEDS_INDICATOR = "请选择该列对应的指标，或将类型设为“不使用”"
MSG_KIND_MISMATCH = "指标“{indicator}”的列类型应为“{expected}”"
MSG_TRUE_VALUES = "请填写表示“是”的取值（空格分隔；填 * 表示有内容即为“是”）"
MSG_HEADER_TAKEN = "“{header}”已是该数据来源的{what}，不能再作为数据列"


def indicator_choices() -> dict[str, str]:
    return NOT_USED | {code: i.label for code, i in rules_domain.INDICATORS.items()}


def source_choices(session) -> dict[str, str]:
    rows = session.exec(select(DataSource.code, DataSource.name).order_by(col(DataSource.id))).all()
    return {code: name for code, name in rows}


class SourceColumnHooks:
    @staticmethod
    def choices_for(session, actor, f):
        return source_choices(session) if f.name == "source_code" else None

    @staticmethod
    def clean(session, actor, values, row):
        def current(name):
            return values[name] if name in values else getattr(row, name, "")

        kind, indicator = current("kind"), current("indicator") or ""
        if kind == "ignore":
            values["indicator"], values["true_values"] = "", ""
            return values
        if not indicator:
            raise ValidationError(MSG_NEEDS_INDICATOR)
        expected = rules_domain.INDICATORS[indicator].kind
        if expected != kind:
            raise ValidationError(MSG_KIND_MISMATCH.format(
                indicator=rules_domain.INDICATORS[indicator].label, expected=rules_domain.COLUMN_KINDS[expected]))
        if kind == "flag" and not (current("true_values") or "").strip():
            raise ValidationError(MSG_TRUE_VALUES)
        if kind == "number":
            values["true_values"] = ""
        source = session.exec(select(DataSource).where(DataSource.code == current("source_code"))).first()
        header = current("header")
        if source is not None and header in (source.id_header, source.period_header):
            what = "身份证号列" if header == source.id_header else "月份列"
            raise ValidationError(MSG_HEADER_TAKEN.format(header=header, what=what))
        return values


RESOURCE = Resource(
    name="source_columns",
    label="数据列映射",
    description="各数据来源文件中每一列的列名及其对应的监测指标：数值列（如年度累计自付）、"
                "是否标记列（如参保状态为“未参保”即为是）或不参与比对的列。部门改了列名时在这里修改即可。",
    model=SourceColumn,
    fields=(
        Field("source_code", "数据来源", kind="choice", required=True, fixed_after_create=True),
        Field("header", "列名", required=True, max_length=40, help="与部门文件表头完全一致，例：年度累计自付"),
        Field("indicator", "对应指标", kind="choice", choices=indicator_choices()),
        Field("kind", "列类型", kind="choice", required=True, choices=rules_domain.COLUMN_KINDS,
              default="number"),
        Field("true_values", "表示“是”的取值", max_length=200,
              help="是否标记列：空格分隔，例：未参保 断保；填 * 表示有内容即为是"),
        Field("required", "必须有此列", kind="bool", default=True,
              help="勾选：文件缺少此列时整份文件不予导入"),
    ),
    list_columns=("source_code", "header", "indicator", "kind", "true_values", "required"),
    filters=("source_code", "indicator", "kind"),
    search_fields=("header",),
    search_help="列名",
    sortable=("source_code", "header", "indicator"),
    default_sort="id",
    audit_entity="source_column",
    roles=Roles(read=STAFF, create=(ADMIN,), edit=(ADMIN,), delete=(ADMIN,), export=STAFF),
    hooks=SourceColumnHooks(),
)
