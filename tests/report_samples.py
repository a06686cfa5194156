"""A hand-made monthly report, as services/reports.build_report returns it (docs/reporting.md),
for tests of what is drawn from a report: the PDF, the workbook, the pages.

`sample_report()` is the county's report for 2026年11月 with every key build_report gives:
period (ISO text), period_text, area_code, area_name, level, generated_at (Beijing time as
text), the figures of each section, `changes`, `trend` and `townships`;
`sample_report(county=False)` is 新民镇's (no townships). `sample_trend()` is the 12 months
ending with the report's month (the same as the report's "trend"). `empty_report()` is a
month in which nothing happened (all zeros, no rows). Main figure keys and labels are
domain/reporting.MAIN_FIGURES; amounts are floats in 元, as domain/reporting returns them.

The numbers agree with each other where a reader would check them (tag rows: start + new -
exited = end; the 合计 row; by-track, by-rule, by-kind rows add up to the section's totals;
the last trend month is the report's month and `changes` repeats its figures), so a test may
look for any single number in the output. Each call returns fresh dicts: change them freely.
"""

from datetime import date

from lowincome_portal.domain.reporting import MAIN_FIGURES

COUNTY_CODE, COUNTY_NAME = "500231000000", "垫江县"
XINMIN_CODE, XINMIN_NAME = "500231100000", "新民镇"
PERIOD = date(2026, 11, 1)

# key -> label of the main figures, in their order (households_end, persons_end, applications
# received and decided, warnings raised and handled, referrals completed, amount, meetings held).
MAIN_FIGURE_LABELS = dict(MAIN_FIGURES)

# tag, label, households start/new/exited/end, persons start/new/exited/end
_TAGS = [
    ("dibao", "低保", 1236, 18, 11, 1243, 2702, 40, 25, 2717),
    ("tekun", "特困", 412, 5, 3, 414, 436, 5, 3, 438),
    ("dibao_edge", "低保边缘", 305, 9, 4, 310, 861, 25, 12, 874),
    ("rigid_hardship", "刚性支出困难", 88, 6, 2, 92, 274, 19, 6, 287),
    ("monitoring", "防返贫监测对象", 517, 7, 9, 515, 1695, 23, 30, 1688),
    ("other", "其他困难", 23, 1, 0, 24, 51, 2, 0, 53),
    # distinct households holding any tag (a household may hold two tags)
    ("total", "合计", 2397, 41, 27, 2411, 5513, 106, 68, 5551),
]

_RULES = [  # rule, label, raised, handled, fed_back, overdue
    ("medical_annual", "年度医疗自付费用过高", 14, 12, 10, 2),
    ("out_of_school", "适龄儿童失学辍学", 3, 3, 3, 0),
    ("housing_unsafe", "住房不安全", 6, 5, 4, 1),
    ("lost_job", "劳动力成员失业", 9, 7, 5, 1),
    ("income_drop", "家庭人均收入大幅下降", 5, 4, 3, 0),
]

_KINDS = [  # kind, label, dispatched, claimed, completed, overdue, amount
    ("temporary", "临时救助", 21, 19, 17, 2, 42500.0),
    ("medical", "医疗救助", 12, 12, 10, 1, 61830.50),
    ("education", "教育救助", 7, 6, 6, 0, 14000.0),
    ("housing", "住房救助（危房改造）", 3, 3, 1, 1, 25000.0),
    ("employment", "就业帮扶/公益性岗位", 5, 4, 3, 0, 0.0),
    ("charity_aid", "慈善救助", 9, 8, 8, 0, 18600.0),
    ("social_service", "社会组织服务（照料、心理疏导）", 4, 4, 2, 0, 0.0),
]

