"""Administrative area codes (统计用区划代码, 12 digits).

Digits 1-6 name the county, 7-9 the township or street (乡镇/街道), 10-12 the village
or community (村/社区). A record belongs to an area when its code starts with the
area's significant prefix, so scope checks need no tree walk.
"""

import re

COUNTY = "county"
TOWNSHIP = "township"
VILLAGE = "village"

LEVEL_LABELS = {COUNTY: "县", TOWNSHIP: "乡镇/街道", VILLAGE: "村/社区"}

_CODE = re.compile(r"^\d{12}$")


def is_valid_code(code: str) -> bool:
    """True for a 12-digit code whose county part is filled in."""
    return bool(_CODE.match(code or "")) and code[4:6] != "00"


def level_of(code: str) -> str:
    """The level a well-formed 12-digit code stands for."""
    if code[6:] == "000000":
        return COUNTY
    if code[9:] == "000":
        return TOWNSHIP
    return VILLAGE


def significant_prefix(code: str) -> str:
    """The digits that every code inside this area shares."""
    return {COUNTY: code[:6], TOWNSHIP: code[:9], VILLAGE: code}[level_of(code)]


def parent_code(code: str) -> str | None:
    """The code of the enclosing area inside the county, or None for the county itself."""
    level = level_of(code)
    if level == VILLAGE:
        return code[:9] + "000"
    if level == TOWNSHIP:
        return code[:6] + "000000"
    return None


def contains(outer: str, inner: str) -> bool:
    """Whether area `inner` lies inside (or is) area `outer`."""
    return inner.startswith(significant_prefix(outer))
