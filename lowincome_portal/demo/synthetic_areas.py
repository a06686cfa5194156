"""Synthetic counties for the city-scale synthetic data (generate-county --scale city).

The area model is one county's tree (county -> township/street -> village/community) and the
demo ships only 垫江县's sample list (26 townships, 78 villages). A city of 500,000
households in those 78 villages would be 6,400 households a village, nothing like a real
one, so the city scale adds synthetic counties beside the demo county: codes 500281000000,
500282000000, ... (12 digits under 5002xx, outside the range Chongqing's real counties use),
named 合成甲县, 合成乙县 ..., each shaped like the sample county: two streets (街道) with
communities and about 22 townships (镇/乡) with three or four villages and a community, about
94 villages in all. They are flagged is_sample, as the demo's sample areas are.

The names come from a fixed seed, not the data's seed: the areas are the same whichever seed
generated the households, and a second run finds them already there (inserted only when
missing). They carry no staff logins; reports run per county.
"""

import random

import sqlalchemy as sa

from ..db.tables import Area
from ..domain import areas as area_rules

FIRST_CODE = 81             # 500281, 500282, ...
MAX_COUNTIES = 9            # 500281-500289
COUNTY_NAMES = ("合成甲县", "合成乙县", "合成丙县", "合成丁县", "合成戊县", "合成己县", "合成庚县",
                "合成辛县", "合成壬县")
STEMS = ("龙泉", "石桥", "新华", "红星", "青山", "白鹤", "金竹", "长乐", "永兴", "太平", "双河", "合兴",
         "清水", "大坪", "高峰", "黄桷", "柏林", "松林", "桃园", "杨柳", "梨树", "安乐", "福田", "宝华",
         "兴隆", "三合", "五一", "向阳", "团结", "光明", "胜利", "和平", "凉水", "狮子", "观音", "仙鹤",
         "莲花", "花园", "鹿鸣", "凤鸣", "云峰", "天星", "明月", "河坝", "桥头", "沙坝", "堰塘", "竹林",
         "柑子", "复兴", "民主", "建设", "朝阳", "东风", "联合", "平安", "长岭", "马鞍", "白果", "石龙")
STREETS = 2                 # 街道, each with 3 communities
TOWNSHIPS = 22              # 镇/乡, each with 3-4 villages and often a community
NAMES_SEED = "synthetic-city-areas"


def county_prefixes(extra: int) -> list[str]:
    """The six-digit codes of the first `extra` synthetic counties."""
    if not 0 <= extra <= MAX_COUNTIES:
        raise ValueError(f"at most {MAX_COUNTIES} synthetic counties")
    return [f"5002{FIRST_CODE + k}" for k in range(extra)]


def _county_rows(k: int) -> list[dict]:
    """The areas of synthetic county k (0-based): the county, its streets and townships, their villages."""
    rng = random.Random(f"{NAMES_SEED}-{k}")
    prefix = f"5002{FIRST_CODE + k}"
    county = f"{prefix}000000"
    rows = [{"code": county, "name": COUNTY_NAMES[k], "level": area_rules.COUNTY, "parent_code": None}]
    stems = rng.sample(STEMS, STREETS + TOWNSHIPS)

    def add(code: str, name: str, level: str, parent: str) -> None:
        rows.append({"code": code, "name": name, "level": level, "parent_code": parent})

    for s in range(STREETS):
        street = f"{prefix}{s + 1:03d}000"
        add(street, stems[s] + "街道", area_rules.TOWNSHIP, county)
        for c, stem in enumerate(rng.sample(STEMS, 3)):
            add(f"{street[:9]}{c + 1:03d}", stem + "社区", area_rules.VILLAGE, street)
    for t in range(TOWNSHIPS):
        township = f"{prefix}{100 + t:03d}000"
        add(township, stems[STREETS + t] + ("乡" if rng.random() < 0.12 else "镇"), area_rules.TOWNSHIP, county)
        names = rng.sample(STEMS, 5)
        if rng.random() < 0.7:  # the township seat's community
            add(f"{township[:9]}001", names.pop() + "社区", area_rules.VILLAGE, township)
        for v in range(rng.choice((3, 3, 4))):
            add(f"{township[:9]}{200 + v:03d}", names[v] + "村", area_rules.VILLAGE, township)
    return rows


def ensure_city_areas(conn, extra: int) -> list[str]:
    """Insert the first `extra` synthetic counties' areas where missing (parents first);
    returns their six-digit prefixes."""
    prefixes = county_prefixes(extra)
    present = set(conn.execute(sa.select(Area.code).where(
        sa.or_(*[Area.code.like(p + "%") for p in prefixes]) if prefixes else sa.false())).scalars())
    missing = [dict(r, is_sample=True) for k in range(extra) for r in _county_rows(k) if r["code"] not in present]
    order = {area_rules.COUNTY: 0, area_rules.TOWNSHIP: 1, area_rules.VILLAGE: 2}
    missing.sort(key=lambda r: (order[r["level"]], r["code"]))
    if missing:
        conn.execute(sa.insert(Area.__table__), missing)
    return prefixes
