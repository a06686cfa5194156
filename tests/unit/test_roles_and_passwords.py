from lowincome_portal.domain import areas, roles
from lowincome_portal.domain.passwords import password_problem


def test_each_role_binds_to_its_level():
    assert roles.binding_problem({roles.TOWNSHIP_STAFF}, areas.TOWNSHIP, False) is None
    assert roles.binding_problem({roles.VILLAGE_STAFF}, areas.VILLAGE, False) is None
    assert roles.binding_problem({roles.COUNTY_CIVIL, roles.COUNTY_AGRI}, areas.COUNTY, False) is None
    assert roles.binding_problem({roles.PARTNER}, None, True) is None


def test_bad_bindings_are_explained_in_chinese():
    assert "乡镇" in roles.binding_problem({roles.TOWNSHIP_STAFF}, areas.VILLAGE, False)
    assert "层级" in roles.binding_problem({roles.TOWNSHIP_STAFF, roles.ADMIN}, areas.COUNTY, False)
    assert "机构" in roles.binding_problem({roles.PARTNER}, None, False)
    assert roles.binding_problem({roles.PARTNER, roles.LEADER}, areas.COUNTY, True)
    assert roles.binding_problem(set(), areas.COUNTY, False) == "请至少选择一个角色"
    assert "未知角色" in roles.binding_problem({"root"}, areas.COUNTY, False)


def test_password_rule():
    assert password_problem("short1") == "密码至少 8 位"
    assert password_problem("onlyletters") == "密码须同时包含字母和数字"
    assert password_problem("12345678") == "密码须同时包含字母和数字"
    assert password_problem("xinmin2026a", "xinmin") == "密码不能包含用户名"
    assert password_problem("Good2026pass", "xinmin") is None
