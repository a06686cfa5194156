"""The monthly report as an Excel workbook: one sheet per section, for staff who check the
figures or build their own tables from them.

A pure function of the report dict services/reports.build_report returns (docs/reporting.md;
a full example in tests/report_samples.py) and optionally the 12-month trend. Counts and
amounts are written as numbers (amounts in 元 with cents, shares and changes in percent),
area codes as text; a figure a month lacks (no median, no change against 0) is an empty
cell. Sheets: 在册情况, 救助申请, 监测预警, 转介帮扶, 联席会议, 减负, 指标变化, then 各乡镇 for
the county's report and 月度趋势 when the trend is given.
"""

import math
import numbers
from datetime import date
from decimal import Decimal

from .workbook_writer import workbook_bytes

TAG_KEYS = ("households_start", "households_new", "households_exited", "households_end",
            "persons_start", "persons_new", "persons_exited", "persons_end")
TAG_HEADERS = ["类别", "月初户数", "新增户数", "退出户数", "月末户数", "月初人数", "新增人数", "退出人数", "月末人数"]
APPLICATION_KEYS = ("received", "decided", "approved", "refused", "overdue")
APPLICATION_HEADERS = ["申请类别", "受理", "办结", "批准", "不予批准", "超期在办", "办结用时中位数（工作日）"]
WARNING_KEYS = ("raised", "handled", "fed_back", "overdue")
WARNING_HEADERS = ["预警规则", "发出", "核实处置", "反馈", "超期未反馈"]
REFERRAL_KEYS = ("dispatched", "claimed", "completed", "overdue")
REFERRAL_HEADERS = ["分组", "名称", "派单", "认领", "办结", "超期", "办结金额（元）"]
CHANGE_HEADERS = ["指标", "本月", "上月", "环比（%）", "去年同月", "同比（%）"]
AREA_CODE = "区划代码"


def workbook(report: dict, trend: list[dict] | None = None) -> bytes:
    """The report's sections as an .xlsx (bytes); the trend sheet from `trend` or, by
    default, the report's own "trend"."""
    trend = report.get("trend") if trend is None else trend
    changes = report.get("changes") or []
    labels = {row["key"]: row.get("label", row["key"]) for row in changes if row.get("key")}
    sheets = [
        ("在册情况", TAG_HEADERS, _tag_rows(report.get("tags") or [])),
        ("救助申请", APPLICATION_HEADERS, _application_rows(report.get("applications") or {})),
        ("监测预警", WARNING_HEADERS, _warning_rows(report.get("warnings") or {})),
        ("转介帮扶", REFERRAL_HEADERS, _referral_rows(report.get("referrals") or {})),
        ("联席会议", ["指标", "数值"], _meeting_rows(report.get("meetings") or {})),
        ("减负", ["指标", "数值"], _burden_rows(report.get("burden") or {})),
        ("指标变化", CHANGE_HEADERS, _change_rows(changes)),
    ]
    if "townships" in report:
        sheets.append(_township_sheet(report.get("townships") or [], labels))
    if trend:
        sheets.append(_trend_sheet(trend, labels))
    return workbook_bytes(sheets, text_headers={AREA_CODE})


def _tag_rows(tags: list[dict]) -> list[list]:
    return [[row.get("label", row.get("tag", ""))] + [_n(row.get(k)) for k in TAG_KEYS] for row in tags]


def _application_rows(apps: dict) -> list[list]:
    rows = [[row.get("label", row.get("track", ""))] + [_n(row.get(k)) for k in APPLICATION_KEYS]
            for row in apps.get("by_track") or []]
    rows.append(["合计"] + [_n(apps.get(k)) for k in APPLICATION_KEYS] + [_n(apps.get("median_working_days"))])
    return rows


def _warning_rows(warnings: dict) -> list[list]:
    rows = [[row.get("label", row.get("rule", ""))] + [_n(row.get(k)) for k in WARNING_KEYS]
            for row in warnings.get("by_rule") or []]
    rows.append(["合计"] + [_n(warnings.get(k)) for k in WARNING_KEYS])
    return rows


def _referral_rows(refs: dict) -> list[list]:
    def line(group: str, name: str, row: dict) -> list:
        return [group, name] + [_n(row.get(k)) for k in REFERRAL_KEYS] + [_n(row.get("amount"))]

    rows = [line("按救助类别", str(row.get("label", row.get("kind", ""))), row) for row in refs.get("by_kind") or []]
    rows += [line("按帮扶单位", str(row.get("name") or row.get("label") or ""), row)
             for row in refs.get("by_partner") or []]
    rows.append(line("合计", "", refs))
    return rows


def _meeting_rows(meetings: dict) -> list[list]:
    return [["召开会议（次）", _n(meetings.get("held"))],
            ["形成决定（项）", _n(meetings.get("decisions"))],
            ["督办事项办结（项）", _n(meetings.get("actions_done"))],
            ["超期未办结督办事项（项）", _n(meetings.get("actions_overdue"))]]


def _burden_rows(burden: dict) -> list[list]:
    rows = [["完成入户调查（份）", _n(burden.get("investigated"))]] if "investigated" in burden else []
    share = burden.get("prefilled_share")
    return rows + [["系统预填字段（项）", _n(burden.get("fields_prefilled"))],
                   ["手工录入字段（项）", _n(burden.get("fields_typed"))],
                   ["预填率（%）", None if share is None else round(float(share) * 100, 1)],
                   ["入户走访（次）", _n(burden.get("visits"))],
                   ["合并走访减少入户（次）", _n(burden.get("visits_avoided"))]]


def _change_rows(changes: list[dict]) -> list[list]:
    return [[row.get("label", row.get("key", "")), _n(row.get("value")), _n(row.get("previous")),
             _n(row.get("mom_pct")), _n(row.get("last_year")), _n(row.get("yoy_pct"))] for row in changes]


def _township_sheet(townships: list[dict], labels: dict) -> tuple[str, list[str], list[list]]:
    keys = [key for key in labels if any(key in row for row in townships)]
    headers = ["排名", "乡镇（街道）", AREA_CODE] + [labels[k] for k in keys] + ["超期事项", "在办事项", "超期率（%）"]
    rows = []
    for rank, row in enumerate(townships, start=1):
        rate = row.get("overdue_rate")
        rows.append([rank, row.get("area_name", ""), row.get("area_code", "")] + [_n(row.get(k)) for k in keys]
                    + [_n(row.get("overdue")), _n(row.get("open")),
                       None if rate is None else round(float(rate) * 100, 1)])
    return "各乡镇", headers, rows


def _trend_sheet(trend: list[dict], labels: dict) -> tuple[str, list[str], list[list]]:
    keys = [key for key in labels if any(key in row for row in trend)]
    headers = ["月份"] + [labels[k] for k in keys]
    rows = [[_month(row)] + [_n(row.get(k)) for k in keys] for row in trend]
    return "月度趋势", headers, rows


def _month(row: dict) -> str:
    if row.get("period_text"):
        return str(row["period_text"])
    period = row.get("period")
    if isinstance(period, str):
        period = date.fromisoformat(period[:10])
    return f"{period.year}年{period.month}月" if period is not None else ""


def _n(value):
    """A figure as Excel should hold it: a whole number as int, money and rates as float,
    None as an empty cell. Also turns numpy's int64/float64 (figures computed with pandas)
    into Python numbers, which workbook_writer would otherwise write as text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (Decimal, numbers.Real)):
        number = float(value)
        return None if math.isnan(number) else number
    return value
