"""Partner organisations: departments, charities and social organisations that take referrals."""

from ..db.tables import Organisation
from ..domain.permissions import COUNTY_OFFICERS, STAFF
from ..domain.roles import ADMIN, COUNTY_CIVIL
from .spec import Field, Resource, Roles

KINDS = {"department": "政府部门", "charity": "慈善组织", "social_org": "社会组织"}

RESOURCE = Resource(
    name="organisations",
    label="合作机构",
    description="承接转介事项的政府部门、慈善组织和社会组织。停用的机构不再接收新的转介。",
    model=Organisation,
    fields=(
        Field("name", "机构名称", required=True, max_length=100),
        Field("kind", "机构类别", kind="choice", required=True, choices=KINDS),
        Field("contact_person", "联系人", max_length=50),
        Field("phone", "联系电话", kind="phone"),
        Field("active", "在用", kind="bool", default=True),
    ),
    list_columns=("name", "kind", "contact_person", "phone", "active"),
    filters=("kind", "active"),
    search_fields=("name", "contact_person"),
    search_help="机构名称或联系人",
    sortable=("name", "kind"),
    default_sort="name",
    audit_entity="organisation",
    roles=Roles(read=STAFF, create=(ADMIN, COUNTY_CIVIL), edit=(ADMIN, COUNTY_CIVIL),
                delete=(ADMIN,), export=COUNTY_OFFICERS),
)
