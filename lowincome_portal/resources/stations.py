"""社会救助服务联合站（乡镇）和服务点（村/社区）: where residents apply in person."""

from ..db.tables import ServiceStation
from ..domain.areas import TOWNSHIP, VILLAGE, level_of
from ..domain.errors import ValidationError
from ..domain.permissions import COUNTY_OFFICERS, STAFF
from ..domain.roles import ADMIN, COUNTY_CIVIL, LEADER, TOWNSHIP_STAFF
from .spec import Field, Resource, Roles

LEVELS = {"station": "社会救助服务联合站（乡镇/街道）", "point": "社会救助服务点（村/社区）"}


class StationHooks:
    @staticmethod
    def clean(session, actor, values, row):
        level = values.get("level", row.level if row else "")
        area = values.get("area_code", row.area_code if row else "")
        expected = TOWNSHIP if level == "station" else VILLAGE
        if area and level_of(area) != expected:
            raise ValidationError("联合站应设在乡镇/街道，服务点应设在村/社区，请核对类型与所在区划")
        return values


RESOURCE = Resource(
    name="stations",
    label="服务站点",
    description="全县社会救助服务联合站和服务点：群众就近申请、代办的地点。",
    model=ServiceStation,
    fields=(
        Field("name", "站点名称", required=True, max_length=100),
        Field("level", "类型", kind="choice", required=True, choices=LEVELS),
        Field("area_code", "所在区划", kind="area", required=True, area_levels=(TOWNSHIP, VILLAGE)),
        Field("address", "地址", max_length=200),
        Field("contact_person", "联系人", max_length=50),
        Field("phone", "联系电话", kind="phone"),
        Field("opening_hours", "服务时间", max_length=100, help="例：工作日 9:00-17:00"),
        Field("active", "在用", kind="bool", default=True),
    ),
    list_columns=("name", "level", "area_code", "contact_person", "phone", "active"),
    filters=("level", "area_code", "active"),
    search_fields=("name", "address", "contact_person"),
    search_help="站点名称、地址或联系人",
    sortable=("name", "level", "area_code"),
    default_sort="area_code",
    area_field="area_code",
    audit_entity="service_station",
    roles=Roles(
        read=STAFF + (LEADER,),
        create=(ADMIN, COUNTY_CIVIL),
        edit=(ADMIN, COUNTY_CIVIL, TOWNSHIP_STAFF),
        delete=(ADMIN, COUNTY_CIVIL),
        export=COUNTY_OFFICERS + (TOWNSHIP_STAFF,),
    ),
    hooks=StationHooks(),
)
