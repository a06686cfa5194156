"""Areas (区划): the county's townships/streets and villages/communities by 12-digit code."""

from sqlmodel import select

from ..db.tables import Area
from ..domain import areas as rules
from ..domain.errors import ValidationError
from ..domain.permissions import STAFF
from ..domain.roles import ADMIN, LEADER
from .spec import Field, Resource, Roles


class AreaHooks:
    @staticmethod
    def clean(session, actor, values, row):
        if row is not None:
            return values
        code = values.get("code", "")
        if not rules.is_valid_code(code):
            raise ValidationError("区划代码应为 12 位数字（统计用区划代码）")
        level = rules.level_of(code)
        if level == rules.COUNTY:
            raise ValidationError("县级区划随系统初始化，不能在此新增")
        parent = rules.parent_code(code)
        if session.exec(select(Area.code).where(Area.code == parent)).first() is None:
            raise ValidationError(f"上级区划 {parent} 不存在，请先新增上级区划")
        return {**values, "level": level, "parent_code": parent, "is_sample": False}


RESOURCE = Resource(
    name="areas",
    label="区划",
    description="按 12 位统计用区划代码管理乡镇/街道和村/社区。层级和上级由代码自动确定。"
                "也可用命令 lowincome-portal load-areas 文件.csv 批量载入。",
    model=Area,
    key="code",
    fields=(
        Field("code", "区划代码", required=True, max_length=12, fixed_after_create=True,
              help="12 位，例：500231100200"),
        Field("name", "名称", required=True, max_length=64),
        Field("level", "层级", kind="choice", choices=rules.LEVEL_LABELS, in_form=False),
        Field("parent_code", "上级区划", kind="area", in_form=False),
        Field("is_sample", "示例数据", kind="bool", in_form=False),
    ),
    list_columns=("code", "name", "level", "parent_code", "is_sample"),
    filters=("level", "parent_code"),
    search_fields=("name", "code"),
    search_help="名称或代码",
    sortable=("code", "name"),
    default_sort="code",
    area_field="code",
    audit_entity="area",
    roles=Roles(read=STAFF + (LEADER,), create=(ADMIN,), edit=(ADMIN,), delete=(ADMIN,), export=STAFF),
    hooks=AreaHooks(),
)
