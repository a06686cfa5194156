"""统一监测预警: the departments' monthly files (数据来源) the county compares with the registry.

A source names its ID-number column and its month column; its other columns are declared in
数据列映射 (source_columns.py). The defaults are seeded by services/monitoring_rules.seed_defaults.
A source is switched off by making it inactive (its import batches keep its code).
"""

import re

from ..db.tables import DataSource
from ..domain import monitoring as rules_domain
from ..domain.errors import ValidationError
from ..domain.permissions import STAFF
from ..domain.roles import ADMIN
from .spec import Field, Resource, Roles

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MSG_CODE = "代码须以小写英文字母开头，只含小写英文字母、数字和下划线（2-32 位）"
MSG_RESERVED = "代码“registry”保留给登记信息变更，请换一个"
MSG_SAME_HEADER = "身份证号列名与月份列名不能相同"


def check_code(code: str | None) -> None:
    """Codes are keys in rules, batches and warnings: short ASCII, never "registry"."""
    if code is None:
        return
    if not CODE_PATTERN.match(code):
        raise ValidationError(MSG_CODE)


class DataSourceHooks:
    @staticmethod
    def clean(session, actor, values, row):
        check_code(values.get("code"))
        if values.get("code") == rules_domain.REGISTRY_SOURCE:
            raise ValidationError(MSG_RESERVED)
        id_header = values.get("id_header", row.id_header if row else "")
        period_header = values.get("period_header", row.period_header if row else "")
        if period_header and period_header == id_header:
            raise ValidationError(MSG_SAME_HEADER)
        return values


RESOURCE = Resource(
    name="data_sources",
    label="数据来源",
    description="各部门每月报送、用于与登记信息比对的数据文件：医保结算、学籍、住房鉴定、死亡登记、残疾人证、"
                "失业登记、市场主体、机动车、不动产等。文件中各列的含义在“数据列映射”中声明；停用的来源不能再导入。",
    model=DataSource,
    fields=(
        Field("code", "代码", required=True, max_length=32, fixed_after_create=True,
              help="小写英文字母、数字和下划线，例：medical_insurance；保存后不能修改"),
        Field("name", "名称", required=True, max_length=60, help="例：医保结算数据"),
        Field("department", "报送部门", max_length=60, help="例：县医疗保障局"),
        Field("id_header", "身份证号列名", required=True, max_length=40, default="身份证号"),
        Field("period_header", "月份列名", max_length=40, default="数据月份",
              help="文件中标明数据所属月份的列；留空表示不按月份核对"),
        Field("active", "在用", kind="bool", default=True),
        Field("note", "说明", max_length=300),
    ),
    list_columns=("code", "name", "department", "id_header", "period_header", "active"),
    filters=("active",),
    search_fields=("code", "name", "department"),
    search_help="代码、名称或报送部门",
    sortable=("code", "name", "department"),
    default_sort="id",
    audit_entity="data_source",
    roles=Roles(read=STAFF, create=(ADMIN,), edit=(ADMIN,), delete=(ADMIN,), export=STAFF),
    hooks=DataSourceHooks(),
)