_PARTNERS = [  # organisation_id, name, dispatched, claimed, completed, overdue, amount
    (1, "垫江县慈善会", 14, 13, 12, 0, 31100.0),
    (2, "重庆市垫江县红十字会", 9, 8, 6, 1, 12000.0),
    (3, "垫江县民政局", 25, 24, 22, 2, 117830.50),
    (4, "垫江县人力资源和社会保障局", 5, 4, 3, 0, 0.0),
    (5, "垫江县阳光社会工作服务中心", 8, 7, 4, 1, 1000.0),
]

# area_code, area_name, households_end, persons_end, received, decided, raised, handled,
# referrals completed, amount, meetings held, overdue, open
_TOWNSHIPS = [
    ("500231100000", "新民镇", 312, 720, 14, 11, 7, 6, 9, 20310.50, 1, 6, 20),
    ("500231101000", "沙坪镇", 288, 655, 11, 10, 5, 5, 6, 15200.0, 1, 4, 16),
    ("500231102000", "周嘉镇", 265, 611, 9, 9, 4, 3, 5, 9800.0, 1, 3, 15),
    ("500231001000", "桂溪街道", 341, 760, 12, 12, 6, 5, 8, 31000.0, 1, 2, 18),
    ("500231103000", "普顺镇", 230, 532, 8, 7, 4, 4, 4, 8000.0, 1, 1, 12),
    ("500231104000", "永安镇", 0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0),
]

# households_end, persons_end, received, decided, raised, handled, completed, amount, held
# for 2025年12月 .. 2026年11月 (the last is the report's month)
_TREND = [
    (2351, 5430, 48, 41, 29, 24, 36, 118200.0, 19),
    (2360, 5447, 52, 45, 31, 27, 38, 125400.0, 20),
    (2362, 5450, 39, 44, 22, 25, 30, 98300.0, 18),
    (2370, 5466, 55, 40, 35, 28, 41, 139000.0, 21),
    (2374, 5478, 51, 49, 33, 31, 39, 131250.0, 21),
    (2380, 5489, 47, 50, 28, 30, 35, 120800.0, 20),
    (2377, 5480, 44, 46, 26, 27, 34, 117000.0, 20),
    (2385, 5497, 58, 47, 38, 32, 44, 152600.0, 22),
    (2391, 5505, 53, 55, 32, 35, 40, 140300.0, 21),
    (2390, 5502, 49, 51, 30, 29, 37, 127900.0, 21),
    (2397, 5513, 50, 48, 34, 30, 45, 150100.0, 22),
    (2411, 5551, 62, 53, 37, 31, 47, 161930.50, 22),
]
# The same month a year earlier (2025年11月), for the year-over-year column.
_LAST_YEAR = (2298, 5342, 45, 40, 26, 22, 33, 102000.0, 18)


def sample_report(*, county: bool = True) -> dict:
    """The report of 2026年11月 for the county (with `townships`) or for 新民镇 (without)."""
    report = {
        "period": PERIOD.isoformat(),
        "period_text": "2026年11月",
        "area_code": COUNTY_CODE if county else XINMIN_CODE,
        "area_name": COUNTY_NAME if county else XINMIN_NAME,
        "level": "county" if county else "township",
        "generated_at": "2026-12-01 08:30",  # Beijing time, as services/reports writes it
        "tags": [dict(zip(("tag", "label", "households_start", "households_new", "households_exited",
                           "households_end", "persons_start", "persons_new", "persons_exited",
                           "persons_end"), row, strict=True)) for row in _TAGS],
        "applications": {
            "received": 62, "decided": 53, "approved": 44, "refused": 9, "overdue": 4,
            "median_working_days": 12.5,
            "by_track": [
                {"track": "assistance", "label": "救助申请", "received": 47, "decided": 41,
                 "approved": 33, "refused": 8, "overdue": 3},
                {"track": "monitoring", "label": "防返贫监测", "received": 15, "decided": 12,
                 "approved": 11, "refused": 1, "overdue": 1},
            ],
        },
        "warnings": {
            "raised": 37, "handled": 31, "fed_back": 25, "overdue": 4,
            "by_rule": [dict(zip(("rule", "label", "raised", "handled", "fed_back", "overdue"), row,
                                 strict=True)) for row in _RULES],
        },
        "referrals": {
            "dispatched": 61, "claimed": 56, "completed": 47, "overdue": 4,
            "amount": 161930.50,
            "by_kind": [dict(zip(("kind", "label", "dispatched", "claimed", "completed", "overdue",
                                  "amount"), row, strict=True)) for row in _KINDS],
            "by_partner": [dict(zip(("organisation_id", "label", "dispatched", "claimed", "completed",
                                     "overdue", "amount"), row, strict=True)) for row in _PARTNERS],
        },
        "meetings": {"held": 22, "decisions": 67, "actions_done": 58, "actions_overdue": 5},
        "burden": {"investigated": 49, "fields_prefilled": 1764, "fields_typed": 588,
                   "prefilled_share": 0.75, "visits": 83, "visits_avoided": 17},
        "changes": _changes(_TREND[-1], _TREND[-2], _LAST_YEAR),
        "trend": sample_trend(),
    }
    if county:
        report["townships"] = [_township(row) for row in _TOWNSHIPS]
    return report


