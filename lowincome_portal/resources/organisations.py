"""Partner organisations: departments, charities and social organisations that take referrals.

What a partner offers (assistance kinds) and where (townships; none = the whole county) decide
which pool items it sees and may claim (services/referrals.py). Both are stored as
space-delimited codes, " a b ", like Household.current_tags, so the list filter finds a code.
Both are `multiple=True` fields: the generic form draws a checkbox group, and the generic
check (services/resources._coerce_codes) refuses unknown codes and stores the known ones in the
options' order as " a b " (what domain/referrals.split_codes reads back).
"""

from sqlmodel import select

from ..db.tables import Area, Organisation
from ..domain import areas as area_rules
from ..domain import referrals as referral_rules
from ..domain.permissions import COUNTY_OFFICERS, STAFF
from ..domain.roles import ADMIN, COUNTY_CIVIL
from .spec import Field, Resource, Roles

KINDS = {"department": "政府部门", "charity": "慈善组织", "social_org": "社会组织"}


def township_choices(session) -> dict[str, str]:
    """The county's townships and streets by code (the places a partner may serve)."""
    rows = session.exec(select(Area.code, Area.name).where(Area.level == area_rules.TOWNSHIP)
                        .order_by(Area.code)).all()
    return dict(rows)


class OrganisationHooks:
    @staticmethod
    def choices_for(session, actor, f):
        # assistance kinds are fixed (declared below); the townships come from the areas table
        if f.name == "areas_served":
            return township_choices(session)
        return None


RESOURCE = Resource(
    name="organisations",
    label="合作机构",
    description="承接转介事项的政府部门、慈善组织和社会组织。提供的救助类别和服务区域决定其能看到和认领哪些事项；"
                "停用的机构不再接收新的转介。",
    model=Organisation,
    fields=(
        Field("name", "机构名称", required=True, max_length=100),
        Field("kind", "机构类别", kind="choice", required=True, choices=KINDS),
        Field("assistance_kinds", "提供的救助类别", kind="choice", multiple=True, max_length=300,
              choices=referral_rules.ASSISTANCE_KINDS, help="可多选；只有提供该类别的机构能看到和认领该类转介事项"),
        Field("areas_served", "服务区域", kind="choice", multiple=True, max_length=500,
              help="可多选乡镇（街道）；不选表示服务全县"),
        Field("capacity", "每月承接能力（件）", kind="int", min_value=0, max_value=100000,
              help="每月最多认领的转介事项数；不填表示不限"),
        Field("contact_person", "联系人", max_length=50),
        Field("phone", "联系电话", kind="phone"),
        Field("active", "在用", kind="bool", default=True),
    ),
    list_columns=("name", "kind", "assistance_kinds", "areas_served", "contact_person", "phone", "active"),
    filters=("kind", "assistance_kinds", "active"),
    search_fields=("name", "contact_person"),
    search_help="机构名称或联系人",
    sortable=("name", "kind"),
    default_sort="name",
    audit_entity="organisation",
    roles=Roles(read=STAFF, create=(ADMIN, COUNTY_CIVIL), edit=(ADMIN, COUNTY_CIVIL),
                delete=(ADMIN,), export=COUNTY_OFFICERS),
    hooks=OrganisationHooks(),
)
