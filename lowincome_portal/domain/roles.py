"""The roles of the portal, their Chinese names, and which area each is bound to."""

from . import areas

ADMIN = "admin"
COUNTY_CIVIL = "county_civil"
COUNTY_AGRI = "county_agri"
TOWNSHIP_STAFF = "township_staff"
VILLAGE_STAFF = "village_staff"
PARTNER = "partner"
LEADER = "leader"

ROLE_LABELS = {
    ADMIN: "系统管理员",
    COUNTY_CIVIL: "县级民政",
    COUNTY_AGRI: "县级农业农村",
    TOWNSHIP_STAFF: "乡镇工作人员",
    VILLAGE_STAFF: "村级工作人员",
    PARTNER: "合作机构",
    LEADER: "县领导",
}

ALL_ROLES = tuple(ROLE_LABELS)

# The area level a role's user is bound to; None means bound to an organisation instead.
ROLE_AREA_LEVEL = {
    ADMIN: areas.COUNTY,
    COUNTY_CIVIL: areas.COUNTY,
    COUNTY_AGRI: areas.COUNTY,
    TOWNSHIP_STAFF: areas.TOWNSHIP,
    VILLAGE_STAFF: areas.VILLAGE,
    PARTNER: None,
    LEADER: areas.COUNTY,
}


def binding_problem(roles: set[str], area_level: str | None, has_org: bool) -> str | None:
    """Why this combination of roles, area and organisation cannot be one account, or None.

    A user works in exactly one place: every role they hold must agree on it.
    """
    if not roles:
        return "请至少选择一个角色"
    unknown = roles - set(ALL_ROLES)
    if unknown:
        return f"未知角色：{'、'.join(sorted(unknown))}"
    levels = {ROLE_AREA_LEVEL[r] for r in roles}
    if None in levels:
        if len(levels) > 1:
            return "合作机构账号不能同时担任行政区域角色"
        if not has_org:
            return "合作机构账号必须选择所属机构"
        if area_level is not None:
            return "合作机构账号不绑定行政区域"
        return None
    if len(levels) > 1:
        wanted = "、".join(areas.LEVEL_LABELS[lv] for lv in sorted(levels))
        return f"所选角色分属不同层级（{wanted}），一个账号只能绑定一个区域"
    level = levels.pop()
    if area_level != level:
        return f"所选角色须绑定到{areas.LEVEL_LABELS[level]}级区域"
    if has_org:
        return "行政区域角色不绑定合作机构"
    return None