def sample_trend() -> list[dict]:
    """The main figures of the 12 months ending with the sample's month, oldest first."""
    months = [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)]
    return [{"period": month.isoformat(), "period_text": f"{month.year}年{month.month}月", **_main(row)}
            for month, row in zip(months, _TREND, strict=True)]


def empty_report(*, county: bool = True) -> dict:
    """A month in which nothing was on the books and nothing happened: zeros, no rows,
    no median, no changes worked out, townships (county) all zero."""
    report = sample_report(county=county)
    report["tags"] = [row | {k: 0 for k in row if k not in ("tag", "label")} for row in report["tags"]]
    report["applications"] = {"received": 0, "decided": 0, "approved": 0, "refused": 0, "overdue": 0,
                              "median_working_days": None, "by_track": []}
    report["warnings"] = {"raised": 0, "handled": 0, "fed_back": 0, "overdue": 0, "by_rule": []}
    report["referrals"] = {"dispatched": 0, "claimed": 0, "completed": 0, "overdue": 0,
                           "amount": 0.0, "by_kind": [], "by_partner": []}
    report["meetings"] = {"held": 0, "decisions": 0, "actions_done": 0, "actions_overdue": 0}
    report["burden"] = {"investigated": 0, "fields_prefilled": 0, "fields_typed": 0,
                        "prefilled_share": None, "visits": 0, "visits_avoided": 0}
    zero = tuple(0 for _ in MAIN_FIGURE_LABELS)
    report["changes"] = _changes(zero, zero, zero)
    report["trend"] = [row | {k: 0 for k in MAIN_FIGURE_LABELS} for row in report["trend"]]
    if county:
        report["townships"] = [row | {k: 0 for k in MAIN_FIGURE_LABELS} | {"overdue": 0, "open": 0,
                                                                         "overdue_rate": None}
                               for row in report["townships"]]
    return report


def _main(row: tuple) -> dict:
    return dict(zip(MAIN_FIGURE_LABELS, row, strict=True))


def _pct(now, before) -> float | None:
    return None if not before else round((float(now) - float(before)) / float(before) * 100, 1)


def _changes(current: tuple, previous: tuple, last_year: tuple) -> list[dict]:
    return [{"key": key, "label": label, "value": now, "previous": before,
             "mom_pct": _pct(now, before), "last_year": year_ago, "yoy_pct": _pct(now, year_ago)}
            for (key, label), now, before, year_ago
            in zip(MAIN_FIGURE_LABELS.items(), current, previous, last_year, strict=True)]


def _township(row: tuple) -> dict:
    code, name, *figures, overdue, open_ = row
    return {"area_code": code, "area_name": name, **_main(tuple(figures)), "overdue": overdue,
            "open": open_, "overdue_rate": None if not open_ else overdue / open_}
