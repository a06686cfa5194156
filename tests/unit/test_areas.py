from lowincome_portal.domain import areas

COUNTY, TOWN, VILLAGE = "500231000000", "500231100000", "500231100200"


def test_levels_follow_the_code():
    assert areas.level_of(COUNTY) == areas.COUNTY
    assert areas.level_of(TOWN) == areas.TOWNSHIP
    assert areas.level_of(VILLAGE) == areas.VILLAGE


def test_parent_codes():
    assert areas.parent_code(VILLAGE) == TOWN
    assert areas.parent_code(TOWN) == COUNTY
    assert areas.parent_code(COUNTY) is None


def test_containment_by_prefix():
    assert areas.contains(COUNTY, VILLAGE)
    assert areas.contains(TOWN, VILLAGE)
    assert areas.contains(VILLAGE, VILLAGE)
    assert not areas.contains(TOWN, "500231101200")  # a village of another township
    assert not areas.contains(VILLAGE, TOWN)  # a village does not contain its township
    assert not areas.contains(COUNTY, "500232100200")  # another county


def test_code_validation():
    assert areas.is_valid_code(VILLAGE)
    for bad in ("", "50023110020", "5002311002001", "50023110020x", "500000000000"):
        assert not areas.is_valid_code(bad)
