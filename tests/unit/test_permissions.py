import pytest

from lowincome_portal.domain import roles
from lowincome_portal.domain.errors import PermissionDenied
from lowincome_portal.domain.permissions import ACTION_ROLES, Actor, Scope, can, require

COUNTY, XINMIN, SHAPING = "500231000000", "500231100000", "500231101000"
FENGHUANG = "500231100200"


def actor(*role_codes, area=None, org=None, must_change=False):
    return Actor(user_id=1, username="u", display_name="u", roles=frozenset(role_codes),
                 area_code=area, org_id=org, must_change_password=must_change)


def test_role_must_grant_the_action():
    assert can(actor(roles.ADMIN, area=COUNTY), "user.manage")
    for role in set(roles.ALL_ROLES) - {roles.ADMIN}:
        assert not can(actor(role, area=COUNTY), "user.manage"), role


def test_unknown_action_is_refused_to_everyone():
    assert not can(actor(*roles.ALL_ROLES, area=COUNTY), "no.such.action")


def test_area_scope_by_code():
    township = actor(roles.TOWNSHIP_STAFF, area=XINMIN)
    assert can(township, "registry.view", Scope(area_code=FENGHUANG))
    assert not can(township, "registry.view", Scope(area_code="500231101200"))
    village = actor(roles.VILLAGE_STAFF, area=FENGHUANG)
    assert can(village, "registry.view", Scope(area_code=FENGHUANG))
    assert not can(village, "registry.view", Scope(area_code=XINMIN))


def test_partner_scope_is_its_organisation():
    partner = actor(roles.PARTNER, org=7)
    assert can(partner, "home.view", Scope(org_id=7))
    assert not can(partner, "home.view", Scope(org_id=8))
    assert not can(partner, "home.view", Scope(area_code=XINMIN))


def test_reset_password_allows_only_changing_it():
    admin = actor(roles.ADMIN, area=COUNTY, must_change=True)
    assert can(admin, "account.password")
    assert not can(admin, "home.view")
    assert not can(admin, "user.manage")


def test_require_raises_chinese_message():
    with pytest.raises(PermissionDenied) as err:
        require(actor(roles.LEADER, area=COUNTY), "user.manage")
    assert "权限" in err.value.message
    assert not can(None, "home.view")


def test_every_granted_role_exists():
    for action, granted in ACTION_ROLES.items():
        assert set(granted) <= set(roles.ALL_ROLES), action
